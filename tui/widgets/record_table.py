"""A virtual records table: it paints only the rows on screen, so 100,000 records cost nothing.

Textual's DataTable builds every row up front (12 s for 100,000, see design.md); here the rows stay
the catalogue's summary dicts and a line is rendered only when it scrolls into view. Rows arrive
in pages (``set_rows`` then ``add_rows``) while the main screen's worker reads or searches the
catalogue, so the first screen and each search show their first page at once.

What a row shows is data, not code in the widget: ``COLUMNS`` says what each cell holds (a summary
key or a ``text`` function) and ``ROW_STYLES`` how a row is coloured (functions giving {column key,
or ``ROW`` for the whole line: component class}). Both functions get the row and the table, so one
may read what the screen set on the table (settings, say). A new column or highlight is one entry
in each, plus its class in ``RecordTable.COMPONENT_CLASSES`` and ``DEFAULT_CSS``; they run only for
the lines on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
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

Row = dict[str, Any]
"""One record's summary, as the catalogue's index holds it (``archive list --json`` shows one)."""
_ID = itemgetter("id")


@dataclass(frozen=True)
class Column:
    """One column: a heading, the summary key (or a function of the row) and a fixed or flexible width."""

    heading: str
    key: str
    width: int = 0
    flex: int = 0
    text: Callable[[Row, RecordTable], str] | None = None
    """The cell's text when it is composed (from several fields, or with the table's settings);
    else the value at ``key``."""


COLUMNS = (
    Column("Id", "id", width=15),
    Column("Title", "title", flex=3),
    Column("Publication", "publication", flex=2),
    Column("Issued", "issued", width=10),
    Column("Status", "status", width=13),
    Column("Copies", "copies", width=7, text=lambda row, table: copies_text(row, table)),  # '! 1/2'
    Column("Last fixity", "fixity", width=17, text=lambda row, _: fixity_label(row)),  # '✓ fast 2026-11-29'
)

ROW = ""
"""The key of a ``ROW_STYLES`` entry that styles the whole line rather than one column."""


def copies_text(row: Row, table: RecordTable) -> str:
    """Good copies of min_copies ('! 1/2' when short); blank until the screen sets the settings."""
    return copies_cell(row, table.copy_settings)[0] if table.copy_settings is not None else ""


def fixity_styles(row: Row, _: RecordTable) -> dict[str, str]:
    """The last check's outcome colours the fixity cell (its mark also says it without colour)."""
    kind = fixity_kind(row)
    return {} if kind == "plain" else {"fixity": f"record-table--{kind}"}


def copies_styles(row: Row, table: RecordTable) -> dict[str, str]:
    """A record short of min_copies stands out (its '!' also says it without colour)."""
    short = table.copy_settings is not None and copies_cell(row, table.copy_settings)[1] == "short"
    return {"copies": "record-table--short"} if short else {}


ROW_STYLES: list[Callable[[Row, RecordTable], dict[str, str]]] = [fixity_styles, copies_styles]
"""Each gives {column key or ROW: component class} for a row; later entries are laid over earlier ones."""


