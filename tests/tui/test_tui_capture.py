"""The app's web capture: "Capture URL" from the palette runs as a job with progress and a notice
of what failed; the diff view shows a recapture's changed words. Pages from a real server on
127.0.0.1; no fixed pauses (tui_helpers waits for events)."""

from __future__ import annotations

import threading

from servers.http_pages import ARTICLE, serve_pages
from test_tui_main import open_palette_and_run
from textual.widgets import Checkbox, Input
from tui_helpers import (
    block_until_cancelled,
    make_app,
    screen_text,
    settle,
    wait_for_notice,
    wait_for_screen,
    wait_for_text,
    wait_until,
)

from archive.capture.catalogue import CaptureOptions, capture_url
from archive.capture.recapture import recapture
from archive.capture.run import capture_many
from archive.layout import open_archive
from tui import library
from tui.screens.capture import (
    CAPTURE_NAME,
    DIFF_NAME,
    CaptureURLScreen,
    DiffScreen,
    run_capture,
    show_diff,
    start_capture,
)


async def test_capture_url_runs_as_a_job_and_names_what_failed(archive_root):
    with serve_pages() as server:
        app = make_app(archive_root)
        async with app.run_test(size=(110, 32)) as pilot:
            await settle(pilot, app)
            titles = [command.title for command in app.get_system_commands(app.main_screen)]
            assert CAPTURE_NAME in titles and DIFF_NAME in titles
            await open_palette_and_run(pilot, app, CAPTURE_NAME)  # as an archivist would
            dialog = await wait_for_screen(pilot, CaptureURLScreen)
            urls = f"{server.url('/article')} {server.url('/status/410')}"
            dialog.query_one("#capture-urls", Input).value = urls
            dialog.query_one("#capture-private", Checkbox).value = True
            await pilot.click("#capture-go")
            main = app.main_screen
            await wait_until(lambda: main.job_name is None and len(main.table.rows) == 1,
                             pilot, "the capture job to end with one record")
            await wait_for_notice(pilot, "captured 1, already in the archive 0, failed 1")
            await wait_for_notice(pilot, "410 Gone")
            record_id = app.main_screen.table.rows[0]["id"]
        assert open_archive(archive_root).store.get(record_id)["url"] == server.url("/article")


async def test_an_empty_dialog_asks_for_a_url(archive_root):
    app = make_app(archive_root)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot, app)
        start_capture(app.main_screen)
        await wait_for_screen(pilot, CaptureURLScreen)
        await pilot.click("#capture-go")
        await wait_for_text(pilot, "Give at least one URL.")
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, CaptureURLScreen), pilot, "the dialog to close")


async def test_the_diff_view_shows_the_changed_words_and_both_times(archive_root):
    arc = open_archive(archive_root)
    options = CaptureOptions(allow_private=True)
    with serve_pages() as server:
        first = capture_url(arc, server.url("/mutable/story"), options).record["id"]
        edited = ARTICLE.replace("moving inland", "moving seaward")
        server.mutable["story"] = (200, edited.encode("utf-8"), "text/html; charset=utf-8")
        done = recapture(arc, first, options)
    assert done.outcome == "changed"
    app = make_app(archive_root)
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot, app)
        show_diff(app.main_screen)
        await wait_for_screen(pilot, DiffScreen, focused=False)
        text = screen_text(app)
        assert "[-inland-]" in text and "{+seaward+}" in text
        assert f"{first}  captured 20" in text and f"{done.new_id}  captured 20" in text
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, DiffScreen), pilot, "the diff view to close")


async def test_escape_cancels_a_capture_and_a_rerun_resumes(archive_root, monkeypatch):
    """A batch of three pages on one host, held after the first is catalogued until the app
    cancels it: Escape stops the batch there (the two others are never fetched), the notice says
    so, and the journal is kept, so the same batch run again captures only the rest."""
    real = library.capture_many
    first_done = threading.Event()
    held = []

    def held_capture(arc, urls, options, **kwargs):
        progress, cancel = kwargs["progress"], kwargs["cancel"]

        def gated(step):
            progress(step)
            if step.done >= 1 and not held:
                held.append(step)
                first_done.set()
                block_until_cancelled(cancel, "the capture")

        return real(arc, urls, options, **{**kwargs, "progress": gated})

    monkeypatch.setattr(library, "capture_many", held_capture)
    with serve_pages() as server:
        urls = [server.url(f"/page/{n}") for n in (1, 2, 3)]
        app = make_app(archive_root)
        async with app.run_test(size=(110, 32)) as pilot:
            await settle(pilot, app)
            main = app.main_screen
            run_capture(main, urls, allow_private=True)
            await wait_until(first_done.is_set, pilot, "the first page to be captured")
            await wait_for_text(pilot, "Esc cancels")
            await pilot.press("escape")
            await wait_until(lambda: main.job_name is None, pilot, "the capture job to end")
            await wait_for_notice(pilot, "Capture cancelled")
            await wait_for_notice(pilot, "captured 1, already in the archive 0, failed 0, cancelled before 2")
        fetched = [path for path in server.sent if path.startswith("/page/")]
        assert fetched == ["/page/1"]
        assert len(open_archive(archive_root).store) == 1

        resumed = capture_many(open_archive(archive_root), urls, CaptureOptions(allow_private=True), delay=0)
        assert resumed.resumed and not resumed.not_started
        assert [line.state for line in resumed.lines] == ["already", "captured", "captured"]
        assert len(open_archive(archive_root).store) == 3
