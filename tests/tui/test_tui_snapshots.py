"""Snapshots of the four named screens at 80×24 and 120×40 (and the main screen in the light theme).

Times, ids, user names and the uuid are fixed (see ``snap_root``) and cursors do not blink, so the
pictures only change when the screens do.
"""

from __future__ import annotations

import pytest
from test_tui_jobs import bagged_archive, tamper
from textual.widgets import Input, TextArea
from tui_helpers import make_app, settle

SIZES = [(80, 24), (120, 40)]


def no_blink(app) -> None:
    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False


async def ready(pilot) -> None:
    await settle(pilot, pilot.app)
    no_blink(pilot.app)
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_with_the_seed_record(snap_compare, snap_root, size):
    assert snap_compare(make_app(snap_root), terminal_size=size, run_before=ready)


def test_main_screen_light_theme(snap_compare, snap_root):
    app = make_app(snap_root)

    async def light(pilot) -> None:
        pilot.app.theme = "textual-light"
        await ready(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=light)


@pytest.mark.parametrize("size", SIZES)
def test_form_showing_validation_errors(snap_compare, snap_root, size):
    async def invalid(pilot) -> None:
        await ready(pilot)
        await pilot.press("e")
        await pilot.pause(0.2)
        pilot.app.screen.query_one("#f-title Input", Input).focus()
        await pilot.press("home", "ctrl+k")
        pilot.app.screen.query_one("#f-issued Input", Input).focus()
        await pilot.press("home", "ctrl+k", *"2016-13-45")
        no_blink(pilot.app)
        await pilot.pause(0.2)

    assert snap_compare(make_app(snap_root), terminal_size=size, run_before=invalid)


@pytest.mark.parametrize("size", SIZES)
def test_verify_results_with_one_failure(snap_compare, snap_root, size):
    [record_id] = bagged_archive(snap_root)
    tamper(snap_root, record_id)

    async def verify(pilot) -> None:
        await ready(pilot)
        await pilot.press("v")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)

    assert snap_compare(make_app(snap_root), terminal_size=size, run_before=verify)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, snap_root, size):
    async def help_screen(pilot) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.1)

    assert snap_compare(make_app(snap_root), terminal_size=size, run_before=help_screen)
