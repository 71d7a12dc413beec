"""Escape cancels a running verify-replica and a running repair in the replicas view.

The real library functions run behind the keys, on a folder replica filled by a real replicate; the
test holds the first bag's check inside the library (a wrapper around the function the library
calls, released only once the app has taken the Escape), so the job is caught mid-run whatever the
machine's speed. What was done before Escape stays recorded; nothing after it is done.
"""

from __future__ import annotations

import threading
from pathlib import Path

from test_tui_replicas import open_replicas, two_bagged
from tui_helpers import HANG, make_app, wait_for_notice, wait_for_text, wait_until

from archive.layout import open_archive
from archive.replicas import check, repair
from tui.screens.replicas import ReplicasScreen

PAYLOAD = "data/metadata/citation.bib"


def replicated(cli, root: Path, article: Path) -> list[str]:
    ids = two_bagged(root, article)
    assert cli("--root", root, "replica", "add", "nas", root.parent / "nas").code == 0
    done = cli("--root", root, "replicate")
    assert done.code == 0, done
    return ids


def replica_checks(root: Path) -> list[str]:
    return [e["record_id"] for e in open_archive(root).store.iter_events()
            if e["type"]["label"] == "fixity check"
            and (e.get("outcome_detail") or {}).get("replica") == "nas"]


def held_first(real, record_id: str, started: threading.Event, release: threading.Event):
    """``real`` in place, holding its first call for ``record_id`` until ``release`` is set."""
    held = []

    def call(*args, **kwargs):
        task = args[1] if len(args) > 1 else args[0]
        if getattr(task, "record_id", None) == record_id and not held:
            held.append(task)
            started.set()
            assert release.wait(HANG), "the test never released the held call"
        return real(*args, **kwargs)

    return call


async def escape_while_held(pilot, key: str, what: str, started: threading.Event,
                            release: threading.Event) -> None:
    await pilot.press(key)
    await wait_until(started.is_set, pilot, f"{what} to reach the held bag")
    await wait_for_text(pilot, "Esc cancels")
    await pilot.press("escape")
    await wait_for_notice(pilot, f"Cancelling {what}")
    release.set()
    await wait_for_notice(pilot, f"{what}: cancelled")
    await wait_for_text(pilot, "Cancelled: what was confirmed before Escape stays recorded.")
    assert isinstance(pilot.app.screen, ReplicasScreen)  # Escape cancelled the job, not the view
    await wait_until(lambda: pilot.app.screen.job_name is None, pilot, "the job to end")


async def escape_the_held_job(root, key: str, what: str, started, release) -> None:
    """The replicas view of a fresh app, job ``key`` started and cancelled while held; the hold is
    let go whatever happens, so a failing test never leaves a worker thread waiting."""
    app = make_app(root)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await open_replicas(pilot)
            await escape_while_held(pilot, key, what, started, release)
    finally:
        release.set()


async def test_escape_cancels_a_running_verify_replica(seeded_root, article, cli, monkeypatch):
    first, _ = replicated(cli, seeded_root, article)
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(check, "check_copy", held_first(check.check_copy, first, started, release))
    await escape_the_held_job(seeded_root, "c", "Checking nas", started, release)
    # The held bag was the first in order: its check is recorded, nothing after it was taken.
    assert replica_checks(seeded_root) == [first]


async def test_escape_cancels_a_running_repair(seeded_root, article, cli, monkeypatch):
    first, second = replicated(cli, seeded_root, article)
    arc = open_archive(seeded_root)
    bags = {i: seeded_root / arc.store.get(i)["bags"][-1]["path"] / PAYLOAD for i in (first, second)}
    good = {i: path.read_bytes() for i, path in bags.items()}
    for path in bags.values():
        path.write_bytes(b"X" + path.read_bytes()[1:])  # same size: only hashing can tell
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(repair, "check_task", held_first(repair.check_task, first, started, release))
    await escape_the_held_job(seeded_root, "r", "Repairing local bags from replicas", started, release)
    assert bags[first].read_bytes() == good[first]  # the bag in hand when Escape came was finished
    assert bags[second].read_bytes() != good[second]  # nothing after Escape was touched
    recoveries = [e["record_id"] for e in open_archive(seeded_root).store.iter_events()
                  if e["type"]["label"] == "recovery"]
    assert recoveries == [first]
