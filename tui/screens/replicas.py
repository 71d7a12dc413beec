"""The replicas view: each replica in archive.toml, and per record its good copies and the last
check of each copy; replicate, check and repair run from here.

Counts come from the summary index (``good_on``, see archive.replicas.status); the per-copy dates
need the full record, so the records table reads one only for a line on screen. Replicate, check
(full or fast) and the two repairs run as thread workers with the progress bar; Escape cancels
between steps, and what the library confirmed before that stays recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable, Label, Static

from archive import catalog
from archive.config import load_settings
from archive.errors import ArchiveError
from archive.progress import Cancel, Progress, Step
from archive.replicas.status import LOCAL, Copy, copies_of, row_copies
from tui import library
from tui.formatting import copies_cell, copy_cell
from tui.processes import start_resource_tracker
from tui.widgets.footer import SteadyFooter
from tui.widgets.progress_panel import ProgressPanel
from tui.widgets.record_table import fit

log = logging.getLogger(__name__)
"""Replica job failures, logged besides the notice the user sees (a bug with its traceback)."""

Job = Callable[[Progress, Cancel], Any]
PLACE_WIDTH = 17  # room for '✓ fast 2026-11-29'
NO_REPLICAS = "No replicas yet. Add one with: archive replica add NAME URL (a folder, sftp:// or s3://)"


class CopiesTable(ScrollView, can_focus=True):
    """Bagged records, one per line: good copies of min_copies, then each place's copy."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "copies-table--header", "copies-table--ok", "copies-table--fail", "copies-table--warn",
        "copies-table--short", "copies-table--empty",
    }
    DEFAULT_CSS = """
    CopiesTable { height: 1fr; }
    CopiesTable > .copies-table--header { text-style: bold; background: $panel; }
    CopiesTable > .copies-table--ok { color: $success; }
    CopiesTable > .copies-table--fail { color: $error; text-style: bold; }
    CopiesTable > .copies-table--warn { color: $warning; }
    CopiesTable > .copies-table--short { color: $warning; text-style: bold; }
    CopiesTable > .copies-table--empty { color: $text-muted; }
    """

    def __init__(self, arc: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arc = arc
        self.rows: list[dict[str, Any]] = []
        self._copies: dict[tuple[str, Any], list[Copy]] = {}

    @property
    def places(self) -> list[str]:
        return [LOCAL, *sorted(self.arc.settings.replicas)]

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self._copies.clear()
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    def copies(self, row: dict[str, Any]) -> list[Copy]:
        """The row's copies from its full record, read once per write (``serial``) of it."""
        key = (row["id"], row.get("serial"))
        if key not in self._copies:
            try:
                record = catalog.get_record(self.arc, row["id"])
            except ArchiveError:
                record = {"id": row["id"]}
            self._copies[key] = copies_of(record, self.arc.settings)
        return self._copies[key]

    def widths(self) -> list[int]:
        fixed = [15, 7, *([PLACE_WIDTH] * len(self.places))]
        title = max(self.scrollable_content_region.width - sum(fixed) - len(fixed) - 1, 8)
        return [15, title, 7, *fixed[2:]]

    def _line(self, cells: list[tuple[str, Style]]) -> Strip:
        segments: list[Segment] = []
        for i, ((text, style), width) in enumerate(zip(cells, self.widths(), strict=True)):
            if i:
                segments.append(Segment(" ", cells[0][1]))
            segments.append(Segment(fit(text, width), style))
        return Strip(segments).adjust_cell_length(self.scrollable_content_region.width, cells[0][1])

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        width = self.scrollable_content_region.width
        if y == 0:
            header = base + self.get_component_rich_style("copies-table--header")
            return self._line([(h, header) for h in ("Id", "Title", "Copies", *self.places)])
        index = round(self.scroll_y) + y - 1
        if not self.rows:
            if y == 1:
                muted = base + self.get_component_rich_style("copies-table--empty")
                return Strip([Segment(fit("No bagged records yet: only bags are copied.", width), muted)])
            return Strip.blank(width, base)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        count, kind = copies_cell(row, self.arc.settings)
        cells = [(row["id"], base), (str(row.get("title") or ""), base), (count, self._style(kind))]
        for copy in self.copies(row):
            text, kind = copy_cell(copy)
            cells.append((text, self._style(kind)))
        return self._line(cells)

    def _style(self, kind: str) -> Style:
        base = self.rich_style
        return base if kind == "plain" else base + self.get_component_rich_style(f"copies-table--{kind}")


class ReplicasScreen(Screen[None]):
    """Replicas above, copies per record below; the keys act on the replica under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "replicate(False)", "Replicate"),
        Binding("P", "replicate(True)", "Replicate all"),
        Binding("c", "check(False)", "Check"),
        Binding("f", "check(True)", "Fast check"),
        Binding("r", "repair", "Repair local"),
        Binding("R", "repair_replica", "Repair replica"),
        Binding("escape", "escape", "Cancel / close"),
        Binding("q", "close", "Close", show=False),
    ]
    DEFAULT_CSS = """
    ReplicasScreen #replicas-head { height: 1; background: $primary-background; padding: 0 1; width: 1fr; }
    ReplicasScreen #replicas { height: auto; max-height: 8; }
    ReplicasScreen #no-replicas { padding: 0 1; color: $text-muted; }
    ReplicasScreen #replica-results-scroll { height: auto; max-height: 8; }
    ReplicasScreen #replica-results { height: auto; padding: 0 1; }
    """

    def __init__(self, arc: Any) -> None:
        super().__init__()
        self.arc = arc
        self.job_name: str | None = None
        self.cancel_event: threading.Event | None = None
        self.jobs_ended = 0
        """Jobs finished (or failed) since the view opened: what a caller waits on."""
        self.settings_problem = ""
        try:  # archive.toml as it is now: ``archive replica add`` may have run since the app opened
            arc.settings = load_settings(arc.root)
        except ArchiveError as exc:
            self.settings_problem = str(exc)

    @property
    def names(self) -> list[str]:
        return sorted(self.arc.settings.replicas)

    def compose(self) -> ComposeResult:
        yield Label("", id="replicas-head")
        if self.names:
            yield DataTable(id="replicas", cursor_type="row", zebra_stripes=False)
        else:
            yield Static(NO_REPLICAS, id="no-replicas")
        yield CopiesTable(self.arc, id="copies")
        with VerticalScroll(id="replica-results-scroll"):
            yield Static("", id="replica-results")
        yield ProgressPanel(id="replica-progress")
        yield SteadyFooter()

    def on_mount(self) -> None:
        if self.settings_problem:
            self.notify(f"{self.settings_problem}; showing the settings read earlier", severity="error",
                        timeout=10)
        if self.names:
            table = self.query_one("#replicas", DataTable)
            table.add_columns("Replica", "Where", "Good copies", "Not good")
            table.focus()
        self.reload()

    def reload(self) -> None:
        """Counts and rows from the summaries: every bagged record, in accession order."""
        rows = [r for r in catalog.list_records(self.arc) if r.get("bag_version")]
        self.query_one(CopiesTable).set_rows(rows)
        short = sum(1 for r in rows if row_copies(r, self.arc.settings)[1])
        plural = "" if len(rows) == 1 else "s"
        head = (f"Replicas — min_copies {self.arc.settings.min_copies} · {len(rows)} bagged record{plural}, "
                f"{short} short of it")
        self.query_one("#replicas-head", Label).update(head)
        if not self.names:
            return
        table = self.query_one("#replicas", DataTable)
        cursor = table.cursor_row
        table.clear()
        for name in self.names:
            good = sum(1 for r in rows if name in (r.get("good_on") or ()))
            table.add_row(name, self.arc.settings.replicas[name].url, str(good), str(len(rows) - good),
                          key=name)
        table.move_cursor(row=min(cursor, len(self.names) - 1))

    def selected(self) -> str | None:
        """The replica under the cursor, or a note saying there is none."""
        if not self.names:
            self.notify(NO_REPLICAS, severity="warning")
            return None
        return self.names[self.query_one("#replicas", DataTable).cursor_row]

    # ----- the jobs --------------------------------------------------------------------------
    def action_replicate(self, every: bool) -> None:
        names = self.names if every else [n for n in [self.selected()] if n]
        if not names:
            return
        self.run_job(f"Replicating to {', '.join(names)}",
                     lambda progress, cancel: library.replicate(
                         self.arc, None if every else names, progress=progress, cancel=cancel))

    def action_check(self, fast: bool) -> None:
        name = self.selected()
        if name:
            self.run_job(f"{'Fast-checking' if fast else 'Checking'} {name}",
                         lambda progress, cancel: library.verify_replica(
                             self.arc, name, fast=fast, progress=progress, cancel=cancel))

    def action_repair(self) -> None:
        if self.selected():
            self.run_job("Repairing local bags from replicas",
                         lambda progress, cancel: library.repair(self.arc, progress=progress, cancel=cancel))

    def action_repair_replica(self) -> None:
        name = self.selected()
        if name:
            self.run_job(f"Repairing {name} from the local copy",
                         lambda progress, cancel: library.repair_replica(
                             self.arc, name, progress=progress, cancel=cancel))

    def run_job(self, what: str, job: Job) -> None:
        """Start long work in a thread (one at a time), as the main screen runs its jobs."""
        if self.job_name is not None:
            self.notify(f"{self.job_name} is still running; wait for it or press Escape.",
                        severity="warning")
            return
        self.job_name = what
        self.cancel_event = threading.Event()
        self.query_one("#replica-results", Static).update("")
        self.query_one(ProgressPanel).start(what, cancellable=True)
        start_resource_tracker()  # checking and repairing may run worker processes
        self._job_worker(what, job, self.cancel_event)

    @work(thread=True, exclusive=True, group="replica-job", exit_on_error=False)
    def _job_worker(self, what: str, job: Job, cancel: threading.Event) -> None:
        panel = self.query_one(ProgressPanel)

        def progress(step: Step) -> None:
            self.app.call_from_thread(panel.advance, step.done, step.total)

        try:
            result = job(progress, cancel.is_set)
        except ArchiveError as exc:
            log.warning("%s failed: %s", what, exc)
            self.app.call_from_thread(self._job_ended, what, None, str(exc), cancel)
        except Exception as exc:
            log.exception("%s stopped on an unexpected problem", what)
            self.app.call_from_thread(self._job_ended, what, None,
                                      f"{what} stopped on an unexpected problem: {exc}", cancel)
        else:
            self.app.call_from_thread(self._job_ended, what, result, None, cancel)

    def _job_ended(self, what: str, result: Any, error: str | None, cancel: threading.Event) -> None:
        self.job_name = None
        self.cancel_event = None
        self.jobs_ended += 1
        self.query_one(ProgressPanel).stop()
        self.arc.store.refresh()
        self.reload()
        results = self.query_one("#replica-results", Static)
        if error is not None:
            results.update(Text(error, style="bold red"))
            self.notify(error, title=f"{what} failed", severity="error", timeout=10)
            return
        ok = bool(getattr(result, "ok", True))
        text = Text("\n".join(str(line) for line in result.lines()), style="" if ok else "bold red")
        for line in getattr(result, "failures", list)():  # replicate names each failure apart
            text.append(f"\n{line}", style="bold red")
        if cancel.is_set():
            text.append("\nCancelled: what was confirmed before Escape stays recorded.", style="yellow")
        results.update(text)
        outcome = "cancelled" if cancel.is_set() else ("done" if ok else "problems found")
        self.notify(f"{what}: {outcome}", severity="information" if ok else "error")

    # ----- leaving ---------------------------------------------------------------------------
    def action_escape(self) -> None:
        if self.cancel_event is not None:
            if not self.cancel_event.is_set():
                self.cancel_event.set()
                self.notify(f"Cancelling {self.job_name}…")
            return
        self.dismiss(None)

    def action_close(self) -> None:
        if self.job_name is not None:
            self.notify(f"{self.job_name} is running; press Escape to cancel it first.", severity="warning")
            return
        self.dismiss(None)
