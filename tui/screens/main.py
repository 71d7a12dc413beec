"""The main screen: search, the records table, the detail tabs, and every record action.

Actions that take long (bag, verify, deposit, import) run in a thread worker with a progress bar;
the table and the search stay usable meanwhile, and Escape cancels where the library allows it.

Listing and searching run in a thread worker too (``_find_rows``): it walks the catalogue a shard
at a time and streams the rows to the table, so the first screen and each search show their first
page in milliseconds at 100,000 records, every keystroke is handled at once, and a newer keystroke
cancels the search of the older one (bench/bench_tui.py measures all three). The other reads a
key could land on are worker threads too: the record, text and history behind the detail pane
(``show_detail``) and the periodic look for other processes' writes (``look_for_changes``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, TabbedContent
from textual.worker import get_current_worker

from archive import catalog
from archive.errors import ArchiveError
from archive.progress import Progress, Step
from archive.records import serial_of
from tui import library
from tui.background import NicedThreads
from tui.keys import KEY_ACTIONS
from tui.processes import start_resource_tracker
from tui.search_index import SearchIndex
from tui.widgets.detail import DetailPane, Tabs
from tui.widgets.footer import SteadyFooter
from tui.widgets.progress_panel import ProgressPanel
from tui.widgets.record_table import RecordTable
from tui.widgets.search_box import SearchBox

log = logging.getLogger(__name__)
"""Worker failures, logged besides the notice the user sees (a bug with its traceback)."""

AUTO_REFRESH_S = 3.0
DETAIL_DELAY_S = 0.15
"""The detail pane waits this long after the cursor stops, so holding ↓ stays smooth."""
TYPING_DETAIL_DELAY_S = 0.5
"""...and this long while a search is typed: each key moves the cursor to a new first hit, and
filling the pane for it (a record read, five tabs, a layout pass: tens of milliseconds on the UI
thread) between two keys would delay the next one. It is filled once typing and the search pause."""
FIRST_PAGE = 100
"""Rows found before the table is first filled: more than a screenful, less than one shard."""
STREAM_EVERY_S = 0.05
"""How often, at most, the rows found since are handed to the table while a search goes on."""
FIRST_PAINT_WAIT_S = 0.5
"""The longest a worker waits for the table to draw its first page before it reads on."""

SEARCHER = NicedThreads("archive-search")
"""Where listing and search narrow the rows: threads at a lower OS priority than the UI thread,
so on a loaded machine a key is echoed before the search of the key before it goes on (see
tui/background.py)."""

Job = Callable[[Progress, threading.Event], Any]


class RowsFound(Message):
    """A page of rows for listing or search ``generation``; ``done`` on its last page.
    ``painted`` is set once the table has drawn them (the worker waits for the first page's)."""

    def __init__(self, generation: int, rows: list[dict], done: bool, error: str | None = None,
                 painted: threading.Event | None = None) -> None:
        super().__init__()
        self.generation, self.rows, self.done, self.error = generation, rows, done, error
        self.painted = painted


class DetailRead(Message):
    """The detail pane's tabs for ``record_id``, made by a worker thread (see ``show_detail``)."""

    def __init__(self, record_id: str | None, tabs: Tabs, error: str | None) -> None:
        super().__init__()
        self.record_id, self.tabs, self.error = record_id, tabs, error


class CatalogueChanged(Message):
    """Another process changed the catalogue (found by a worker thread, see ``look_for_changes``)."""


class MainScreen(Screen):
    """Search, table and detail; the record keys live here and show in the footer when they apply."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k.key, k.action, k.label) for k in KEY_ACTIONS),
        Binding("f5", "refresh", "Refresh", show=False),
        Binding("escape", "escape", "Cancel / clear", show=False),
    ]

    DEFAULT_CSS = """
    MainScreen #title-bar { height: 1; background: $primary-background; padding: 0 1; width: 1fr; }
    MainScreen #search { margin: 0 0; }
    MainScreen RecordTable { height: 2fr; min-height: 4; }
    MainScreen DetailPane { height: 3fr; min-height: 6; }
    """

    def __init__(self, arc: Any) -> None:
        super().__init__()
        self.arc = arc
        self.status_filter: str | None = None
        self.cancel_event: threading.Event | None = None
        self.job_name: str | None = None
        self._detail_timer: Timer | None = None
        self._had_record = False
        self._index: SearchIndex | None = None
        self.generation = 0
        """Counts listings and searches; pages of an older one are dropped when they arrive."""
        self.finding = False
        """True while the latest listing or search still streams rows to the table."""
        self.shown_pages = 0
        """Pages of the latest listing or search the table has shown so far."""
        self._keep_id: str | None = None
        self._tracker_started = False
        """Whether multiprocessing's resource tracker was started (see tui/processes.py)."""

    # ----- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Label("", id="title-bar")
        yield SearchBox(placeholder="Search title, creators, publication, subjects, id   ( / )",
                        id="search", compact=True)
        with Vertical(id="browser"):
            yield RecordTable(id="records")
            yield DetailPane(self.arc)
        yield ProgressPanel(id="progress")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.table.copy_settings = self.arc.settings
        self.reload_rows()
        self.query_one(RecordTable).focus()
        self.set_interval(AUTO_REFRESH_S, self.auto_refresh)

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def query_text(self) -> str:
        return self.query_one("#search", Input).value

    # ----- rows ------------------------------------------------------------------------------
    def reload_rows(self, keep_id: str | None = None, *, after_echo: bool = False) -> None:
        """List the search hits (or every record) of the chosen status, streamed in by a worker.

        The table keeps the rows it shows until the first page of the new ones arrives, so a
        keystroke never blanks it; the cursor stays on ``keep_id`` (by default the record under
        it) when the new rows list it.

        The search before stops at once (at its next chunk). With ``after_echo`` (a keystroke)
        the new one starts only once the screen has shown the key: a worker thread searching
        meanwhile takes the interpreter from the UI thread every half millisecond (see
        ``SWITCH_INTERVAL_S``), which about doubled the time to echo a key at 100,000 records.
        """
        table = self.table
        table.empty_message = "No records match." if self.query_text or self.status_filter else (
            "No records yet. Press a to add an article.")
        self.generation += 1
        self.finding = True
        self.shown_pages = 0
        self._keep_id = keep_id if keep_id is not None else table.current_id
        self.app.workers.cancel_group(self, "rows")
        find = (self.generation, self.search_index, self.query_text.strip(), self.status_filter)
        if after_echo:
            self.call_after_refresh(self._find_rows_if_current, *find)
        else:
            self._find_rows(*find)
        self._update_title(len(table.rows))

    def _find_rows_if_current(self, generation: int, *find: Any) -> None:
        """Start the search of a key once it shows, unless a later key has come meanwhile."""
        if generation == self.generation:
            self._find_rows(generation, *find)

    @property
    def search_index(self) -> SearchIndex:
        """The rows and their search texts, read once by the first listing (see SearchIndex)."""
        if self._index is None:
            self._index = SearchIndex(self.arc.store.search_text_pages)
        return self._index

    def forget_rows(self) -> None:
        """The catalogue changed: the next listing reads it again (unchanged shards from memory)."""
        self._index = None

    @work(thread=True, exclusive=True, group="rows", exit_on_error=False)
    def _find_rows(self, generation: int, index: SearchIndex, query: str, status: str | None) -> None:
        """List or search in the niced search thread (``SEARCHER``) while this worker waits for it;
        the worker is what the app cancels (``exclusive``: the next keystroke's search cancels
        this one) and waits for."""
        SEARCHER.run(self._stream_rows, get_current_worker(), generation, index, query, status)

    def _stream_rows(self, worker: Any, generation: int, index: SearchIndex, query: str,
                     status: str | None) -> None:
        """Walk the rows a chunk at a time, handing what matches to the table as it is found;
        stop when ``worker`` is cancelled.

        After the first page the search waits (briefly) until the table has shown it, so the
        first screen and the first hits are drawn without this thread competing for the
        interpreter (see also ``SWITCH_INTERVAL_S`` in tui/app.py).
        """
        if worker.is_cancelled:  # a newer key came while it waited for the search before
            return
        found: list[dict] = []
        shown = 0
        last = time.monotonic()
        try:
            for chunk in index.search(query):
                if worker.is_cancelled:
                    return
                found.extend([r for r in chunk if r["status"] == status] if status else chunk)
                due = len(found) >= FIRST_PAGE if not shown else time.monotonic() - last >= STREAM_EVERY_S
                if found and due:
                    painted = threading.Event()
                    self.post_message(RowsFound(generation, found, done=False, painted=painted))
                    if not shown:
                        painted.wait(FIRST_PAINT_WAIT_S)
                    shown += len(found)
                    found, last = [], time.monotonic()
        except ArchiveError as exc:
            self.post_message(RowsFound(generation, found, done=True, error=str(exc)))
            return
        except Exception as exc:
            log.exception("listing the catalogue stopped on an unexpected problem")
            message = f"listing the catalogue stopped on an unexpected problem: {exc}"
            self.post_message(RowsFound(generation, found, done=True, error=message))
            return
        if not worker.is_cancelled:
            self.post_message(RowsFound(generation, found, done=True))

    @on(RowsFound)
    def _rows_found(self, event: RowsFound) -> None:
        if event.generation != self.generation:
            if event.painted is not None:
                event.painted.set()
            return  # a page of a search the archivist has typed past
        table = self.table
        if self.shown_pages == 0:
            table.set_rows(event.rows, self._keep_id)
        else:
            table.add_rows(event.rows)
        self.shown_pages += 1
        if event.painted is not None:
            self.call_after_refresh(event.painted.set)
        if not self.detail.built:  # the tabs are built once the first rows are drawn (see DetailPane)
            self.call_after_refresh(self.detail.build)
        if event.done:
            self.finding = False
            if not self._tracker_started:  # the first listing is shown: jobs may need it now
                self._tracker_started = True
                self.call_after_refresh(start_resource_tracker)
            if isinstance(self.focused, Input) and self._detail_timer is not None:
                self._show_detail_later()  # the pause is counted from the search's end
        if event.error is not None:
            self.notify(event.error, severity="error")
        self._update_title(len(table.rows))

    def _update_title(self, shown: int) -> None:
        total = len(self.arc.store)
        name = self.arc.settings.organization or "article-archive"
        where = f" · status {self.status_filter}" if self.status_filter else ""
        busy = " …" if self.finding else ""
        title = f"{name} — {shown} of {total} records{where}{busy}"
        self.query_one("#title-bar", Label).update(title, layout=False)

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        self.reload_rows(after_echo=True)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.table.focus()

    @on(RecordTable.Highlighted)
    def _highlighted(self, event: RecordTable.Highlighted) -> None:
        self._show_detail_later()
        has_record = event.record_id is not None
        if has_record != self._had_record:  # the footer is rebuilt only when its keys change
            self._had_record = has_record
            self.refresh_bindings()

    def _show_detail_later(self) -> None:
        """Fill the detail pane once the cursor (or, while a search is typed, the typing and the
        search) has paused; each call starts the wait again."""
        if self._detail_timer is not None:
            self._detail_timer.stop()
        delay = TYPING_DETAIL_DELAY_S if isinstance(self.focused, Input) else DETAIL_DELAY_S
        self._detail_timer = self.set_timer(delay, self.show_detail)

    @on(RecordTable.Selected)
    def _selected(self) -> None:
        self.action_edit()

    def show_detail(self) -> None:
        """Show the record under the cursor in the detail pane, read by a worker thread (a shard
        parsed, the text and history read: tens of milliseconds the UI thread spent between keys)."""
        record_id = self.table.current_id
        shown = self.detail.record
        if shown is not None and record_id == shown["id"]:
            summary_serial = self.table.rows[self.table.cursor_row].get("serial")
            if summary_serial == serial_of(shown):  # moves on every write, bags and checks too
                self.detail.show_query(self.query_text)
                return
        self._read_detail(record_id, self.query_text)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _read_detail(self, record_id: str | None, query: str) -> None:
        record, error = None, None
        if record_id is not None:
            try:
                record = catalog.get_record(self.arc, record_id)
            except ArchiveError as exc:
                error = str(exc)
        try:
            tabs = self.detail.prepare(record, query)
        except Exception as exc:
            log.exception("reading record %s for the detail pane failed", record_id)
            tabs, error = self.detail.prepare(None), f"{record_id} could not be shown: {exc}"
        if not get_current_worker().is_cancelled:
            self.post_message(DetailRead(record_id, tabs, error))

    @on(DetailRead)
    def _detail_read(self, event: DetailRead) -> None:
        if event.error is not None:
            self.notify(event.error, severity="error")
        if event.record_id == self.table.current_id:  # else the cursor moved on: its own read follows
            self.detail.show_tabs(event.tabs, self.query_text)

    def selected_record(self) -> dict | None:
        """The full record under the cursor, read fresh, or a note saying there is none."""
        record_id = self.table.current_id
        if record_id is None:
            self.notify("Select a record first.", severity="warning")
            return None
        try:
            return catalog.get_record(self.arc, record_id)
        except ArchiveError as exc:
            self.notify(str(exc), severity="error")
            return None

    # ----- refresh ---------------------------------------------------------------------------
    def refresh_catalogue(self, *, quiet: bool = True) -> bool:
        """Pick up writes by other processes (the CLI); True when anything changed."""
        try:
            changed = self.arc.store.refresh()
        except ArchiveError as exc:
            self.notify(str(exc), severity="error")
            return False
        if changed:
            self.forget_rows()
            self.reload_rows()
            self.show_detail()
        if not quiet:
            self.notify("Catalogue reloaded." if changed else "No changes since the last look.")
        return changed

    def auto_refresh(self) -> None:
        if self.job_name is None and self.app.screen is self:
            self.look_for_changes()

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def look_for_changes(self) -> None:
        """Stat the shards in a worker thread; the UI thread refreshes only if one changed.

        Statting 391 shards every few seconds on the UI thread landed in the middle of a key now
        and then (a few to 20 ms on a loaded machine)."""
        try:
            changed = self.arc.store.changed_on_disk()
        except Exception:  # a folder half-written by another process: the refresh will tell
            log.exception("looking for catalogue changes failed")
            changed = True
        if changed:
            self.post_message(CatalogueChanged())

    @on(CatalogueChanged)
    def _catalogue_changed(self) -> None:
        if self.job_name is None:
            self.refresh_catalogue()

    def action_refresh(self) -> None:
        self.refresh_catalogue(quiet=False)

    # ----- which keys apply ------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide record keys while typing a search, and dim them when no record is selected."""
        entry = next((k for k in KEY_ACTIONS if k.action == action), None)
        if entry is None:
            return True
        if isinstance(self.focused, Input):
            return action == "refresh"
        if entry.needs_record and self.is_mounted and self.table.current_id is None:
            return None
        return True

    # ----- simple actions --------------------------------------------------------------------
    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_escape(self) -> None:
        if self.cancel_event is not None and not self.cancel_event.is_set():
            self.cancel_event.set()
            self.notify(f"Cancelling {self.job_name}…")
            return
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        self.table.focus()

    def action_history(self) -> None:
        if not self.detail.built:
            return  # the tabs are built an instant after the first rows show
        self.query_one(TabbedContent).active = "tab-history"
        self.query_one("#history-scroll").focus()

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        await self.app.action_quit()

    def action_filter(self) -> None:
        from tui.screens.filter import StatusFilterScreen

        def chosen(status: str | bool | None) -> None:
            if status is False:
                return
            self.status_filter = status or None  # type: ignore[assignment]
            self.reload_rows()
            self.notify(f"Showing {self.status_filter or 'all'} records.")

        self.app.push_screen(StatusFilterScreen(self.status_filter), chosen)

    # ----- add and edit ----------------------------------------------------------------------
    def action_add(self) -> None:
        from functools import partial

        from tui.screens.capture import run_capture
        from tui.screens.pick_file import PickFileScreen

        def picked(path: Path | None) -> None:
            if path is not None:
                self.open_form(None, source=path)

        self.app.push_screen(PickFileScreen(capture=partial(run_capture, self)), picked)

    def action_edit(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.open_form(record)

    def open_form(self, record: dict | None, source: Path | None = None) -> None:
        from tui.screens.record_form import RecordFormScreen

        def saved(result: dict | None) -> None:
            if result is not None:
                self.forget_rows()
                self.reload_rows(keep_id=result["id"])
                self.table.select_id(result["id"])
                self.show_detail()

        self.app.push_screen(RecordFormScreen(self.arc, record=record, source=source), saved)

    # ----- long work -------------------------------------------------------------------------
    def run_job(self, what: str, job: Job, done: Callable[[Any, bool], None], *,
                cancellable: bool = False) -> None:
        """Start long work in a thread; ``done(result, cancelled)`` runs back on the UI."""
        if self.job_name is not None:
            self.notify(f"{self.job_name} is still running; wait for it or press Escape.",
                        severity="warning")
            return
        start_resource_tracker()  # the job's worker processes need it (a no-op once it runs)
        self.job_name = what
        self.cancel_event = threading.Event() if cancellable else None
        self.query_one(ProgressPanel).start(what, cancellable)
        self._job_worker(what, job, done, self.cancel_event or threading.Event())

    @work(thread=True, exclusive=True, group="job", exit_on_error=False)
    def _job_worker(self, what: str, job: Job, done: Callable[[Any, bool], None],
                    cancel: threading.Event) -> None:
        panel = self.query_one(ProgressPanel)

        def progress(step: Step) -> None:
            self.app.call_from_thread(panel.advance, step.done, step.total)

        try:
            result = job(progress, cancel)
        except ArchiveError as exc:
            log.warning("%s failed: %s", what, exc)
            self.app.call_from_thread(self._job_ended, what, None, str(exc), done, cancel)
        except Exception as exc:
            log.exception("%s stopped on an unexpected problem", what)
            message = f"{what} stopped on an unexpected problem: {exc}"
            self.app.call_from_thread(self._job_ended, what, None, message, done, cancel)
        else:
            self.app.call_from_thread(self._job_ended, what, result, None, done, cancel)

    def _job_ended(self, what: str, result: Any, error: str | None,
                   done: Callable[[Any, bool], None], cancel: threading.Event) -> None:
        self.job_name = None
        self.cancel_event = None
        self.query_one(ProgressPanel).stop()
        self.arc.store.refresh()
        self.forget_rows()
        self.reload_rows()
        self.show_detail()
        if error is not None:
            self.notify(error, title=f"{what} failed", severity="error", timeout=10)
            return
        done(result, cancel.is_set())

    def action_bag(self) -> None:
        record = self.selected_record()
        if record is None:
            return
        record_id = record["id"]

        def job(progress: Progress, cancel: threading.Event) -> Any:
            return library.bag_records(self.arc, [record_id], progress=progress, cancel=cancel.is_set)

        def done(results: Any, cancelled: bool) -> None:
            for result in results or []:
                outcome = getattr(result, "outcome", "")
                text = f"{record_id}: {outcome}"
                if getattr(result, "version", None):
                    text += f" as version {result.version}"
                if getattr(result, "message", ""):
                    text += f" — {result.message}"
                self.notify(text, severity="error" if outcome == "failed" else "information")

        self.run_job("Bagging", job, done, cancellable=True)

    def action_verify(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.start_verify([record["id"]])

    def action_verify_all(self) -> None:
        self.start_verify(None)

    def start_verify(self, ids: list[str] | None) -> None:
        from tui.screens.verify_results import VerifyResultsScreen

        def job(progress: Progress, cancel: threading.Event) -> Any:
            return library.verify_archive(self.arc, ids=ids, progress=progress, cancel=cancel.is_set)

        def done(report: Any, cancelled: bool) -> None:
            if cancelled:
                self.notify("Verification cancelled; the bags checked so far keep their results.",
                            severity="warning")
            self.app.push_screen(VerifyResultsScreen(report, cancelled=cancelled))

        self.run_job("Verifying", job, done, cancellable=True)

    def action_deposit(self) -> None:
        from tui.screens.deposit import DepositScreen

        record = self.selected_record()
        if record is None:
            return

        def closed(report: Any) -> None:
            if report is not None:
                self.arc.store.refresh()
                self.forget_rows()
                self.reload_rows()
                self.show_detail()

        self.app.push_screen(DepositScreen(self.arc, [record["id"]]), closed)

    def action_replicas(self) -> None:
        from tui.screens.replicas import ReplicasScreen

        def closed(_: object) -> None:
            self.table.copy_settings = self.arc.settings  # the view read archive.toml afresh
            self.arc.store.refresh()
            self._index = None
            self.reload_rows()
            self.show_detail()

        self.app.push_screen(ReplicasScreen(self.arc), closed)

    def action_export(self) -> None:
        from tui.screens.export import ExportScreen

        record = self.selected_record()
        if record is not None:
            self.app.push_screen(ExportScreen(record, self.arc.settings.organization or None))

    def action_import_folder(self) -> None:
        from tui.screens.pick_file import PickFileScreen

        def picked(folder: Path | None) -> None:
            if folder is None:
                return

            def job(progress: Progress, cancel: threading.Event) -> Any:
                return catalog.import_folder(self.arc, folder, progress=progress, cancel=cancel.is_set)

            def done(report: Any, cancelled: bool) -> None:
                severity = "warning" if report.failed else "information"
                lines = [report.summary()] + [f"{name}: {why}" for name, why in report.failed[:5]]
                self.notify("\n".join(lines), severity=severity, timeout=10)

            self.run_job("Importing", job, done, cancellable=True)

        self.app.push_screen(PickFileScreen(folders=True), picked)
