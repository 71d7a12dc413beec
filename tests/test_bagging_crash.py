"""A bagging process killed with SIGKILL at random moments leaves, every time, each bag folder
under bags/ either absent or whole and valid, a catalogue that opens cleanly, and a stale staging
folder that the next run removes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import bagit
from helpers import ARCHIVE_BIN, SEED

from archive.fixity import validate_bag
from archive.layout import open_archive

BATCH = 20
KILLS = 12


def start_bagging(root: Path) -> subprocess.Popen:
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    env.pop("ARCHIVE_ROOT", None)
    return subprocess.Popen([str(ARCHIVE_BIN), "--root", str(root), "bag", "--all"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def bag_folders(root: Path) -> set[Path]:
    return {v for record in (root / "bags").iterdir() for v in record.iterdir()}


def check_bags(root: Path, checked: set[Path]) -> None:
    """Every bag folder is whole and valid (bags never change, so each is checked once)."""
    for folder in sorted(bag_folders(root) - checked):
        assert folder.name[0] == "v" and folder.name[1:].isdigit(), folder
        bagit.Bag(str(folder)).validate()
        result = validate_bag(folder)
        assert result.valid, [p.line() for p in result.problems]
        checked.add(folder)


def check_catalogue(root: Path, count: int) -> dict[str, dict]:
    arc = open_archive(root)
    records = {rid: arc.store.get(rid) for rid in arc.store.ids()}
    assert len(records) == count
    for record in records.values():  # every bag the catalogue records is on disk
        for bag in record.get("bags") or []:
            assert (root / bag["path"] / "bagit.txt").is_file(), bag
    return records


def add_texts(cli, root: Path, folder: Path, start: int) -> None:
    folder.mkdir()
    seed = SEED.read_bytes()
    for i in range(start, start + BATCH):
        (folder / f"article-{i:03d}.txt").write_bytes(seed + f"\n[copy {i}]\n".encode())
    added = cli("--root", root, "import", folder)
    assert added.code == 0, added


def test_sigkill_at_random_moments_leaves_no_half_bag(cli, archive_root, tmp_path):
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    checked: set[Path] = set()
    stale_seen = 0
    count = 0
    for kill in range(KILLS):
        add_texts(cli, archive_root, tmp_path / f"texts-{kill}", count)  # new work for every kill
        count += BATCH
        process = start_bagging(archive_root)
        time.sleep(rng.uniform(0.1, 0.8))  # a whole run of 20-40 bags takes about 0.5 s here
        os.killpg(process.pid, signal.SIGKILL)  # the CLI and its bagging workers, mid-flight
        process.wait()
        staging = archive_root / "staging"
        if staging.is_dir():
            stale_seen += sum(1 for p in staging.iterdir() if p.name.startswith(f"bag-{process.pid}-"))
        check_bags(archive_root, checked)
        check_catalogue(archive_root, count)

    # A stale folder of a process that is gone, whatever the kills left behind.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = archive_root / "staging" / f"bag-{dead.pid}-deadbeef"
    (stale / "ART-x_v1" / "data").mkdir(parents=True)

    result = cli("--root", archive_root, "bag", "--all")
    assert result.code == 0, result
    assert not stale.exists()
    leftovers = [p for p in (archive_root / "staging").iterdir() if p.name != ".bagging.lock"]
    assert not leftovers, leftovers
    check_bags(archive_root, checked)
    records = check_catalogue(archive_root, count)
    for record in records.values():
        assert record["status"] == "bagged" and record["bags"], record["id"]
    # A bag renamed in just before a kill, but never recorded, was adopted: nothing is orphaned.
    verified = cli("--root", archive_root, "verify")
    assert verified.code == 0, verified
    assert all(len(r["bags"]) == 1 for r in records.values())
    print(f"{KILLS} kills, {stale_seen} stale staging folders left by them, {len(checked)} bags checked")
