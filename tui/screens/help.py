"""The help screen: every key of the app, from the same list the bindings are made of."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import KEY_ACTIONS, display_key

OTHER_KEYS = (
    ("↑ ↓ PgUp PgDn", "Move through the records"),
    ("Home / End", "First / last record"),
    ("Enter", "Edit the record under the cursor"),
    ("Tab / shift+Tab", "Move between search, table and detail tabs"),
    ("Escape", "Cancel running work, clear the search, close a dialog"),
    ("F5", "Refresh, like ctrl+r"),
    ("ctrl+p", "Command palette: every action by name"),
    ("ctrl+s", "Save, in the record form"),
    ("ctrl+q", "Quit from anywhere (asks first about unsaved changes)"),
)


def keys_table() -> Table:
    table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("what", ratio=1)
    for entry in KEY_ACTIONS:
        table.add_row(display_key(entry.key), f"{entry.name} — {entry.help}")
    for key, what in OTHER_KEYS:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Every key; Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 100%; height: auto; max-height: 100%; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static("Keys", classes="dialog-title")
            yield Static(keys_table(), id="keys")

    def action_close(self) -> None:
        self.dismiss(None)
