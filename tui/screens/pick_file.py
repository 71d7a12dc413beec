"""Picking an article file (or a folder to import) with a DirectoryTree and a typed path.

An archivist who knows the path can type it; one who does not can browse. Enter on a file in
the tree, or Enter in the path field, chooses.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Static


class PickFileScreen(ModalScreen[Path | None]):
    """Dismisses with the chosen path, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PickFileScreen { align: center middle; }
    PickFileScreen .dialog { width: 90; height: 90%; }
    PickFileScreen DirectoryTree { height: 1fr; }
    """

    def __init__(self, start: Path | None = None, *, folders: bool = False) -> None:
        super().__init__()
        self.start = (start or Path.cwd()).resolve()
        self.folders = folders

    def compose(self) -> ComposeResult:
        what = "a folder to import" if self.folders else "the article file to add"
        with Vertical(classes="dialog"):
            yield Static(f"Choose {what}", classes="dialog-title")
            yield Input(str(self.start) + "/", id="path", placeholder="path")
            yield DirectoryTree(self.start, id="tree")
            yield Static("", id="pick-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Choose", id="choose", variant="primary")

    def on_mount(self) -> None:
        self.query_one(DirectoryTree).focus()

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)
        if not self.folders:
            self.choose()

    @on(DirectoryTree.DirectorySelected)
    def _folder(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#path", Input).value = str(event.path)

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#choose")
    def choose(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        path = Path(text).expanduser() if text else None
        error = self.query_one("#pick-error", Static)
        if path is None or not path.exists():
            error.update(f"{text or 'nothing'}: no such file or folder")
        elif self.folders and not path.is_dir():
            error.update(f"{path.name} is a file; choose a folder to import")
        elif not self.folders and not path.is_file():
            error.update(f"{path.name} is a folder; choose an article file")
        else:
            self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
