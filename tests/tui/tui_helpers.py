"""What the TUI tests share besides fixtures (see tests/helpers.py for why not conftest.py).

Never a fixed pause: a test waits for the event it needs (workers done, a screen pushed, a field
updated) with :func:`wait_until`, whose timeout only guards against a hang, so a slow or loaded
machine makes a test slower, never red.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from archive.layout import open_archive
from tui.app import ArchiveApp

HANG = 120.0
"""Seconds without the awaited event before a test calls it a hang (a guard, not a wait)."""


def block_until_cancelled(cancel: Callable[[], bool], what: str) -> None:
    """Hold a worker thread until the app cancels it: the app's cancel predicate is a
    ``threading.Event``'s ``is_set``, so this waits on that event (woken the moment Escape sets
    it), with HANG only as a guard against a hang."""
    event = getattr(cancel, "__self__", None)
    assert event is not None and hasattr(event, "wait"), "cancel is not an Event's is_set"
    assert event.wait(HANG), f"the app never cancelled {what}"


def make_app(root: Path) -> ArchiveApp:
    """The app as ``archive tui`` starts it, minus the terminal."""
    return ArchiveApp(open_archive(root))


def screen_text(app: ArchiveApp) -> str:
    """What the terminal shows, as plain text, for asserting on what an archivist reads."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def wait_until(condition: Callable[[], object], pilot, what: str, timeout: float = HANG) -> None:
    """Let the app run (``pilot.pause()``: pending messages, then idle) until ``condition()`` holds.

    ``what`` names the awaited event for the failure message; the timeout only catches a hang.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}; the screen shows:\n"
                                 f"{screen_text(pilot.app)}")
        await pilot.pause()


async def settle(pilot, app: ArchiveApp, timeout: float = HANG) -> None:
    """Wait for workers and for the detail pane to show the record under the cursor."""
    from tui.screens.main import MainScreen

    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.main_screen

    def settled() -> bool:
        if not isinstance(app.screen, MainScreen) and app.screen is not screen:
            return True  # a job's result screen (or a dialog) is up: nothing more to show here
        if not screen.detail.built:
            return False  # built once the first rows are drawn
        shown = screen.detail.record["id"] if screen.detail.record else None
        return screen.table.current_id == shown and screen.detail.search_query == screen.query_text

    await wait_until(settled, pilot, "the detail pane to show the selected record", timeout)
    await app.workers.wait_for_complete()


async def wait_for_screen(pilot, kind: type, what: str | None = None, *, focused: bool = True):
    """Wait until a screen of ``kind`` is on top and mounted and, with ``focused``, holds the
    focus if it takes any: only then do keys pressed next reach its widgets. Returns the screen.
    (A screen shown again after a dialog may keep no focus: pass ``focused=False`` for it.)"""
    app = pilot.app

    def ready() -> bool:
        screen = app.screen
        if not isinstance(screen, kind) or not screen.is_mounted:
            return False
        if not focused or not screen.focus_chain:
            return True
        return app.focused is not None and app.focused.screen is screen

    await wait_until(ready, pilot, what or f"the {kind.__name__} to be up")
    return app.screen


async def wait_for_text(pilot, text: str, *, shown: bool = True) -> None:
    """Wait until ``text`` is (or, with ``shown=False``, is no longer) on the terminal."""
    app = pilot.app
    await wait_until(lambda: (text in screen_text(app)) is shown, pilot,
                     f"{text!r} to be {'shown' if shown else 'gone'}")


async def focus(pilot, widget) -> None:
    """Give ``widget`` the focus and wait until it has it: focus moves through the message queue,
    and a rebuild (a list adding an entry) may move it again, so ask until it stays."""
    app = pilot.app

    def has_focus() -> bool:
        if app.focused is not widget:
            widget.focus()
            return False
        return True

    await wait_until(has_focus, pilot, f"focus on {widget!r}")


async def wait_for_notice(pilot, text: str) -> None:
    """Wait until the app has raised a notification (a toast) containing ``text``.

    Read from the app's notification list: headless runs do not paint toasts into the screen.
    """
    app = pilot.app
    await wait_until(lambda: any(text in n.message for n in app._notifications), pilot,
                     f"a notification saying {text!r}")
