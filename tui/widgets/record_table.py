"""A virtual records table: it paints only the rows on screen, so 100,000 records cost nothing.

Textual's DataTable builds every row up front (12 s for 100,000, see design.md); here the rows stay
the catalogue's summary dicts and a line is rendered only when it scrolls into view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.formatting import copies_cell, fixity_kind, fixity_label


@dataclass(frozen=True)
class Column:
    """One column: a heading, the summary key or formatter, and a fixed or flexible width."""

    heading: str
    key: str
    width: int = 0
    flex: int = 0


COLUMNS = (
    Column("Id", "id", width=15),
    Column("Title", "title", flex=3),
    Column("Publication", "publication", flex=2),
    Column("Issued", "issued", width=10),
    Column("Status", "status", width=13),
    Column("Copies", "copies", width=7),  # good copies of min_copies: '! 1/2' when short
    Column("Last fixity", "fixity", width=17),  # room for '✓ fast 2026-11-29'
)

COPIES = next(i for i, c in enumerate(COLUMNS) if c.key == "copies")


def cell_text(row: dict[str, Any], key: str) -> str:
    """The text of one cell; fixity is composed from outcome and date (copies: see render_line)."""
    if key == "fixity":
        return fixity_label(row)
    if key == "copies":
        return ""
    return str(row.get(key) or "")


def fit(text: str, width: int) -> str:
    """Pad or cut to the width, marking a cut with an ellipsis so nothing looks complete when not."""
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…" if width > 0 else ""
    return text.ljust(width)


class RecordTable(ScrollView, can_focus=True):
    """The records, one per line, with a cursor; posts Highlighted as the cursor moves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "record-table--header",
        "record-table--cursor",
        "record-table--ok",
        "record-table--fail",
        "record-table--warn",
        "record-table--empty",
        "record-table--short",
    }

    DEFAULT_CSS = """
    RecordTable { height: 1fr; }
    RecordTable > .record-table--header { text-style: bold; background: $panel; }
    RecordTable > .record-table--cursor { background: $block-cursor-blurred-background; }
    RecordTable:focus > .record-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    RecordTable > .record-table--ok { color: $success; }
    RecordTable > .record-table--fail { color: $error; text-style: bold; }
    RecordTable > .record-table--warn { color: $warning; }
    RecordTable > .record-table--empty { color: $text-muted; }
    RecordTable > .record-table--short { color: $warning; text-style: bold; }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True)

    copy_settings: Any = None
    """The archive's settings (min_copies, replicas), set by the screen; None shows no copies."""

    class Highlighted(Message):
        """The cursor moved to a record (or to none, when the list is empty)."""

        def __init__(self, record_id: str | None) -> None:
            self.record_id = record_id
            super().__init__()

    class Selected(Message):
        """Enter on a record."""

        def __init__(self, record_id: str) -> None:
            self.record_id = record_id
            super().__init__()

    def __init__(self, *, empty_message: str = "No records.", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[dict[str, Any]] = []
        self.empty_message = empty_message
        self._widths: tuple[int, ...] = ()

    # ----- data ------------------------------------------------------------------------------
    def set_rows(self, rows: list[dict[str, Any]], keep_id: str | None = None) -> None:
        """Show new rows, keeping the cursor on ``keep_id`` when it is still listed."""
        self.rows = rows
        index = 0
        if keep_id is not None:
            index = next((i for i, r in enumerate(rows) if r["id"] == keep_id), 0)
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self.cursor_row = index
        self.refresh()

    @property
    def current_id(self) -> str | None:
        if 0 <= self.cursor_row < len(self.rows):
            return self.rows[self.cursor_row]["id"]
        return None

    def select_id(self, record_id: str) -> bool:
        """Move the cursor to a record by id; False when it is not listed."""
        for i, row in enumerate(self.rows):
            if row["id"] == record_id:
                self.cursor_row = i
                return True
        return False

    # ----- cursor ----------------------------------------------------------------------------
    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self.current_id))

    def _scroll_to_cursor(self) -> None:
        visible = max(self.scrollable_content_region.height - 1, 1)
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.cursor_row += step

    def action_page(self, direction: int) -> None:
        self.cursor_row += direction * max(self.scrollable_content_region.height - 2, 1)

    def action_jump(self, where: int) -> None:
        self.cursor_row = where if where >= 0 else len(self.rows) - 1

    def action_select(self) -> None:
        if self.current_id is not None:
            self.post_message(self.Selected(self.current_id))

    def on_click(self, event: Click) -> None:
        row = round(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= row < len(self.rows):
            self.cursor_row = row

    # ----- painting --------------------------------------------------------------------------
    def on_resize(self) -> None:
        self._widths = ()
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    def column_widths(self) -> tuple[int, ...]:
        """Fixed columns keep their width; the rest of the line is shared by the flexible ones."""
        if self._widths:
            return self._widths
        total = self.scrollable_content_region.width
        fixed = sum(c.width for c in COLUMNS) + len(COLUMNS) - 1
        spare = max(total - fixed, 0)
        flex_total = sum(c.flex for c in COLUMNS) or 1
        widths = []
        given = 0
        flexible = [c for c in COLUMNS if c.flex]
        for column in COLUMNS:
            if column.flex:
                share = spare * column.flex // flex_total
                if column is flexible[-1]:
                    share = spare - given
                given += share
                widths.append(max(share, 4))
            else:
                widths.append(column.width)
        self._widths = tuple(widths)
        return self._widths

    def _line(self, cells: list[str], styles: list[Style]) -> Strip:
        widths = self.column_widths()
        segments: list[Segment] = []
        for i, (text, width, style) in enumerate(zip(cells, widths, styles, strict=True)):
            if i:
                segments.append(Segment(" ", styles[0]))
            segments.append(Segment(fit(text, width), style))
        strip = Strip(segments)
        return strip.adjust_cell_length(self.scrollable_content_region.width, styles[0])

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("record-table--header")
            return self._line([c.heading for c in COLUMNS], [style] * len(COLUMNS))
        index = round(self.scroll_y) + y - 1
        if not self.rows:
            if y == 1:
                style = base + self.get_component_rich_style("record-table--empty")
                return Strip([Segment(fit(self.empty_message, width), style)])
            return Strip.blank(width, base)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        style = base
        if index == self.cursor_row:
            style = base + self.get_component_rich_style("record-table--cursor")
        styles = [style] * len(COLUMNS)
        kind = fixity_kind(row)
        if kind != "plain":
            styles[-1] = style + self.get_component_rich_style(f"record-table--{kind}", partial=True)
        cells = [cell_text(row, c.key) for c in COLUMNS]
        if self.copy_settings is not None:
            cells[COPIES], copies_kind = copies_cell(row, self.copy_settings)
            if copies_kind == "short":
                styles[COPIES] = style + self.get_component_rich_style("record-table--short", partial=True)
        return self._line(cells, styles)
