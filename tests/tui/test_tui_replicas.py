"""The replicas view, the min_copies mark in the main table, and the replica jobs as workers.

Copies are written into the catalogue as replicate and verify --replica write them (one bookkeeping
write of ``bags[].replicas``); the jobs' tests stand in for the library where they must hold it
mid-run (as test_tui_jobs' cancel test does), and call the real replicate on a folder replica.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from pathlib import Path
from types import SimpleNamespace

from test_tui_main import open_palette_and_run
from textual.widgets import DataTable, TabbedContent
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

from archive.bagging import bag_records
from archive.catalog import NewArticle, add_article
from archive.layout import open_archive
from archive.progress import Step
from tui.screens.main import MainScreen
from tui.screens.replicas import CopiesTable, ReplicasScreen

T1, T2 = "2026-11-29T11:00:00Z", "2026-11-30T09:00:00Z"


def with_replicas(root: Path, *names: str) -> None:
    text = (root / "archive.toml").read_text(encoding="utf-8")
    for name in names:
        (root.parent / name).mkdir(exist_ok=True)
        text += f'\n[replicas.{name}]\nurl = "{root.parent / name}"\n'
    (root / "archive.toml").write_text(text, encoding="utf-8")


def two_bagged(root: Path, article: Path) -> list[str]:
    arc = open_archive(root)
    add_article(arc, NewArticle(article, {"title": "Harbour strike"}))
    ids = arc.store.ids()
    bag_records(arc, ids)
    return ids


def mark_copies(root: Path, record_id: str, **replicas: dict) -> None:
    arc = open_archive(root)
    with arc.store.transaction() as tx:
        record = tx.get(record_id)
        record["bags"][-1]["replicas"] = replicas
        tx.update(record, bookkeeping=True)


async def open_replicas(pilot) -> ReplicasScreen:
    await settle(pilot, pilot.app)
    await pilot.press("R")
    return await wait_for_screen(pilot, ReplicasScreen, "the replicas view")


def table_lines(app) -> dict[str, str]:
    return {line.split()[0]: line for line in screen_text(app).splitlines() if line.startswith("ART-")}


async def test_a_record_short_of_min_copies_stands_out_in_the_main_table(seeded_root, article):
    first, second = two_bagged(seeded_root, article)
    mark_copies(seeded_root, first, nas={"replicated_at": T1})
    app = make_app(seeded_root)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        lines = table_lines(app)  # nas is not in archive.toml yet: its copy does not count
        assert "! 1/2" in lines[first] and "! 1/2" in lines[second], lines
        with_replicas(seeded_root, "nas")  # as ``archive replica add`` does while the app is open
        await open_replicas(pilot)
        await wait_for_text(pilot, "1 short of it")
        await pilot.press("escape")
        await wait_for_screen(pilot, MainScreen, focused=False)
        await settle(pilot, app)
        lines = table_lines(app)
        assert " 2/2 " in lines[first] and "!" not in lines[first].split("bagged")[1], lines[first]
        assert "! 1/2" in lines[second], lines[second]


async def test_the_view_lists_each_replica_and_each_copys_last_check(seeded_root, article):
    first, second = two_bagged(seeded_root, article)
    with_replicas(seeded_root, "nas", "offsite")
    mark_copies(seeded_root, first,
                nas={"replicated_at": T1, "last_fixity": {"at": T2, "outcome": "success"}},
                offsite={"replicated_at": T1, "last_fixity": {"at": T2, "outcome": "failure", "fast": True}})
    app = make_app(seeded_root)
    async with app.run_test(size=(140, 30)) as pilot:
        view = await open_replicas(pilot)
        await wait_for_text(pilot, "2 bagged records, 1 short of it")
        # the summary line and the copies table's rows are painted apart: wait for the rows too
        await wait_until(lambda: "2/2" in table_lines(app).get(first, "")
                         and "1/2" in table_lines(app).get(second, ""), pilot, "both rows painted")
        rows = table_lines(app)
        assert "2/2" in rows[first] and "✓ 2026-11-30" in rows[first] and "✗ fast 2026-11-30" in rows[first]
        assert "! 1/2" in rows[second] and rows[second].count("– not copied") == 2
        replicas = view.query_one("#replicas", DataTable)
        assert [replicas.get_row_at(i)[:3] for i in range(2)] == [
            ["nas", str(seeded_root.parent / "nas"), "1"],
            ["offsite", str(seeded_root.parent / "offsite"), "0"]]
        header = screen_text(app)
        assert "local" in header and "nas" in header and "offsite" in header
        await pilot.press("escape")
        await wait_for_screen(pilot, MainScreen, focused=False)


async def test_the_view_says_how_to_add_a_replica_when_there_is_none(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await open_palette_and_run(pilot, app, "Show the replicas")  # the palette, as well as R
        await wait_for_screen(pilot, ReplicasScreen, "the replicas view")
        await wait_for_text(pilot, "No replicas yet")
        await pilot.press("p")
        await wait_for_notice(pilot, "archive replica add NAME URL")


def stand_in(monkeypatch, module: str, name: str, function) -> None:
    """Put ``function`` in place of ``module.name``, the library function tui.library calls (a
    module not built yet gets a stand-in module, so the call is made with the documented
    signature either way)."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError:
        found = types.ModuleType(module)
        monkeypatch.setitem(sys.modules, module, found)
    monkeypatch.setattr(found, name, function, raising=False)


