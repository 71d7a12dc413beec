"""Verify results: each bag's outcome, the failing files with what is wrong, and the totals.

The report comes from archive.fixity as JSON-serialisable data; this screen only reads it, so
what it shows is exactly what the exported JSON says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static

from archive.errors import ArchiveError
from archive.outputs import check_output_path
from tui.formatting import FIXITY_MARKS
from tui.widgets.footer import SteadyFooter

OUTCOME_STYLES = {"success": "green", "failure": "bold red", "warning": "yellow"}


def as_data(report: Any) -> dict:
    """The report as plain data, whatever shape of object the library hands back."""
    if isinstance(report, dict):
        return report
    for name in ("as_dict", "to_dict", "to_json_data", "as_json_data"):
        method = getattr(report, name, None)
        if callable(method):
            return method()
    from dataclasses import asdict, is_dataclass

    if is_dataclass(report):
        return asdict(report)  # type: ignore[arg-type]
    return {"bags": [], "totals": {}}


def outcome_text(outcome: str) -> Text:
    mark = FIXITY_MARKS.get(outcome, "?")
    label = "FAILED" if outcome == "failure" else outcome
    return Text(f"{mark} {label}", style=OUTCOME_STYLES.get(outcome, ""))


def bags_of(data: dict) -> list[dict]:
    return list(data.get("bags") or data.get("results") or [])


def files_of(bag: dict) -> list[dict]:
    return list(bag.get("files") or bag.get("failures") or bag.get("problems") or [])


def results_table(data: dict) -> Table:
    """One line per bag, and under a failing bag one line per failing file with its kind."""
    table = Table(expand=True, box=None, padding=(0, 1))
    table.add_column("Bag", no_wrap=True)
    table.add_column("Outcome", no_wrap=True)
    table.add_column("Details", ratio=1)
    for bag in bags_of(data):
        name = (f"{bag['record_id']} v{bag.get('version', '?')}" if bag.get("record_id")
                else bag.get("path", "?"))
        _add_checked(table, str(name), bag, standing_message(bag))
    for source in data.get("sources") or []:
        _add_checked(table, f"{source.get('record_id', '?')} working copy", source, "")
    for orphan in data.get("orphans") or []:
        table.add_row(str(orphan), Text("! orphan", style="yellow"), "no record claims this bag folder")
    for leftover in data.get("leftovers") or []:
        table.add_row(str(leftover), Text("! leftover", style="yellow"), "left in sources/ by a killed run")
    return table


def state_of(bag: dict) -> str:
    """The bag's fixity after the check: a fast check that found nothing keeps a standing failure."""
    return str(bag.get("state") or bag.get("outcome", "?"))


def standing_message(bag: dict) -> str:
    return str(bag.get("standing_note") or bag.get("message") or "")


def _add_checked(table: Table, name: str, checked: dict, message: str) -> None:
    """A bag or working copy, then one line per failing file with its kind."""
    table.add_row(name, outcome_text(state_of(checked)), message)
    for failing in files_of(checked):
        kind = str(failing.get("kind", "?"))
        where = str(failing.get("path") or "")
        text = str(failing.get("message") or "")
        table.add_row("", Text(f"  ✗ {kind}", style="bold red"), f"{where}: {text}" if where else text)


def totals_text(data: dict, cancelled: bool) -> Text:
    totals = data.get("totals") or {}
    always = ("checked", "success", "warning", "failure")
    parts = [f"{key.replace('_', ' ')} {value}" for key, value in totals.items()
             if key in always or (value and not key.endswith("bytes"))]
    text = Text("Totals  " + ("  ".join(parts) if parts else "none"), style="bold")
    if cancelled or data.get("cancelled"):
        text.append("\nCancelled before every bag was checked.", style="yellow")
    if data.get("unrecorded"):
        text.append(f"\n{data['unrecorded']}: these results are in this report only.", style="yellow")
    return text


class VerifyResultsScreen(Screen[None]):
    """The latest verification; e exports it as the JSON report."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("e", "export", "Export JSON"),
    ]
    DEFAULT_CSS = """
    VerifyResultsScreen #verify-head { height: auto; padding: 0 1; background: $primary-background; }
    VerifyResultsScreen #verify-body { height: 1fr; padding: 0 1; }
    VerifyResultsScreen #verify-totals { height: auto; padding: 0 1; }
    """

    def __init__(self, report: Any, *, cancelled: bool = False) -> None:
        super().__init__()
        self.data = as_data(report)
        self.cancelled = cancelled

    def compose(self) -> ComposeResult:
        failing = [b for b in bags_of(self.data) if state_of(b) == "failure"]
        copies = [s for s in self.data.get("sources") or [] if s.get("outcome") == "failure"]
        found = [f"{len(failing)} bag(s)"] if failing else []
        found += [f"{len(copies)} working cop{'y' if len(copies) == 1 else 'ies'}"] if copies else []
        head = (f"Verify results — ✗ {' and '.join(found)} failed" if found
                else "Verify results — ✓ no failures")
        yield Static(head, id="verify-head")
        with VerticalScroll(id="verify-body"):
            yield Static(results_table(self.data), id="verify-table")
        yield Static(totals_text(self.data, self.cancelled), id="verify-totals")
        yield SteadyFooter()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is None:
                return
            try:
                path = check_output_path(self.app.arc.root, path, what="report")  # type: ignore[attr-defined]
                path.write_text(json.dumps(self.data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            except ArchiveError as exc:
                self.notify(str(exc), severity="error")
                return
            except OSError as exc:
                self.notify(f"Could not write {path}: {exc.strerror}", severity="error")
                return
            self.notify(f"Report written to {path}.")

        self.app.push_screen(SavePathScreen("Export the verify report", "verify-report.json"), chosen)


class SavePathScreen(ModalScreen[Path | None]):
    """Asks where to write a file; refuses a missing folder in plain words."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = "SavePathScreen { align: center middle; }"

    def __init__(self, title: str, default_name: str) -> None:
        super().__init__()
        self.title_text = title
        self.default = str(Path.cwd() / default_name)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(self.default, id="save-path")
            yield Static("", id="save-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Write", id="write", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#write")
    def _write(self) -> None:
        path = Path(self.query_one(Input).value.strip()).expanduser()
        if not path.parent.is_dir():
            self.query_one("#save-error", Static).update(f"no folder {path.parent}")
            return
        self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
