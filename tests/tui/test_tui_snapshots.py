"""Snapshots of the four named screens at 80×24 and 120×40 (and the main screen in the light theme).

Times, ids, user names and the uuid are fixed (see ``snap_root``) and cursors do not blink, so the
pictures only change when the screens do.
"""

from __future__ import annotations

import pytest
from test_tui_jobs import bagged_archive, tamper
from textual.widgets import Input, TextArea
from tui_helpers import focus, make_app, settle, wait_for_screen, wait_for_text, wait_until

from tui.screens.help import HelpScreen
from tui.screens.record_form import RecordFormScreen
from tui.screens.verify_results import VerifyResultsScreen

SIZES = [(80, 24), (120, 40)]


def no_blink(app) -> None:
    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False


async def ready(pilot) -> None:
    await settle(pilot, pilot.app)
    no_blink(pilot.app)
    await pilot.wait_for_scheduled_animations()


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
        form = await wait_for_screen(pilot, RecordFormScreen)
        title, issued = form.query_one("#f-title Input", Input), form.query_one("#f-issued Input", Input)
        await focus(pilot, title)
        await pilot.press("home", "ctrl+k")
        await wait_until(lambda: title.value == "", pilot, "the title cleared")
        await focus(pilot, issued)
        await pilot.press("home", "ctrl+k", *"2016-13-45")
        await wait_until(lambda: issued.value == "2016-13-45", pilot, "the date typed")
        await wait_until(lambda: form.query_one("#f-issued").has_class("-invalid")
                         and form.query_one("#f-title").has_class("-invalid"), pilot, "both fields refused")
        await wait_for_text(pilot, "2 problem(s) to fix")
        no_blink(pilot.app)
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(make_app(snap_root), terminal_size=size, run_before=invalid)


@pytest.mark.parametrize("size", SIZES)
def test_verify_results_with_one_failure(snap_compare, snap_root, size):
    [record_id] = bagged_archive(snap_root)
    tamper(snap_root, record_id)

    async def verify(pilot) -> None:
        await ready(pilot)
        await pilot.press("v")
        await wait_for_screen(pilot, VerifyResultsScreen, focused=False)
        await wait_for_text(pilot, "failure 1")
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(make_app(snap_root), terminal_size=size, run_before=verify)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, snap_root, size):
    async def help_screen(pilot) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpScreen)
        await wait_for_text(pilot, "Keys")
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(make_app(snap_root), terminal_size=size, run_before=help_screen)
