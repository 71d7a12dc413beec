"""What keeps the UI thread free for the archivist's keys (issue 13): the first screen composes only
what it shows, importing the app loads no job code, and the reads behind the detail pane and the
auto-refresh happen in worker threads. Each test holds the work it checks at an event it controls
(a gate, a wrapper recording the thread), never a pause.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from helpers import fill_catalogue
from textual.widgets import Input, TabbedContent
from tui_helpers import HANG, make_app, settle, wait_until

from archive.catalog import search_records
from archive.layout import open_archive

JOB_MODULES = ("bagit", "archive.bagging", "archive.deposit", "archive.fixity.verify",
               "archive.citation.formatted", "archive.citation.export", "archive.references", "jsonschema")
"""Modules only a job or an opened tab needs; the first screen must not wait for their import."""


def test_importing_the_app_loads_no_job_or_citation_code():
    code = "import json, sys, tui.app; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    assert "textual.app" in loaded  # the probe itself works
    early = [m for m in loaded if m.split(".")[0] in JOB_MODULES or m.startswith(JOB_MODULES)]
    assert early == []


async def test_the_detail_tabs_are_composed_after_the_first_rows_show(archive_root: Path):
    """With the listing held before its first page, the table is up and the detail pane holds no
    tabs yet; once the rows show, the tabs are built and show the first record."""
    ids = fill_catalogue(archive_root, 300)
    app = make_app(archive_root)
    store = app.arc.store
    pages, gate = store.search_text_pages, threading.Event()

    def gated():
        assert gate.wait(HANG), "the test never opened the gate"
        yield from pages()

    store.search_text_pages = gated
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main_screen
        await wait_until(lambda: screen.table.is_mounted and screen.detail.is_mounted, pilot, "the screen up")
        await pilot.pause()
        assert screen.table.rows == [] and not screen.detail.built
        assert list(screen.query(TabbedContent)) == []
        gate.set()
        await settle(pilot, app)
        assert [r["id"] for r in screen.table.rows] == ids
        assert screen.detail.built and screen.query_one(TabbedContent).active == "tab-metadata"
        assert screen.detail.record["id"] == ids[0]


async def test_the_detail_pane_reads_records_off_the_ui_thread(archive_root: Path, monkeypatch):
    from archive import catalog

    ids = fill_catalogue(archive_root, 3)
    reads: list[tuple[str, bool]] = []
    get_record = catalog.get_record

    def recorded(arc, record_id):
        reads.append((record_id, threading.current_thread() is threading.main_thread()))
        return get_record(arc, record_id)

    monkeypatch.setattr(catalog, "get_record", recorded)
    app = make_app(archive_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("down")
        await wait_until(lambda: app.main_screen.table.current_id == ids[1], pilot, "the cursor on row 2")
        await settle(pilot, app)
        assert app.main_screen.detail.record["id"] == ids[1]
        assert ids[1] in [record_id for record_id, _ in reads]
        assert [on_ui for _, on_ui in reads] == [False] * len(reads)


async def test_the_auto_refresh_looks_for_changes_off_the_ui_thread(seeded_root: Path, cli, monkeypatch):
    """The timer's look at the shards runs in a worker; the UI thread refreshes the store only
    when another process did change it, and then shows the change."""
    looks: list[bool] = []
    app = make_app(seeded_root)
    changed_on_disk = app.arc.store.changed_on_disk

    def recorded():
        looks.append(threading.current_thread() is threading.main_thread())
        return changed_on_disk()

    app.arc.store.changed_on_disk = recorded
    refreshes: list[bool] = []
    refresh = app.arc.store.refresh

    def counted():
        refreshes.append(threading.current_thread() is threading.main_thread())
        return refresh()

    app.arc.store.refresh = counted
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        screen = app.main_screen
        screen.auto_refresh()
        await wait_until(lambda: looks, pilot, "a look for changes")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert refreshes == [] and looks and not any(looks)  # nothing changed: no refresh at all

        record_id = screen.table.current_id
        assert cli("--root", seeded_root, "edit", record_id, "--set", "title=Retitled elsewhere").code == 0
        screen.auto_refresh()
        await wait_until(lambda: screen.table.rows and screen.table.rows[0]["title"] == "Retitled elsewhere",
                         pilot, "the title changed by the CLI")
        assert refreshes and all(refreshes)  # the store itself is refreshed by its own thread
        assert not any(looks)


async def test_a_typed_query_streams_in_exactly_the_library_hits(archive_root: Path):
    """Typed one key at a time over three shards, each key narrowing the one before: the table
    ends holding exactly the hits the library's own search gives, in accession order."""
    fill_catalogue(archive_root, 600)
    app = make_app(archive_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        screen = app.main_screen
        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        await wait_until(lambda: app.focused is search, pilot, "focus on the search box")
        query = "report 1 strikes"
        expected = [r["id"] for r in search_records(open_archive(archive_root), query)]
        assert 0 < len(expected) < 300
        await pilot.press(*query)
        await wait_until(lambda: search.value == query and not screen.finding
                         and [r["id"] for r in screen.table.rows] == expected, pilot, "the hits of the query")


async def test_a_style_chosen_while_the_citation_tab_is_closed_formats_only_when_it_opens(seeded_root: Path,
                                                                                       monkeypatch):
    """The Selects say Changed as they are mounted (the tabs are built after the first rows, maybe
    after a record is shown) and when a style is chosen: neither may start citeproc for a closed tab."""
    from textual.widgets import Select

    from tui import library

    styles: list[str] = []
    real = library.format_citation

    def recorded(record, style, *args):
        styles.append(style)
        return real(record, style, *args)

    monkeypatch.setattr(library, "format_citation", recorded)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.query_one("#citation-style", Select).value = "mla"
        await wait_until(lambda: app.screen.query_one("#citation-style", Select).value == "mla", pilot, "mla")
        await settle(pilot, app)
        assert styles == [] and not [w for w in app.workers if w.group == "citation"]
        app.screen.query_one(TabbedContent).active = "tab-citation"
        await wait_until(lambda: styles == ["mla"], pilot, "the citation formatted in mla")


async def test_the_job_helper_process_starts_once_the_first_listing_shows(archive_root: Path, monkeypatch):
    """multiprocessing's resource tracker (a second interpreter the jobs' worker processes need)
    is started once the first listing is on screen, not before the first screen where it competed
    for the CPU, with the real stderr (captured inside the app, whose fileno -1 fails it), and
    again, as a no-op, before a job."""
    import multiprocessing.resource_tracker

    fill_catalogue(archive_root, 300)
    app = make_app(archive_root)
    started: list[tuple[int, bool, int]] = []

    def ensure_running() -> None:
        screen = app.main_screen
        shown = len(screen.table.rows) if screen.is_mounted else -1
        started.append((shown, screen.is_mounted and screen.finding, sys.stderr.fileno()))

    monkeypatch.setattr(multiprocessing.resource_tracker, "ensure_running", ensure_running)
    assert started == []  # making the app starts nothing
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await wait_until(lambda: started, pilot, "the tracker started")
        assert started[0][:2] == (300, False)  # after every row was listed and shown
        assert started[0][2] >= 0  # with a real stderr to hand to it
        app.main_screen.run_job("Nothing", lambda progress, cancel: None, lambda result, cancelled: None)
        await wait_until(lambda: len(started) == 2, pilot, "the tracker made sure of before a job")
        await settle(pilot, app)
