"""What the TUI tests share besides fixtures (see tests/helpers.py for why not conftest.py)."""

from __future__ import annotations

from pathlib import Path

from archive.layout import open_archive
from tui.app import ArchiveApp


def make_app(root: Path) -> ArchiveApp:
    """The app as ``archive tui`` starts it, minus the terminal."""
    return ArchiveApp(open_archive(root))


def screen_text(app: ArchiveApp) -> str:
    """What the terminal shows, as plain text, for asserting on what an archivist reads."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(pilot, app: ArchiveApp, timeout: float = 10.0) -> None:
    """Wait for workers and for the detail pane to show the record under the cursor."""
    import time

    from tui.screens.main import MainScreen

    deadline = time.monotonic() + timeout
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.main_screen
    while time.monotonic() < deadline:
        if not isinstance(app.screen, MainScreen) and app.screen is not screen:
            return
        wanted = screen.table.current_id
        shown = screen.detail.record["id"] if screen.detail.record else None
        if wanted == shown and screen.detail.search_query == screen.query_text:
            return
        await pilot.pause(0.05)
    raise AssertionError("the detail pane never showed the selected record")
