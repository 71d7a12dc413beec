"""Web capture in the app: the "Capture URL" dialog (run as a job with progress) and the diff view.

Both are reached from the command palette (``tui/app.py`` registers them); "Capture URL" is also
in the add flow (``a``: the file picker's "Capture URL…" button, or a web address typed as the
path; ``tui/screens/pick_file.py``). Either way the capture runs the library's ``capture_many`` in
the main screen's job worker, exactly as ``archive capture`` does: concurrent across hosts, polite
within one, a progress bar and count, a notice listing what failed and why, and then the new
record selected in the table, as after adding a file.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from tui import library

CAPTURE_NAME = "Capture URL"
CAPTURE_HELP = "Fetch web pages into WARCs and catalogue them (also a list of URLs, space-separated)"
DIFF_NAME = "Show what changed on recapture"
DIFF_HELP = "The words that changed between the selected capture and its recapture"


def looks_like_url(text: str) -> bool:
    """A web address rather than a path: what the add flow's path field hands to capture."""
    return text.strip().lower().startswith(("http://", "https://"))


class CaptureURLScreen(ModalScreen[tuple[list[str], bool] | None]):
    """Asks for URLs; dismisses with (urls, allow_private), or None when cancelled.

    ``urls`` fills the field in advance: the address typed into the add flow's file picker.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    CaptureURLScreen { align: center middle; }
    CaptureURLScreen .dialog { width: 76; height: auto; }
    CaptureURLScreen #capture-problem { color: $error; height: auto; }
    CaptureURLScreen Horizontal { height: auto; }
    """

    def __init__(self, urls: str = "") -> None:
        super().__init__()
        self.urls = urls

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Capture web pages", classes="dialog-title")
            yield Input(self.urls, placeholder="https://example.org/news/story", id="capture-urls")
            yield Checkbox("Allow private and loopback addresses", id="capture-private")
            yield Static("", id="capture-problem")
            with Horizontal():
                yield Button("Capture", id="capture-go", variant="primary")
                yield Button("Cancel", id="capture-cancel")

    def on_mount(self) -> None:
        self.query_one("#capture-urls", Input).focus()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "capture-go":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        urls = self.query_one("#capture-urls", Input).value.split()
        if not urls:
            self.query_one("#capture-problem", Static).update("Give at least one URL.")
            return
        self.dismiss((urls, self.query_one("#capture-private", Checkbox).value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DiffScreen(ModalScreen[None]):
    """A capture and its recapture: both capture times, and the words that changed."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close"),
                                             Binding("q", "close", "Close", show=False)]
    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    DiffScreen .dialog { width: 90%; height: 80%; }
    DiffScreen .removed { color: $error; }
    """

    def __init__(self, diff: Any) -> None:
        super().__init__()
        self.diff = diff

    def compose(self) -> ComposeResult:
        from rich.text import Text

        diff = self.diff
        head = Text()
        head.append(f"− {diff.old_id}  captured {diff.old_captured}\n", style="bold red")
        head.append(f"+ {diff.new_id}  captured {diff.new_captured}", style="bold green")
        body = Text()
        for op, words in diff.ops:
            if op == "-":
                body.append(f"[-{words}-]", style="red strike")
            elif op == "+":
                body.append(f"{{+{words}+}}", style="green underline")
            else:
                body.append(words)
            body.append(" ")
        if not diff.changed:
            body = Text("The texts are the same.")
        with Vertical(classes="dialog"):
            yield Static("What changed on recapture", classes="dialog-title")
            yield Static(head, id="diff-head")
            with VerticalScroll():
                yield Static(body, id="diff-body")

    def action_close(self) -> None:
        self.dismiss(None)


def start_capture(main: Any) -> None:
    """The palette's "Capture URL": ask, then capture in the main screen's job worker."""

    def chosen(answer: tuple[list[str], bool] | None) -> None:
        if answer:
            run_capture(main, *answer)

    main.app.push_screen(CaptureURLScreen(), chosen)


def run_capture(main: Any, urls: list[str], allow_private: bool) -> None:
    """Capture ``urls`` in the main screen's job worker (the palette's and the add flow's)."""

    def job(progress: Any, cancel: threading.Event) -> Any:
        from archive.capture.catalogue import CaptureOptions

        options = CaptureOptions(allow_private=allow_private)
        return library.capture_many(main.arc, urls, options, progress=progress, cancel=cancel.is_set)

    def done(report: Any, cancelled: bool) -> None:
        failed = report.failed
        lines = [report.summary(), *(line.error or "" for line in failed[:5])]
        if cancelled and report.not_started:
            lines.insert(0, "Capture cancelled; run it again to capture the rest.")
        main.notify("\n".join(lines), title="Capture",
                    severity="warning" if failed or cancelled else "information", timeout=10)
        select_captured(main, report)

    main.run_job("Capturing", job, done, cancellable=True)


def select_captured(main: Any, report: Any) -> None:
    """Put the cursor on the first page captured (else the first already held), as after an add.

    A search or status filter that hides the record leaves the cursor where it was (the notice
    still names what was captured).
    """
    lines = [line for line in report.lines if line.id]
    lines.sort(key=lambda line: line.state != "captured")
    if not lines:
        return
    # The rows are read again in the background: the cursor lands on the record when its row
    # arrives (reload_rows' keep_id), or at once if it is already listed.
    main.forget_rows()
    main.reload_rows(keep_id=lines[0].id)
    if main.table.select_id(lines[0].id):
        main.show_detail()


def show_diff(main: Any) -> None:
    """The palette's diff view for the selected record (a capture or its recapture)."""
    from archive.capture.recapture import diff_captures
    from archive.errors import ArchiveError

    record = main.selected_record()
    if record is None:
        main.notify("Select a captured record first.", severity="warning")
        return
    try:
        diff = diff_captures(main.arc, record["id"])
    except ArchiveError as exc:
        main.notify(str(exc), title="No diff", severity="warning", timeout=8)
        return
    main.app.push_screen(DiffScreen(diff))