def cell_text(row: Row, column: Column, table: RecordTable) -> str:
    """The text of one cell."""
    if column.text is not None:
        return column.text(row, table)
    return str(row.get(column.key) or "")


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

    LINE_CACHE_LIMIT = 4096
    """Painted lines kept (a few screenfuls of search results and scrolling); then it starts afresh."""

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
        self.rows: list[Row] = []
        self.empty_message = empty_message
        self._widths: tuple[int, ...] = ()
        self._keep_id: str | None = None
        """A record the cursor should land on when a later page lists it (see ``set_rows``)."""
        self._copy_settings: Any = None
        self._lines: dict[tuple[int, bool, bool, int], tuple[Row, Strip]] = {}
        """Each row's painted line by (the row's identity, under the cursor, focused, width): see
        ``render_line``."""

    @property
    def copy_settings(self) -> Any:
        """The archive's settings (min_copies, replicas), set by the screen; None shows no copies."""
        return self._copy_settings

    @copy_settings.setter
    def copy_settings(self, settings: Any) -> None:
        self._copy_settings = settings
        self.forget_lines()
        self.refresh()

    def forget_lines(self) -> None:
        """Paint every line afresh: what a line shows or how it is styled may have changed."""
        self._lines.clear()

    def notify_style_update(self) -> None:
        self.forget_lines()  # a theme, the focus or the CSS changed the colours
        super().notify_style_update()

    # ----- data ------------------------------------------------------------------------------
    def set_rows(self, rows: list[Row], keep_id: str | None = None) -> None:
        """Show new rows, keeping the cursor on ``keep_id`` when it is listed.

        When it is not (yet), the cursor starts on the first row and moves to ``keep_id`` if a
        later ``add_rows`` brings it, unless the archivist has moved the cursor meanwhile.
        """
        self.rows = list(rows)
        index = self._position(keep_id, self.rows)
        self._keep_id = keep_id if index is None else None
        self._resize_content()
        self.cursor_row = index or 0
        self.refresh()

    def add_rows(self, rows: list[Row]) -> None:
        """Append the next page of rows (the cursor stays where it is, unless it was waiting for them).

        Pages streamed in below the screen repaint nothing but the scrollbar: repainting the
        table for each of them cost the UI thread a full table's lines, several times a second,
        while a search or the first listing went on."""
        if not rows:
            return
        start = len(self.rows)
        self.rows.extend(rows)
        self._resize_content()
        found = self._position(self._keep_id, rows)
        if found is not None:
            self._keep_id = None
            self.cursor_row = start + found
        elif start == 0:
            self.cursor_row = 0  # the first row of an empty list: say which record is under the cursor
        below = round(self.scroll_y) + self.scrollable_content_region.height - 1
        if start < below:  # repaint only when the new rows reach the lines on screen
            self.refresh()

    def _resize_content(self) -> None:
        """Make the scrollable height one line per row (plus the heading) without a layout pass.

        ``virtual_size`` is a layout reactive: setting it reflows and repaints the whole screen,
        detail pane and all (40-70 ms, measured), and rows change at every keystroke and with
        every streamed page. Only the scrollbar depends on it, so it is set quietly and the
        scrollbars updated; one appearing or going (a layout reactive itself) still reflows.
        """
        size = Size(self.size.width, len(self.rows) + 1)
        if size == self.virtual_size:
            return
        self.set_reactive(RecordTable.virtual_size, size)
        self._scroll_update(size)

    @staticmethod
    def _position(record_id: str | None, rows: list[Row]) -> int | None:
        """Where ``record_id`` is in ``rows`` (a C-speed scan: pages of a search hold up to 100,000)."""
        if record_id is None:
            return None
        try:
            return list(map(_ID, rows)).index(record_id)
        except ValueError:
            return None

    def row_styles(self, row: Row) -> dict[str, str]:
        """{column key or ROW: component class} for this row, from every ``ROW_STYLES`` entry."""
        styles: dict[str, str] = {}
        for styler in ROW_STYLES:
            styles.update(styler(row, self))
        return styles

    @property
    def current_id(self) -> str | None:
        if 0 <= self.cursor_row < len(self.rows):
            return self.rows[self.cursor_row]["id"]
        return None

    def select_id(self, record_id: str) -> bool:
        """Move the cursor to a record by id; False when it is not listed."""
        index = self._position(record_id, self.rows)
        if index is None:
            return False
        self._keep_id = None
        self.cursor_row = index
        return True

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
        self._keep_id = None
        self.cursor_row += step

    def action_page(self, direction: int) -> None:
        self._keep_id = None
        self.cursor_row += direction * max(self.scrollable_content_region.height - 2, 1)

    def action_jump(self, where: int) -> None:
        self._keep_id = None
        self.cursor_row = where if where >= 0 else len(self.rows) - 1

    def action_select(self) -> None:
        if self.current_id is not None:
            self.post_message(self.Selected(self.current_id))

    def on_click(self, event: Click) -> None:
        row = round(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= row < len(self.rows):
            self._keep_id = None
            self.cursor_row = row

    # ----- painting --------------------------------------------------------------------------
    def on_resize(self) -> None:
        self._widths = ()
        self.forget_lines()
        self._resize_content()

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
        """One line of the table. A record's line is made once and kept (by the row's identity:
        a record that changes is a new summary dict), so a search's new page, a keystroke's first
        hits and scrolling repaint from kept lines: making one costs about 0.1 ms of the UI
        thread, a screenful several milliseconds per update on a loaded machine."""
        index = round(self.scroll_y) + y - 1
        if y == 0 or index >= len(self.rows):
            return self._other_line(y)
        row = self.rows[index]
        key = (id(row), index == self.cursor_row, self.has_focus, self.scrollable_content_region.width)
        kept = self._lines.get(key)
        if kept is not None and kept[0] is row:
            return kept[1]
        if len(self._lines) >= self.LINE_CACHE_LIMIT:
            self._lines.clear()
        strip = self._row_line(row, cursor=key[1])
        self._lines[key] = (row, strip)
        return strip

    def _other_line(self, y: int) -> Strip:
        """The heading, the empty table's message, or a blank line below the last row."""
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("record-table--header")
            return self._line([c.heading for c in COLUMNS], [style] * len(COLUMNS))
        if not self.rows and y == 1:
            style = base + self.get_component_rich_style("record-table--empty")
            return Strip([Segment(fit(self.empty_message, width), style)])
        return Strip.blank(width, base)

    def _row_line(self, row: Row, *, cursor: bool) -> Strip:
        base = self.rich_style
        style = base + self.get_component_rich_style("record-table--cursor") if cursor else base
        styles = [style] * len(COLUMNS)
        for key, component in self.row_styles(row).items():
            extra = self.get_component_rich_style(component, partial=True)
            for i, column in enumerate(COLUMNS):
                if key == ROW or key == column.key:
                    styles[i] = styles[i] + extra
        return self._line([cell_text(row, c, self) for c in COLUMNS], styles)
