"""A question with a few plain answers, for choices that must not happen by accident."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ChoiceScreen(ModalScreen[str]):
    """Dismisses with the id of the chosen answer; Escape picks ``cancel_id``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = "ChoiceScreen { align: center middle; } ChoiceScreen .dialog { width: 70; }"

    def __init__(self, title: str, message: str, answers: list[tuple[str, str]], *,
                 cancel_id: str, default_id: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.answers = answers
        self.cancel_id = cancel_id
        self.default_id = default_id or cancel_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(self.message, id="message")
            with Horizontal(classes="buttons"):
                for answer_id, label in self.answers:
                    variant = "primary" if answer_id == self.default_id else "default"
                    yield Button(label, id=answer_id, variant=variant)

    def on_mount(self) -> None:
        self.query_one(f"#{self.default_id}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or self.cancel_id)

    def action_cancel(self) -> None:
        self.dismiss(self.cancel_id)
