"""A byte changed anywhere in any file of any bag is always found, and the report names that file.

A 20-record archive is bagged; then, one file at a time, a random byte of the file is replaced by a
different random value, the bag is checked with the code ``archive verify`` runs, and the file is
restored. The file must be named as changed, altered or mismatched, and no other file may be named
so. (Damage to a manifest can also make files look untracked or missing, or turn a line into a
bogus name that is reported as such: those consequences are allowed, a wrongly blamed file is
not.) One flip also goes through the CLI end to end.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from helpers import SEED, replay_seed

BLAMING = {"changed", "mismatch", "invalid", "unreadable", "unsafe"}


def _twenty_bagged(root: Path, cli) -> None:
    sources = root.parent / "sources"
    sources.mkdir()
    base = SEED.read_text(encoding="utf-8")
    for i in range(20):
        (sources / f"article-{i:02d}.txt").write_text(f"Article {i}\n\n{base}\nCopy {i}.\n", encoding="utf-8")
    result = cli("--root", root, "import", sources)
    assert result.code == 0, result
    result = cli("--root", root, "bag", "--all")
    assert result.code == 0, result


@pytest.fixture
def archive_of_20(archive_root: Path, archive_templates, cli) -> Path:
    """Twenty articles imported and bagged through the CLI, once per worker (copied per test)."""
    root = archive_templates.custom(archive_root, "twenty_bagged", cli, _twenty_bagged)
    assert len(list((root / "bags").glob("*/v1"))) == 20
    return root


def flip(path: Path, rng: random.Random) -> tuple[int, int]:
    data = bytearray(path.read_bytes())
    offset = rng.randrange(len(data))
    old = data[offset]
    data[offset] = rng.choice([b for b in range(256) if b != old])
    path.write_bytes(bytes(data))
    return offset, old


@pytest.mark.slow
def test_every_byte_flip_in_every_file_is_found_and_named(archive_of_20: Path):
    from archive.fixity.crosscheck import check_archive_bag
    from archive.fixity.verify import tasks_for
    from archive.layout import open_archive

    arc = open_archive(archive_of_20)
    records = [arc.store.get(row["id"]) for row in arc.store.summaries()]
    tasks = tasks_for(arc, records, fast=False)
    assert len(tasks) == 20
    seed = replay_seed("bit-flip test")
    rng = random.Random(seed)
    flipped = 0
    for task in tasks:
        assert check_archive_bag(task).outcome == "success"
        bag = Path(task.root) / task.rel
        for file in sorted(p for p in bag.rglob("*") if p.is_file()):
            rel = file.relative_to(bag).as_posix()
            original = file.read_bytes()
            offset, old = flip(file, rng)
            try:
                report = check_archive_bag(task)
            finally:
                file.write_bytes(original)
            where = f"seed {seed}: {task.rel}/{rel} byte {offset} (was {old:#x})"
            assert report.outcome == "failure", where
            on_disk = {p.relative_to(bag).as_posix() for p in bag.rglob("*")}
            blamed = {p.path or "<bag>" for p in report.problems
                      if p.severity == "error" and p.kind in BLAMING and (not p.path or p.path in on_disk)}
            assert blamed == {rel}, f"{where}: {[p.line() for p in report.problems]}"
            flipped += 1
    assert flipped >= 20 * 10


def test_one_flip_through_the_cli(cli, archive_of_20: Path):
    bag = sorted((archive_of_20 / "bags").glob("*/v1"))[7]
    source = next((bag / "data" / "source").iterdir())
    flip(source, random.Random(1))
    result = cli("--root", archive_of_20, "verify", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["totals"]["checked"] == 20 and report["totals"]["failure"] == 1
    (bad,) = [b for b in report["bags"] if b["outcome"] == "failure"]
    assert bad["path"] == bag.relative_to(archive_of_20).as_posix()
    assert [(f["kind"], f["path"]) for f in bad["failures"]] == [("changed", f"data/source/{source.name}")]
