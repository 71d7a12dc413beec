"""The bar shown while long work runs: what is being done, a count, and how to cancel it."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class ProgressPanel(Horizontal):
    """Hidden until a job starts; shows 'Verifying 12/40' with a bar and an Escape hint."""

    DEFAULT_CSS = """
    ProgressPanel { height: 1; display: none; background: $boost; }
    ProgressPanel.-running { display: block; }
    ProgressPanel #job-label { width: auto; padding: 0 1; }
    ProgressPanel ProgressBar { width: 1fr; }
    ProgressPanel #job-count { width: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="job-label")
        yield ProgressBar(show_eta=False, show_percentage=False, id="job-bar")
        yield Label("", id="job-count")

    def start(self, what: str, cancellable: bool) -> None:
        hint = "  (Esc cancels)" if cancellable else ""
        self.query_one("#job-label", Label).update(f"{what}{hint}")
        self.query_one("#job-count", Label).update("")
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.add_class("-running")

    def advance(self, done: int, total: int, **_: Any) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        self.query_one("#job-count", Label).update(f"{done}/{total}")

    def stop(self) -> None:
        self.remove_class("-running")
