"""The Textual application: one archive, the main screen, the command palette and themes."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.events import AppFocus
from textual.screen import Screen

from tui.keys import KEY_ACTIONS
from tui.screens.main import MainScreen

SWITCH_INTERVAL_S = 0.0005
"""How long the UI thread may wait for the interpreter while a worker thread computes.

Listing and search run in worker threads; every time the UI thread waits for input (each turn
of the event loop) it lets go of the GIL, and taking it back from a busy thread waits for the
switch interval, 5 ms by default. A keystroke takes a few dozen turns, so 5 ms each would cost
the 50 ms it is allowed; half a millisecond costs little, and the workers barely notice."""


class ArchiveApp(App):
    """article-archive in the terminal; every action also sits in the command palette."""

    TITLE = "article-archive"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, arc: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arc = arc
        self.main_screen = MainScreen(arc)

    def on_mount(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.push_screen(self.main_screen)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)  # the process (a test run) may go on

    def on_app_focus(self, _: AppFocus) -> None:
        """Coming back to the terminal is when an archivist expects to see the CLI's changes."""
        if self.screen is self.main_screen:
            self.main_screen.look_for_changes()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.main_screen:
            return
        for entry in KEY_ACTIONS:
            if entry.action == "quit":
                continue
            yield SystemCommand(entry.name, entry.help, partial(screen.run_action, entry.action))
        from tui.screens import capture

        yield SystemCommand(capture.CAPTURE_NAME, capture.CAPTURE_HELP,
                            partial(capture.start_capture, screen))
        yield SystemCommand(capture.DIFF_NAME, capture.DIFF_HELP, partial(capture.show_diff, screen))

    async def action_quit(self) -> None:
        """Quit, unless a form holds unsaved changes: then the form asks first."""
        from tui.screens.record_form import RecordFormScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, RecordFormScreen) and screen.is_dirty:
                if screen is not self.screen:
                    self.notify("Close the open dialog first; the record form has unsaved changes.")
                    return
                screen.ask_to_leave(then_quit=True)
                return
        self.exit()
