"""Picking an article file (or a folder to import) with a DirectoryTree and a typed path.

An archivist who knows the path can type it; one who does not can browse. Enter on a file in
the tree, or Enter in the path field, chooses.

Adding an article (``a``) opens this screen with ``capture``: most articles are online, so the
same screen offers "Capture URL…" instead of a file, and a web address typed (or pasted) as the
path goes there too. The picker only hands the address on; the capture dialog and its job are
``tui/screens/capture.py``'s, shared with the command palette's "Capture URL".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Static

from tui.screens.capture import CaptureURLScreen, looks_like_url


class PickFileScreen(ModalScreen[Path | None]):
    """Dismisses with the chosen path, or None when cancelled or when capture was chosen instead.

    ``capture(urls, allow_private)`` (the add flow's) is called once the capture dialog, opened
    over this screen with the address typed as the path, has been answered and this screen has
    closed; Escape in that dialog comes back here. Without it the screen offers no capture.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PickFileScreen { align: center middle; }
    PickFileScreen .dialog { width: 90; height: 90%; }
    PickFileScreen DirectoryTree { height: 1fr; }
    """

    def __init__(self, start: Path | None = None, *, folders: bool = False,
                 capture: Callable[[list[str], bool], None] | None = None) -> None:
        super().__init__()
        self.start = (start or Path.cwd()).resolve()
        self.folders = folders
        self.capture = None if folders else capture

    def compose(self) -> ComposeResult:
        what = "a folder to import" if self.folders else "the article file to add"
        if self.capture is not None:
            what += ", or capture a web page"
        with Vertical(classes="dialog"):
            yield Static(f"Choose {what}", classes="dialog-title")
            placeholder = "path, or a web address to capture" if self.capture else "path"
            yield Input(str(self.start) + "/", id="path", placeholder=placeholder)
            yield DirectoryTree(self.start, id="tree")
            yield Static("", id="pick-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                if self.capture is not None:
                    yield Button("Capture URL…", id="capture-url")
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
        if self.capture is not None and looks_like_url(text):
            self.capture_instead()
            return
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

    @on(Button.Pressed, "#capture-url")
    def capture_instead(self) -> None:
        """Ask for the URLs over this screen, then close it and hand them to ``capture``.

        The dialog is pushed from here, not after closing, so its answer comes back to a screen
        that still exists (Textual calls a screen's result callback on the screen that pushed it).
        """
        capture = self.capture
        if capture is None:
            return
        text = self.query_one("#path", Input).value.strip()

        def chosen(answer: tuple[list[str], bool] | None) -> None:
            if answer:
                self.dismiss(None)
                capture(*answer)

        self.app.push_screen(CaptureURLScreen(text if looks_like_url(text) else ""), chosen)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