def held_replicate(calls: list, started: threading.Event):
    """Stands in for archive.replicas.push.replicate with its signature: reports a step, then
    holds until the app cancels (a guard, not a wait, against a hang)."""

    def replicate(arc, names=None, *, jobs=8, progress=None, cancel=None):
        calls.append(names)
        progress(Step(1, 3))
        started.set()
        block_until_cancelled(cancel, "replicate")
        return SimpleNamespace(ok=True, lines=lambda: ["replicated 1 of 3 bag versions to nas (cancelled)"])

    return replicate


async def test_escape_cancels_a_running_replicate(seeded_root, article, monkeypatch):
    two_bagged(seeded_root, article)
    with_replicas(seeded_root, "nas", "offsite")
    calls: list = []
    started = threading.Event()
    stand_in(monkeypatch, "archive.replicas.push", "replicate", held_replicate(calls, started))
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 30)) as pilot:
        view = await open_replicas(pilot)
        await pilot.press("down")  # the second replica: offsite
        await wait_until(lambda: view.query_one("#replicas", DataTable).cursor_row == 1, pilot, "the cursor")
        await pilot.press("p")
        await wait_until(started.is_set, pilot, "replicate to start")
        await wait_for_text(pilot, "Esc cancels")
        await wait_for_text(pilot, "1/3")
        await pilot.press("escape")
        await wait_for_notice(pilot, "Replicating to offsite: cancelled")
        await wait_for_text(pilot, "Cancelled: what was confirmed before Escape stays recorded.")
        assert isinstance(app.screen, ReplicasScreen)  # Escape cancelled the job, not the view
        assert calls == [["offsite"]]


async def test_check_and_repair_call_the_library_with_the_selected_replica(seeded_root, article, monkeypatch):
    two_bagged(seeded_root, article)
    with_replicas(seeded_root, "nas")
    seen: list = []

    def result(text: str, ok: bool = True):
        return SimpleNamespace(ok=ok, lines=lambda: [text])

    def verify_replica(arc, name, *, fast=False, ids=None, progress=None, cancel=None):
        seen.append(("verify", name, fast, callable(cancel)))
        return result(f"{name}: 2 bags checked, 1 failed", ok=False)

    def repair(arc, ids=None, *, from_name=None, progress=None, cancel=None):
        seen.append(("repair", ids, from_name))
        return result("nothing to repair")

    def repair_replica(arc, name, ids=None, *, progress=None, cancel=None):
        seen.append(("repair_replica", name, ids))
        return result(f"{name}: 1 file put right")

    stand_in(monkeypatch, "archive.replicas.check", "verify_replica", verify_replica)
    stand_in(monkeypatch, "archive.replicas.repair", "repair", repair)
    stand_in(monkeypatch, "archive.replicas.repair", "repair_replica", repair_replica)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_replicas(pilot)
        for key, text in (("f", "1 failed"), ("c", "1 failed"), ("r", "nothing to repair"),
                          ("R", "1 file put right")):
            await pilot.press(key)
            await wait_for_text(pilot, text)
            await wait_until(lambda: app.screen.job_name is None, pilot, "the job to end")
            if key == "c":
                await wait_for_notice(pilot, "Checking nas: problems found")
    assert seen == [("verify", "nas", True, True), ("verify", "nas", False, True), ("repair", None, None),
                    ("repair_replica", "nas", None)]


async def test_the_copies_table_reads_only_the_records_on_screen(seeded_root, article, monkeypatch):
    ids = two_bagged(seeded_root, article)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 30)) as pilot:
        view = await open_replicas(pilot)
        table = view.query_one(CopiesTable)
        await wait_until(lambda: len(table._copies) == len(ids), pilot, "both rows painted")
        assert {key[0] for key in table._copies} == set(ids)


