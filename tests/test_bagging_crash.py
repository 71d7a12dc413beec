"""A bagging process killed with SIGKILL at random moments leaves, every time, each bag folder
under bags/ either absent or whole and valid, a catalogue that opens cleanly, and a stale staging
folder that the next run removes.

The moments are defined by progress, not by the clock (tests/killgate.py): the CLI and its pool
workers stop at every rename, and the test kills the whole process group while one of them is
held at the chosen one: in a worker making a bag (bagit moving the payload into data/), in the
CLI moving a finished bag into bags/, or in the CLI recording bags in the catalogue; each just
before or just after the rename, at a random ordinal. So every kill is mid-run on any machine.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import bagit
from helpers import ARCHIVE_BIN, SEED, replay_seed
from killgate import Event, KillGate

from archive.catalog import import_folder
from archive.fixity import validate_bag
from archive.layout import open_archive

BATCH = 20
KILLS = 12


# Where a run is killed: (what the gated process is doing, before/after its rename), each twice.
MOMENTS = [(doing, phase) for doing in ("making", "moving", "recording") for phase in ("before", "after")]


def start_bagging(root: Path, gate: KillGate) -> subprocess.Popen:
    env = gate.env({**os.environ, "ARCHIVE_NO_PROGRESS": "1"})
    env.pop("ARCHIVE_ROOT", None)
    return subprocess.Popen([str(ARCHIVE_BIN), "--root", str(root), "bag", "--all"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def bag_folders(root: Path) -> set[Path]:
    return {v for record in (root / "bags").iterdir() for v in record.iterdir()}


def doing(event: Event, cli_pid: int) -> str | None:
    """What a rename is part of: making a bag (a worker), moving one in, or the catalogue."""
    if event.op == "rename" and event.pid != cli_pid:
        return "making"
    if event.op == "rename" and "/bags/" in event.paths[-1]:
        return "moving"
    if event.op == "replace" and "/catalog/" in event.paths[-1]:
        return "recording"
    return None


def kill_point(rng, moment: tuple[str, str]) -> int:
    """Which occurrence of ``moment`` to kill at; each run has at least this many to come (every
    run bags at least BATCH new records, each one at least two worker renames and one move, and
    records them in one transaction: a shard and an index replace)."""
    most = {"making": 2 * BATCH, "moving": BATCH, "recording": 2}[moment[0]]
    return rng.randint(1, most)


def check_bags(root: Path, checked: set[Path], where: str) -> None:
    """Every bag folder is whole and valid (bags never change, so each is checked once)."""
    for folder in sorted(bag_folders(root) - checked):
        assert folder.name[0] == "v" and folder.name[1:].isdigit(), f"{where}: {folder}"
        try:
            bagit.Bag(str(folder)).validate()
        except bagit.BagError as exc:
            raise AssertionError(f"{where}: {folder} is not a valid bag: {exc}") from None
        result = validate_bag(folder)
        assert result.valid, f"{where}: {[p.line() for p in result.problems]}"
        checked.add(folder)


def check_catalogue(root: Path, count: int, where: str) -> dict[str, dict]:
    arc = open_archive(root)
    records = {rid: arc.store.get(rid) for rid in arc.store.ids()}
    assert len(records) == count, where
    for record in records.values():  # every bag the catalogue records is on disk
        for bag in record.get("bags") or []:
            assert (root / bag["path"] / "bagit.txt").is_file(), f"{where}: {bag}"
    return records


def add_texts(root: Path, folder: Path, start: int) -> None:
    """``BATCH`` new texts catalogued through the library (what ``archive import`` calls): set-up,
    not what is tested, so it need not pay a CLI start-up per kill."""
    folder.mkdir()
    seed = SEED.read_bytes()
    for i in range(start, start + BATCH):
        (folder / f"article-{i:03d}.txt").write_bytes(seed + f"\n[copy {i}]\n".encode())
    report = import_folder(open_archive(root), folder)
    assert len(report.added) == BATCH and not report.failed, report


def test_sigkill_at_random_moments_leaves_no_half_bag(cli, archive_root, tmp_path):
    seed = replay_seed("bagging SIGKILL test")
    rng = random.Random(seed)
    plan = MOMENTS * (KILLS // len(MOMENTS))
    rng.shuffle(plan)
    checked: set[Path] = set()
    stale_seen = 0
    count = 0
    with KillGate() as gate:
        for kill, moment in enumerate(plan):
            add_texts(archive_root, tmp_path / f"texts-{kill}", count)  # new work for every kill
            count += BATCH
            nth = kill_point(rng, moment)
            where = f"seed {seed}, kill {kill} (at {moment}, occurrence {nth})"
            process = start_bagging(archive_root, gate)
            seen = 0

            def kill_here(event: Event, moment=moment, nth=nth, cli_pid=process.pid) -> bool:
                nonlocal seen
                if (doing(event, cli_pid), event.phase) == moment:
                    seen += 1
                return seen == nth

            event = gate.run(process, kill_here, timeout=300)
            assert event is not None, f"{where}: the run ended (exit {process.returncode}) before it"
            staging = archive_root / "staging"
            stale = [p for p in staging.iterdir() if p.name.startswith(f"bag-{process.pid}-")]
            if moment[0] == "making":
                assert stale, f"{where}: a kill while making a bag leaves its staging folder"
            stale_seen += len(stale)
            where += f", killed at {event}"
            check_bags(archive_root, checked, where)
            check_catalogue(archive_root, count, where)

    # A stale folder of a process that is gone, whatever the kills left behind.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = archive_root / "staging" / f"bag-{dead.pid}-deadbeef"
    (stale / "ART-x_v1" / "data").mkdir(parents=True)

    result = cli("--root", archive_root, "bag", "--all")
    where = f"seed {seed}, the run after the kills"
    assert result.code == 0, f"{where}: {result}"
    assert not stale.exists(), where
    leftovers = [p for p in (archive_root / "staging").iterdir() if p.name != ".bagging.lock"]
    assert not leftovers, f"{where}: {leftovers}"
    check_bags(archive_root, checked, where)
    records = check_catalogue(archive_root, count, where)
    for record in records.values():
        assert record["status"] == "bagged" and record["bags"], f"{where}: {record['id']}"
    # A bag renamed in just before a kill, but never recorded, was adopted: nothing is orphaned.
    verified = cli("--root", archive_root, "verify")
    assert verified.code == 0, f"{where}: {verified}"
    assert all(len(r["bags"]) == 1 for r in records.values()), where
    print(f"{len(plan)} kills, all mid-run, {stale_seen} stale staging folders left by them, "
          f"{len(checked)} bags checked")
