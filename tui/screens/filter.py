"""Choosing which status of records the table shows."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.formatting import STATUSES

ALL = "(all)"


class StatusFilterScreen(ModalScreen[str | None | bool]):
    """Dismisses with a status, None for all, or False when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = "StatusFilterScreen { align: center middle; } StatusFilterScreen .dialog { width: 40; }"

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Show records of status", classes="dialog-title")
            options = [Option("all statuses", id=ALL), *(Option(s, id=s) for s in STATUSES)]
            yield OptionList(*options, id="statuses")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.highlighted = option_list.get_option_index(self.current or ALL)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id
        self.dismiss(None if chosen == ALL else chosen)

    def action_cancel(self) -> None:
        self.dismiss(False)
