"""The deposit dialog: format, destination, profile check, and the outcome."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class DepositScreen(ModalScreen[None]):
    """Placeholder until archive.deposit lands."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = "DepositScreen { align: center middle; }"

    def __init__(self, arc: Any, ids: list[str]) -> None:
        super().__init__()
        self.arc = arc
        self.ids = ids

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Deposit", classes="dialog-title")
            yield Static("Deposit is not available yet in this copy of article-archive.")

    def action_close(self) -> None:
        self.dismiss(None)