async def test_the_bags_tab_lists_each_copy_under_the_bags(seeded_root):
    [record_id] = bag_records_of(seeded_root)
    with_replicas(seeded_root, "nas", "offsite")
    mark_copies(seeded_root, record_id,
                nas={"replicated_at": T1, "last_fixity": {"at": T2, "outcome": "failure"}})
    app = make_app(seeded_root)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        app.screen.query_one(TabbedContent).active = "tab-bags"
        await wait_for_text(pilot, "Copies: 1 good of min_copies 2")
        nas, offsite = [line for line in screen_text(app).splitlines()
                        if line.strip().startswith(("nas", "offsite"))]
        assert "✗ no" in nas and "2026-11-29" in nas and "✗ 2026-11-30" in nas, nas
        assert "– not copied" in offsite, offsite


def test_snapshot_of_the_replicas_view(snap_compare, snap_root):
    """Two replicas (URLs fixed, so the picture is too), the seed record copied to one and checked
    there, failing on the other after a fast check: 2 good copies of 2."""
    [record_id] = bag_records_of(snap_root)
    text = (snap_root / "archive.toml").read_text(encoding="utf-8")
    text += ('\n[replicas.nas]\nurl = "sftp://backup@nas.example/srv/archive"\n'
             '\n[replicas.offsite]\nurl = "s3://archive-copies/main"\n')
    (snap_root / "archive.toml").write_text(text, encoding="utf-8")
    mark_copies(snap_root, record_id,
                nas={"replicated_at": T1, "last_fixity": {"at": T2, "outcome": "success"}},
                offsite={"replicated_at": T1, "last_fixity": {"at": T2, "outcome": "failure", "fast": True}})

    async def view(pilot) -> None:
        await open_replicas(pilot)
        await wait_for_text(pilot, "✗ fast 2026-11-30")
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(make_app(snap_root), terminal_size=(120, 30), run_before=view)


def bag_records_of(root: Path) -> list[str]:
    arc = open_archive(root)
    ids = arc.store.ids()
    bag_records(arc, ids)
    return ids


async def test_replicate_check_and_repair_a_folder_replica_for_real(seeded_root, article, cli):
    """The real library functions behind the keys, on a folder replica: p copies both records (2 of
    2 good copies each), c checks the copies, a damaged file on the replica fails the next check,
    R puts it right from the local copy and the check after passes; r puts a damaged local bag
    right from nas."""
    first, second = two_bagged(seeded_root, article)
    app = make_app(seeded_root)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)  # the app was open before the replica was added
        added = cli("--root", seeded_root, "replica", "add", "nas", seeded_root.parent / "nas")
        assert added.code == 0, added
        view = await open_replicas(pilot)

        async def finished(key: str) -> None:
            ended = view.jobs_ended
            await pilot.press(key)
            await wait_until(lambda: view.jobs_ended > ended, pilot, f"the job of {key!r} to end")

        await finished("p")
        await wait_for_text(pilot, "0 short of it")
        # the summary line and the table's rows are painted apart: wait for the rows too
        await wait_until(lambda: all("2/2" in table_lines(app).get(i, "") for i in (first, second)), pilot,
                         "both records at 2 of 2 good copies")
        await finished("c")
        # the local copies were never verified ('· not checked'): a ✓ is the copy on nas
        await wait_until(lambda: all("✓ 20" in line for line in table_lines(app).values()), pilot,
                         "both copies on nas checked")
        record = open_archive(seeded_root).store.get(first)
        damaged = seeded_root.parent / "nas" / record["bags"][-1]["path"] / "bagit.txt"
        damaged.write_bytes(damaged.read_bytes() + b"x")
        await finished("c")
        await wait_until(lambda: "! 1/2" in table_lines(app)[first], pilot, "the damaged copy not counted")
        assert "✗ 20" in table_lines(app)[first]
        await finished("R")
        await finished("c")
        await wait_until(lambda: "2/2" in table_lines(app)[first], pilot, "the repaired copy counted again")

        local = seeded_root / record["bags"][-1]["path"] / "bagit.txt"
        good = local.read_bytes()
        local.write_bytes(good + b"x")
        await finished("r")  # the local bag put right from nas
        assert local.read_bytes() == good
        await wait_for_text(pilot, "bagit.txt from replica nas")  # the library's own lines, on screen
