"""Capture from the add flow: ``a`` offers "Capture URL…" beside picking a file, and a web address
typed as the path goes to the same capture dialog and job as the palette's "Capture URL". Pages
from a real server on 127.0.0.1; no fixed pauses (tui_helpers waits for events)."""

from __future__ import annotations

import threading

from servers.http_pages import serve_pages
from test_tui_form import pick
from textual.widgets import Button, Checkbox, Input
from tui_helpers import make_app, settle, wait_for_notice, wait_for_screen, wait_for_text, wait_until

from archive.layout import open_archive
from tui.screens.capture import CaptureURLScreen
from tui.screens.main import MainScreen
from tui.screens.pick_file import PickFileScreen
from tui.widgets.progress_panel import ProgressPanel


async def test_add_captures_a_url_with_progress_names_the_failure_and_selects_the_new_record(seeded_root):
    go = threading.Event()
    with serve_pages(shared={"go": go}) as server:
        app = make_app(seeded_root)
        async with app.run_test(size=(110, 32)) as pilot:
            await settle(pilot, app)
            main = app.main_screen
            seed_id = main.table.current_id
            assert seed_id is not None
            await pilot.press("a")
            picker = await wait_for_screen(pilot, PickFileScreen)
            assert picker.query_one("#capture-url", Button).label.plain == "Capture URL…"
            await pilot.click("#capture-url")
            dialog = await wait_for_screen(pilot, CaptureURLScreen)
            assert dialog.query_one("#capture-urls", Input).value == ""
            # One host, so one page at a time: the second (which waits for ``go``) is still in
            # flight once the first is done, and the progress shows it.
            article, held = server.url("/article"), server.url("/rendezvous/here/go")
            dialog.query_one("#capture-urls", Input).value = f"{article} {held}"
            dialog.query_one("#capture-private", Checkbox).value = True
            await pilot.click("#capture-go")
            panel = main.query_one(ProgressPanel)
            await wait_until(lambda: panel.has_class("-running"), pilot, "the progress panel")
            await wait_for_text(pilot, "Capturing")
            await wait_for_text(pilot, "1/2")
            go.set()
            await wait_until(lambda: main.job_name is None and len(main.table.rows) == 2,
                             pilot, "the capture job to end with the new record listed")
            await wait_for_notice(pilot, "captured 1, already in the archive 0, failed 1")
            await wait_for_notice(pilot, f"capturing {held}: the server sent")
            assert not panel.has_class("-running")
            new_id = main.table.current_id
            assert new_id != seed_id
            await wait_until(lambda: main.detail.record is not None and main.detail.record["id"] == new_id,
                             pilot, "the detail pane to show the captured record")
    assert open_archive(seeded_root).store.get(new_id)["url"] == article


async def test_a_web_address_typed_as_the_path_opens_the_capture_dialog_with_it(archive_root):
    app = make_app(archive_root)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot, app)
        await pilot.press("a")
        await pick(pilot, app, "  https://127.0.0.1:9/news/story ")
        dialog = await wait_for_screen(pilot, CaptureURLScreen)
        assert dialog.query_one("#capture-urls", Input).value == "https://127.0.0.1:9/news/story"
        await pilot.press("escape")  # back to picking a file
        await wait_for_screen(pilot, PickFileScreen, "the picker again", focused=False)
        await pilot.press("escape")
        await wait_for_screen(pilot, MainScreen, "the cancelled add to close", focused=False)
        assert app.main_screen.job_name is None and app.main_screen.table.rows == []


async def test_importing_a_folder_offers_no_capture(archive_root):
    app = make_app(archive_root)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot, app)
        await pilot.press("i")
        picker = await wait_for_screen(pilot, PickFileScreen)
        assert not picker.query("#capture-url")
        await pick(pilot, app, "https://127.0.0.1:9/news/story")
        await wait_for_text(pilot, "no such file or folder")
        assert isinstance(app.screen, PickFileScreen)
