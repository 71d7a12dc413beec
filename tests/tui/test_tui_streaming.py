"""Listing and search run in a worker thread and stream their rows in: the first page shows while
the rest is still being read, keys are handled meanwhile, and a newer search cancels the older.

The catalogue's pages are held back by a gate (the store's own pages, one shard let through, the
rest waiting until the test opens it), so "still running" is a state the test controls, not a race.
"""

from __future__ import annotations

import threading
from pathlib import Path

from helpers import fill_catalogue
from textual.widgets import Input
from textual.worker import WorkerState
from tui_helpers import HANG, make_app, screen_text, settle, wait_until

from archive.catalog import search_records
from archive.layout import open_archive


def gate_pages(app) -> threading.Event:
    """Let the first shard's page through; hold every later one until the returned event is set."""
    store = app.arc.store
    pages = store.search_text_pages
    gate = threading.Event()

    def gated():
        for n, page in enumerate(pages()):
            if n and not gate.wait(HANG):
                raise AssertionError("the test never opened the gate")
            yield page

    store.search_text_pages = gated
    return gate


def ids_of(rows) -> list[str]:
    return [row["id"] for row in rows]


async def open_search(pilot, app) -> Input:
    """The search box, opened with "/" and focused."""
    await pilot.press("slash")
    search = app.main_screen.query_one("#search", Input)
    await wait_until(lambda: app.focused is search, pilot, "focus on the search box")
    return search


async def type_into(pilot, search: Input, keys: str) -> None:
    """``keys`` typed after what the box holds, waited for until the box shows them all."""
    wanted = search.value + keys
    await pilot.press(*keys)
    await wait_until(lambda: search.value == wanted, pilot, f"{wanted!r} in the search box")


async def test_the_first_page_shows_and_keys_work_while_the_rest_is_read(archive_root: Path):
    ids = fill_catalogue(archive_root, 600)  # three shards: 256, 256, 88 records
    app = make_app(archive_root)
    gate = gate_pages(app)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main_screen
        table = screen.table
        await wait_until(lambda: len(table.rows) == 256, pilot, "the first shard's rows listed")
        assert screen.finding and ids_of(table.rows) == ids[:256]  # shown while the listing waits

        # Typing is handled at once: the listing worker is stuck behind the gate, the UI is not.
        search = await open_search(pilot, app)
        await type_into(pilot, search, "harbours")
        # ...and the search shows its hits among the rows read so far, before the rest arrive.
        expected = ids_of(search_records(open_archive(archive_root), "harbours"))  # the library's hits
        first_shard = [i for i in expected if i in ids[:256]]
        await wait_until(lambda: ids_of(table.rows) == first_shard, pilot, "the hits of the first shard")
        assert screen.finding and 0 < len(first_shard) < len(expected) < len(ids)

        gate.set()
        await settle(pilot, app)
        assert ids_of(table.rows) == expected and not screen.finding
        assert "of 600 records" in str(screen.query_one("#title-bar").render())


async def test_a_newer_keystroke_cancels_the_older_search(archive_root: Path):
    fill_catalogue(archive_root, 600)
    app = make_app(archive_root)
    gate = gate_pages(app)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main_screen
        await wait_until(lambda: len(screen.table.rows) == 256, pilot, "the first shard's rows listed")
        search = await open_search(pilot, app)
        await type_into(pilot, search, "strikes")
        older = [w for w in app.workers if w.group == "rows"]  # the listing's and each key's search
        await type_into(pilot, search, " harbours")
        assert older and all(w.is_cancelled for w in older)

        gate.set()
        await settle(pilot, app)
        assert screen.table.rows == []  # no record is about both: no page of an older search shows
        assert not screen.finding
        assert all(w.state == WorkerState.CANCELLED for w in older)
        # each stopped where it was: none ran to its end, which would have kept its hits to narrow
        assert screen.search_index.finished_queries() == {"strikes harbours"}


async def test_typing_a_search_repaints_without_reflowing_the_screen(archive_root: Path, monkeypatch):
    """Each key and each streamed page repaints the search line, the title and the table only: no
    layout pass of the whole screen (detail pane and all), which cost most of a key's UI-thread
    time at 100,000 records. The detail pane, filled once typing pauses, is held off here."""
    from tui.screens import main

    fill_catalogue(archive_root, 600)
    monkeypatch.setattr(main, "TYPING_DETAIL_DELAY_S", HANG)
    app = make_app(archive_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        screen = app.main_screen
        search = await open_search(pilot, app)
        await settle(pilot, app)
        layouts = []
        reflow = screen._refresh_layout

        def counted(*args, **kwargs):
            layouts.append(search.value)
            return reflow(*args, **kwargs)

        screen._refresh_layout = counted
        await pilot.press(*"harbours")
        expected = ids_of(search_records(open_archive(archive_root), "harbours"))
        await wait_until(lambda: search.value == "harbours" and not screen.finding
                         and ids_of(screen.table.rows) == expected, pilot, "the hits of 'harbours'")
        await pilot.pause()
        assert len(expected) == 300 and layouts == []


async def test_end_and_home_scroll_the_streamed_table(archive_root: Path):
    """The table's scrollable height follows the rows streamed in (set without a layout pass):
    End reaches the last record and shows it, Home the first."""
    ids = fill_catalogue(archive_root, 600)
    app = make_app(archive_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        table = app.main_screen.table
        assert ids_of(table.rows) == ids and table.max_scroll_y > 0
        await pilot.press("end")
        await wait_until(lambda: table.cursor_row == 599 and round(table.scroll_y) == table.max_scroll_y > 0,
                         pilot, "the table scrolled to its last row")
        await wait_until(lambda: ids[-1] in screen_text(app), pilot, "the last record on screen")
        await pilot.press("home")
        await wait_until(lambda: table.cursor_row == 0 and table.scroll_y == 0, pilot, "back at the top")
        await wait_until(lambda: ids[0] in screen_text(app), pilot, "the first record on screen")


async def test_search_runs_in_a_thread_niced_below_the_ui_thread(archive_root: Path):
    """Listing and search narrow the rows in threads at a lower OS priority than the
    UI thread (on a loaded machine the UI thread then gets the core first, see tui/background.py),
    never in the worker pool whose threads also run the jobs; a newer key still cancels the older
    search there, and the hits are the library's."""
    import os
    import sys

    fill_catalogue(archive_root, 600)
    app = make_app(archive_root)
    gate = gate_pages(app)
    store = app.arc.store
    gated = store.search_text_pages
    readers: list[tuple[str, int]] = []

    def recorded():
        native = threading.get_native_id()
        readers.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, native)))
        yield from gated()

    store.search_text_pages = recorded
    ui_priority = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main_screen
        await wait_until(lambda: len(screen.table.rows) == 256, pilot, "the first shard's rows listed")
        search = await open_search(pilot, app)
        await type_into(pilot, search, "strikes")
        await type_into(pilot, search, " harbours")
        gate.set()
        await settle(pilot, app)
        expected = ids_of(search_records(open_archive(archive_root), "strikes harbours"))
        assert ids_of(screen.table.rows) == expected and not screen.finding
        assert screen.search_index.finished_queries() == {"strikes harbours"}
    assert len(readers) == 1 and readers[0][0].startswith("archive-search")  # read once, there
    if sys.platform == "linux":  # a thread's own nice value: Linux only
        assert readers[0][1] > ui_priority
