"""The deposit dialog: format, destination, profile, and the outcome, all in one place.

The deposit itself runs in a thread worker (archive.deposit validates and serialises the bag),
and the dialog stays open to show what was written and, for a refused record, why.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, ProgressBar, Select, Static

from archive.errors import ArchiveError
from archive.progress import Step
from tui import library
from tui.processes import start_resource_tracker

log = logging.getLogger(__name__)
"""Deposit failures, logged besides the outcome line (a bug with its traceback)."""

FORMATS = ("tar", "tar.gz", "zip")


def outcome_text(report: Any) -> Text:
    """What was written (with its sha256), what to know about it (a record changed after its
    bag), and what was refused (with every reason)."""
    data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    text = Text()
    for written in data.get("written", []):
        text.append(f"✓ {written['record_id']} v{written['version']} → {written['path']}\n", style="green")
        text.append(f"  sha256 {written['sha256']}\n")
    for warning in data.get("warnings", []):
        text.append(f"! {warning['message']}\n", style="yellow")
    for refused in data.get("refused", []):
        text.append(f"✗ {refused['id']} not deposited\n", style="bold red")
        for reason in refused["reasons"]:
            text.append(f"  {reason}\n", style="red")
    return text or Text("Nothing to deposit.")


class DepositScreen(ModalScreen[Any]):
    """Dismisses with the deposit report (or None when closed without depositing)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    DepositScreen { align: center middle; }
    DepositScreen #deposit-outcome { height: auto; max-height: 10; }
    DepositScreen ProgressBar { display: none; }
    DepositScreen.-running ProgressBar { display: block; }
    """

    def __init__(self, arc: Any, ids: list[str]) -> None:
        super().__init__()
        self.arc = arc
        self.ids = ids
        self.report: Any = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Deposit {', '.join(self.ids)}", classes="dialog-title")
            yield Static("Format", classes="hint")
            yield Select([(f, f) for f in FORMATS], value="tar", allow_blank=False, id="deposit-format",
                         compact=True)
            yield Static("Destination folder", classes="hint")
            yield Input(str(self.arc.deposits_dir), id="deposit-to", compact=True)
            yield Static("BagIt profile (empty: the shipped article-archive profile)", classes="hint")
            yield Input("", id="deposit-profile", placeholder="path to a profile JSON", compact=True)
            yield ProgressBar(show_eta=False, id="deposit-bar")
            yield Static("", id="deposit-outcome")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", compact=True)
                yield Button("Deposit", id="deposit", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#deposit-format", Select).focus()

    @on(Button.Pressed, "#deposit")
    def start(self) -> None:
        to = self.query_one("#deposit-to", Input).value.strip()
        profile = self.query_one("#deposit-profile", Input).value.strip()
        outcome = self.query_one("#deposit-outcome", Static)
        if not to:
            outcome.update(Text("Choose a destination folder.", style="bold red"))
            return
        if profile and not Path(profile).expanduser().is_file():
            outcome.update(Text(f"No profile file {profile}.", style="bold red"))
            return
        fmt = str(self.query_one("#deposit-format", Select).value)
        self.add_class("-running")
        self.query_one("#deposit", Button).disabled = True
        outcome.update("Depositing…")
        start_resource_tracker()  # bagging for the deposit runs worker processes
        self._deposit(fmt, Path(to).expanduser(), Path(profile).expanduser() if profile else None)

    @work(thread=True, exclusive=True, group="deposit", exit_on_error=False)
    def _deposit(self, fmt: str, to: Path, profile: Path | None) -> None:
        bar = self.query_one(ProgressBar)

        def progress(step: Step) -> None:
            self.app.call_from_thread(bar.update, total=max(step.total, 1), progress=step.done)

        try:
            report = library.deposit_records(self.arc, self.ids, fmt=fmt, to=to, profile=profile,
                                             progress=progress)
        except ArchiveError as exc:
            log.warning("deposit failed: %s", exc)
            self.app.call_from_thread(self._finished, None, str(exc))
        except Exception as exc:  # shown as a sentence; the traceback goes to the log
            log.exception("deposit stopped on an unexpected problem")
            message = f"deposit stopped on an unexpected problem: {exc}"
            self.app.call_from_thread(self._finished, None, message)
        else:
            self.app.call_from_thread(self._finished, report, None)

    def _finished(self, report: Any, error: str | None) -> None:
        self.remove_class("-running")
        self.query_one("#deposit", Button).disabled = False
        outcome = self.query_one("#deposit-outcome", Static)
        if error is not None:
            outcome.update(Text(error, style="bold red"))
            return
        self.report = report
        outcome.update(outcome_text(report))
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(self.report)
