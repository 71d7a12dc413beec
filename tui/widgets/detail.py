"""The detail pane: one record's metadata, text, citation, bags and history, in tabs.

Each tab is filled only from the full record the pane is given (plus the text and events, read
through the library), so switching records is one read, not five.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Select, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from archive import schema
from archive.errors import ArchiveError
from archive.fixity.state import full_check_at
from archive.replicas.status import copies_of
from archive.source_files import files_of
from tui import library
from tui.formatting import FIXITY_MARKS, copy_cell, creator_name, human_size

TEXT_LIMIT = 512 * 1024
"""Bytes of preserved text shown; a longer text says so at the end rather than stalling the pane."""

OUTCOME_STYLES = {"success": "green", "failure": "bold red", "warning": "yellow"}
RAW_FORMATS = ("csl-json", "bibtex", "ris")
FORMATTING = "formatting…"
"""What the citation tab shows while citeproc-js works (its first citation takes a second or two)."""


def field_titles() -> dict[str, str]:
    """Schema titles of the top-level fields, so the pane uses the archivist's words."""
    properties = schema.schema_document("record")["properties"]
    return {name: node.get("title", name) for name, node in properties.items()}


def show_value(value: Any) -> str:
    """A field's value as one readable block of text."""
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and ("family" in v or "literal" in v) for v in value):
            return "\n".join(creator_name(v) + (f" ({v['role']})" if "role" in v else "") for v in value)
        if value and all(isinstance(v, dict) and "name" in v for v in value):
            return "\n".join(
                v["name"] + (f" — {v['kind']}" if "kind" in v else "")
                + (f", {v['mentions']} mention(s)" if "mentions" in v else "")
                for v in value
            )
        return "\n".join(show_value(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {show_value(v)}" for k, v in value.items())
    return str(value)


def show_source(record: dict) -> str:
    """The source as one line per file with its role (the original, extracted text, WARC,
    requisites), then the original's encoding and word count; old records' sets are derived."""
    lines = []
    for item in files_of(record):
        size = f", {human_size(item.size)}" if item.size is not None else ""
        lines.append(f"{item.role}: {item.filename} ({item.media_type}{size})")
    source = record.get("source") or {}
    lines += [f"{key}: {source[key]}" for key in ("encoding", "word_count", "sha256") if key in source]
    return "\n".join(lines)


def metadata_table(record: dict) -> Table:
    """Every field with a mark for its validation state; problems are named beside the field."""
    found = schema.field_problems(record)
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
    table.add_column("field", style="bold", no_wrap=True, ratio=1)
    table.add_column("value", ratio=3)
    titles = field_titles()
    if found:
        table.add_row(Text("✗ invalid", style="bold red"), Text(f"{len(found)} field(s) with problems"))
    else:
        table.add_row(Text("✓ valid", style="green"), Text("every field passes the record schema"))
    for name, title in titles.items():
        if name not in record:
            continue
        value = Text(show_source(record) if name == "source" else show_value(record[name]))
        mine = [f"{path}: {why}" for path, reasons in found.items()
                if path == name or path.startswith((f"{name}.", f"{name}[")) for why in reasons]
        for line in mine:
            value.append(f"\n✗ {line}", style="bold red")
        table.add_row(title, value)
    return table


def bags_table(record: dict) -> Table | Text:
    bags = record.get("bags") or []
    if not bags:
        return Text("Not bagged yet. Press b to bag this record.")
    table = Table(expand=True, box=None, padding=(0, 1))
    for heading in ("Version", "Bagged", "Size", "Payload-Oxum", "Last check"):
        table.add_column(heading)
    for bag in bags:
        fixity = bag.get("last_fixity")
        if fixity:
            mark = FIXITY_MARKS.get(fixity["outcome"], "?")
            style = OUTCOME_STYLES.get(fixity["outcome"], "")
            fast = " fast" if fixity.get("fast") else ""
            check = Text(f"{mark} {fixity['outcome']}{fast} {fixity['at'][:10]}", style=style)
            full_at = full_check_at(fixity)
            if fixity.get("fast"):
                check.append(f"\nlast full check {full_at[:10] if full_at else 'never'}", style="dim")
        else:
            check = Text("· not checked")
        table.add_row(f"v{bag['version']}", bag["bagged_at"][:10], human_size(bag.get("size")),
                      bag["payload_oxum"], check)
    return table


def copies_table(record: dict, settings: Any) -> Table:
    """Under the bags: good copies against min_copies, and each place's copy (archive.toml's
    replicas), when made and last checked."""
    copies = copies_of(record, settings)
    good = sum(c.good for c in copies)
    table = Table(expand=True, box=None, padding=(0, 1),
                  title=f"Copies: {good} good of min_copies {settings.min_copies}", title_justify="left",
                  title_style="bold yellow" if good < settings.min_copies else "bold")
    for heading in ("Copy", "Good", "Made", "Last check"):
        table.add_column(heading)
    for copy in copies:
        text, kind = copy_cell(copy)
        style = {"ok": "green", "fail": "bold red", "warn": "yellow"}.get(kind, "")
        table.add_row(copy.where, "✓ yes" if copy.good else "✗ no", copy.replicated_at[:10] or "–",
                      Text(text, style=style))
    return table


def history_table(events: list[dict]) -> Table | Text:
    if not events:
        return Text("No events.")
    table = Table(expand=True, box=None, padding=(0, 1))
    for heading in ("When", "Event", "Outcome", "Detail"):
        table.add_column(heading, ratio=3 if heading == "Detail" else None)
    for event in events:
        outcome = event["outcome"]["label"]
        style = {"failure": "bold red", "warning": "yellow"}.get(outcome, "")
        mark = {"failure": "✗ ", "warning": "! "}.get(outcome, "")
        table.add_row(event["at"].replace("T", " ").rstrip("Z"), event["type"]["label"],
                      Text(mark + outcome, style=style), event.get("detail", ""))
    return table


def highlighted_text(text: str, query: str) -> Text:
    """The text with every search word highlighted, so hits are found by eye."""
    rich_text = Text(text)
    words = [w for w in query.split() if w]
    if words:
        rich_text.highlight_words(words, style="reverse", case_sensitive=False)
    return rich_text


@dataclass(frozen=True)
class Tabs:
    """What the tabs show for one record (None: no record), made by ``DetailPane.prepare``."""

    record: dict | None
    query: str
    metadata: Table | None = None
    bags: Table | Text | Group | None = None
    plain_text: str | None = None
    """The preserved text as read, kept so a new search only re-highlights it (None: none)."""
    text: Text | None = None
    history: Table | Text | None = None


class DetailPane(Vertical):
    """Tabs for the record under the cursor."""

    DEFAULT_CSS = """
    DetailPane { height: 1fr; }
    DetailPane > TabbedContent { height: 1fr; }
    DetailPane ContentSwitcher { height: 1fr; }
    DetailPane TabPane { height: 1fr; padding: 0 1; }
    DetailPane VerticalScroll { height: 1fr; }
    DetailPane #citation-style { width: 40; }
    DetailPane #citation-locale { width: 20; }
    DetailPane #citation-choice { height: auto; }
    DetailPane #citation-attribution { color: $text-muted; }
    """

    def __init__(self, arc: Any, **kwargs: Any) -> None:
        super().__init__(id=kwargs.pop("id", "detail"), **kwargs)
        self.arc = arc
        self.record: dict | None = None
        self.search_query = ""
        self.text_shown = Text("")
        self._plain_text: str | None = None
        """The record's text as read for the Text tab, kept so a new search only re-highlights it."""
        self._citation_for: int | None = None
        self._citation_worker: Worker | None = None
        """The citation asked for last; a late result for an earlier record or style is dropped."""
        self.built = False
        """True once ``build`` has mounted the tabs."""
        self._composing = False
        self._pending: tuple[Tabs, str] | None = None
        """The record's tabs (and search) to show once the tabs are built."""

    def compose(self) -> ComposeResult:
        """Nothing at first: the tabs are composed by ``build`` once the table has drawn its first
        rows. The five tabs with the citation tab's two Selects are most of the main screen's
        widgets: composing and styling them took about half of the first screen's CPU time at
        start-up (bench/bench_tui.py), time the archivist spent looking at a blank table."""
        if self._composing:
            with TabbedContent(id="tabs"):
                yield from self._panes()

    async def build(self) -> None:
        """Compose the tabs (once), then show the record asked for meanwhile, if any."""
        if self._composing:
            return
        self._composing = True
        await self.recompose()
        self.built = True
        if self._pending is not None:
            tabs, query = self._pending
            self._pending = None
            self.show_tabs(tabs, query)

    def _panes(self) -> ComposeResult:
        with TabPane("Metadata", id="tab-metadata"), VerticalScroll(id="metadata-scroll"):
            yield Static(id="metadata")
        with TabPane("Text", id="tab-text"), VerticalScroll(id="text-scroll"):
            yield Static(id="text")
        with TabPane("Citation", id="tab-citation"), VerticalScroll(id="citation-scroll"):
            styles = library.citation_styles()
            locales = library.citation_locales()
            with Horizontal(id="citation-choice"):
                yield Select([(s, s) for s in styles], id="citation-style", prompt="Style",
                             value=styles[0] if styles else Select.NULL, allow_blank=not styles)
                yield Select([(t, t) for t in locales], id="citation-locale", prompt="Locale",
                             value=locales[0], allow_blank=False)
            yield Static(library.citation_attribution(), id="citation-attribution")
            yield Static(id="citation")
        with TabPane("Bags", id="tab-bags"), VerticalScroll(id="bags-scroll"):
            yield Static(id="bags")
        with TabPane("History", id="tab-history"), VerticalScroll(id="history-scroll"):
            yield Static(id="history")

    def prepare(self, record: dict | None, query: str = "") -> Tabs:
        """Everything the tabs show for ``record``: its text and history read, its tables made.
        Touches no widget, so a worker thread can make it while the UI thread handles keys."""
        if record is None:
            return Tabs(None, query)
        bags = bags_table(record)
        if record.get("bags"):
            bags = Group(bags, Text(""), copies_table(record, self.arc.settings))
        plain, text = None, Text("This record has no preserved text.", style="italic")
        if record.get("source"):
            try:
                plain = self.arc_text(record)
                text = highlighted_text(plain, query)
            except ArchiveError as exc:
                text = Text(str(exc), style="red")
        from archive.catalog import history

        try:
            events: Table | Text = history_table(history(self.arc, record["id"]))
        except ArchiveError as exc:
            events = Text(str(exc), style="red")
        return Tabs(record, query, metadata_table(record), bags, plain, text, events)

    def show_record(self, record: dict | None, query: str = "") -> None:
        """Fill every tab for one record (or clear them), reading it here (see ``prepare``)."""
        self.show_tabs(self.prepare(record, query), query)

    def show_tabs(self, tabs: Tabs, query: str = "") -> None:
        """Show what ``prepare`` made; before the tabs are built, remember it (``record`` says
        what the pane shows, so it stays None until then)."""
        if not self.built:
            self._pending = (tabs, query)
            return
        record = tabs.record
        self.record, self.search_query = record, query
        if record is None:
            self._citation_worker = None
            self._plain_text = None
            for name in ("metadata", "text", "citation", "bags", "history"):
                self.query_one(f"#{name}", Static).update("No record selected.")
            return
        self.query_one("#metadata", Static).update(tabs.metadata)
        self.query_one("#bags", Static).update(tabs.bags)
        self._plain_text = tabs.plain_text
        self.text_shown = tabs.text
        if tabs.plain_text is not None and query != tabs.query:  # typed on while it was read
            self.text_shown = highlighted_text(tabs.plain_text, query)
        self.query_one("#text", Static).update(self.text_shown)
        self.query_one("#history", Static).update(tabs.history)
        self._citation_for = None
        if self.query_one(TabbedContent).active == "tab-citation":
            self._show_citation()
        else:
            self.query_one("#citation", Static).update("")

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """citeproc is slow to load, so the citation is formatted only when its tab is opened."""
        record = self.record
        if event.pane.id == "tab-citation" and record and self._citation_for != record.get("revision"):
            self._show_citation()

    def show_query(self, query: str) -> None:
        """Same record, new search: only the Text tab's highlights change.

        The text read for the record is highlighted again, not read again, and the tab is
        repainted without a layout pass (the same words wrap the same way): typing a search costs
        the UI thread no file read and no reflow of the screen.
        """
        if query != self.search_query and self.record is not None:
            self.search_query = query
            if self._plain_text is None:
                return  # no text, or one that could not be read: nothing to highlight
            self.text_shown = highlighted_text(self._plain_text, query)
            self.query_one("#text", Static).update(self.text_shown, layout=False)

    def arc_text(self, record: dict) -> str:
        from archive.catalog import read_text

        text = read_text(self.arc, record["id"], limit=TEXT_LIMIT)
        size = record.get("source", {}).get("size", 0)
        if size > TEXT_LIMIT:
            text += f"\n\n[… {human_size(size - TEXT_LIMIT)} more not shown]"
        return text

    def _show_citation(self) -> None:
        """Show "formatting…" and format in a worker thread: citeproc-js needs 0.75-2 s to build a
        style the first time, which on the UI thread would freeze every key for that long."""
        assert self.record is not None
        self._citation_for = self.record.get("revision")
        style = self.query_one("#citation-style", Select).value
        locale = self.query_one("#citation-locale", Select).value
        self.query_one("#citation", Static).update(Text(FORMATTING, style="italic"))
        job = partial(
            self._citation_text,
            self.record,
            style if isinstance(style, str) else None,
            locale if isinstance(locale, str) else None,
            self.archive_name,
        )
        self._citation_worker = self.run_worker(job, thread=True, exclusive=True, group="citation",
                                                name="citation", exit_on_error=False)

    @staticmethod
    def _citation_text(record: dict, style: str | None, locale: str | None, archive_name: str | None) -> Text:
        """The tab's content: the formatted citation, then the raw formats (runs in a worker)."""
        parts: list[Text] = []
        try:
            if style is not None:
                text = library.format_citation(record, style, archive_name, locale)
                parts.append(Text(text or f"The {style} style leaves this record out of a bibliography.",
                                  style="" if text else "italic"))
            else:
                parts.append(Text("Choose a citation style.", style="italic"))
        except ArchiveError as exc:
            parts.append(Text(str(exc), style="italic"))
        for fmt in RAW_FORMATS:
            parts.append(Text(f"\n{fmt}", style="bold"))
            try:
                parts.append(Text(library.render_citation(record, fmt, archive_name)))
            except ArchiveError as exc:
                parts.append(Text(str(exc)))
        return Text("\n").join(parts)

    @on(Worker.StateChanged)
    def _citation_done(self, event: Worker.StateChanged) -> None:
        """Show a finished citation if it is still the one asked for last."""
        worker = event.worker
        if worker.group != "citation":
            return
        event.stop()
        if worker is not self._citation_worker or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        shown = self.query_one("#citation", Static)
        if event.state == WorkerState.SUCCESS:
            shown.update(worker.result)
        else:
            shown.update(Text(f"The citation could not be formatted: {worker.error}", style="red"))

    @property
    def archive_name(self) -> str | None:
        return self.arc.settings.organization or None

    @on(Select.Changed, "#citation-style")
    @on(Select.Changed, "#citation-locale")
    def _style_changed(self) -> None:
        """Format again in the chosen style, if the tab is open; else when it next opens. (The
        Selects say Changed as they are mounted, which, with the tabs built after the first rows,
        may come after a record is shown: that must not start citeproc for a closed tab.)"""
        if self.record is None:
            return
        if self.query_one(TabbedContent).active == "tab-citation":
            self._show_citation()
        else:
            self._citation_for = None

