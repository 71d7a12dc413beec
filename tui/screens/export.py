"""Exporting a record's citation to a file, in a format the archivist picks.

The text comes from archive.citation, the same as ``archive export``; the dialog previews it
before anything is written, and refuses a destination folder that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from archive.errors import ArchiveError
from tui import library

CITATION_FORMATS = ("csl-json", "bibtex", "biblatex", "ris", "text")


class ExportScreen(ModalScreen[Path | None]):
    """Dismisses with the written file, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen #export-preview { height: 8; border: round $panel-lighten-2; }
    """

    def __init__(self, record: dict, archive_name: str | None = None, folder: Path | None = None) -> None:
        super().__init__()
        self.record = record
        self.archive_name = archive_name
        self.folder = folder or Path.cwd()
        available = library.citation_formats()
        self.formats = [f for f in CITATION_FORMATS if f in available]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Export the citation of {self.record['id']}", classes="dialog-title")
            yield Select([(f, f) for f in self.formats], value=self.formats[0], allow_blank=False,
                         id="export-format")
            yield Input(self.default_path(self.formats[0]), id="export-path")
            with VerticalScroll(id="export-preview"):
                yield Static("", id="export-text", markup=False)
            yield Static("", id="export-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Write", id="write", variant="primary", compact=True)

    def default_path(self, fmt: str) -> str:
        return str(self.folder / f"{self.record['id']}{library.citation_suffix(fmt)}")

    def on_mount(self) -> None:
        if self.formats:
            self._preview()
            self.query_one("#export-format", Select).focus()

    def rendered(self) -> str:
        fmt = str(self.query_one("#export-format", Select).value)
        return library.render_citation(self.record, fmt, self.archive_name)

    def _preview(self) -> None:
        try:
            self.query_one("#export-text", Static).update(self.rendered())
        except ArchiveError as exc:
            self.query_one("#export-error", Static).update(str(exc))

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        self.query_one("#export-path", Input).value = self.default_path(str(event.value))
        self._preview()

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#write")
    def write(self) -> None:
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        error = self.query_one("#export-error", Static)
        if not path.parent.is_dir():
            error.update(f"No folder {path.parent}; choose an existing folder.")
            return
        try:
            path.write_text(self.rendered(), encoding="utf-8")
        except ArchiveError as exc:
            error.update(str(exc))
            return
        except OSError as exc:
            error.update(f"Could not write {path}: {exc.strerror}")
            return
        self.notify(f"Citation written to {path}.")
        self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
