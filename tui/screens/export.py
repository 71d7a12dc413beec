"""Exporting a record's citation to a file in a chosen format."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ExportScreen(ModalScreen[None]):
    """Placeholder until archive.citation.render lands."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = "ExportScreen { align: center middle; }"

    def __init__(self, record: dict) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Export citation", classes="dialog-title")
            yield Static("Not available yet.")

    def action_close(self) -> None:
        self.dismiss(None)
