"""A bag check reads each file of a bag once: parsing a tag file, hashing it and the catalogue's
cross-checks (record.json, the other tag manifests) share one read. Issue 13 found verify's cost
on the archive's own bags in per-bag file opens (23 for 11 files), not in hashing."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from archive.fixity.bagcheck import check_bag
from archive.fixity.crosscheck import check_task
from archive.fixity.verify import tasks_for
from archive.layout import open_archive
from archive.storage import Entry, LocalStorage


def files_of_bag(bag: Path) -> set[str]:
    return {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}


class CountingStorage:
    """A folder read through the generic Storage path (not LocalStorage's), counting opens."""

    def __init__(self, root: Path):
        self.inner = LocalStorage(root)
        self.opened: Counter[str] = Counter()

    @property
    def label(self) -> str:
        return f"counting:{self.inner.label}"

    def walk(self, prefix: str = "") -> Iterator[Entry]:
        return self.inner.walk(prefix)

    def stat(self, path: str) -> Entry | None:
        return self.inner.stat(path)

    def open_read(self, path: str, expect: Entry | None = None) -> BinaryIO:
        self.opened[path] += 1
        return self.inner.open_read(path, expect)

    def write_atomic(self, path: str, chunks: Iterable[bytes], *, sha256: str | None = None) -> Entry:
        raise AssertionError("a check never writes")


def test_a_bag_check_on_any_storage_opens_each_file_once(bagged_root):
    (bag,) = sorted((bagged_root / "bags").glob("*/v*"))
    storage = CountingStorage(bag)
    result, _ = check_bag(storage)
    assert result.valid and not result.problems, result.problems
    assert storage.opened == Counter(dict.fromkeys(files_of_bag(bag), 1))


def test_verifying_an_archive_bag_opens_each_of_its_files_once(bagged_root, monkeypatch):
    """The whole check verify runs on one bag (RFC 8493 rules, then the catalogue's pins), counted
    at ``os.open`` itself, whichever path (LocalStorage.open_fd or the check's own) opens a file."""
    (bag,) = sorted((bagged_root / "bags").glob("*/v*"))
    inside = f"{bag}/"
    opened: Counter[str] = Counter()
    real_open = os.open

    def counting_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(path, str) and path.startswith(inside):
            opened[path[len(inside):]] += 1
        return real_open(path, flags, *args, **kwargs)

    arc = open_archive(bagged_root)
    (record_id,) = arc.store.ids()
    (task,) = tasks_for(arc, [arc.store.get(record_id)], fast=False)
    monkeypatch.setattr(os, "open", counting_open)
    report = check_task(task)
    monkeypatch.undo()
    assert not report.problems, report.problems
    assert opened == Counter(dict.fromkeys(files_of_bag(bag), 1))


def test_results_are_recorded_a_shard_at_a_time():
    """A batch of results grows to the end of its last record's shard, so each catalogue shard is
    rewritten once per verify, not once per 250 bags (a batch of 250 straddles two shards of 256)."""
    from archive.fixity.report import BagReport
    from archive.fixity.verify import MAX_BATCH, RECORD_BATCH, BagTask, _batch_full, _Plan
    from archive.store.shard import SHARD_SIZE

    def task(sequence: int) -> BagTask:
        return BagTask(root="/", rel=f"bags/ART-2026-{sequence:06d}/v1", record_id=f"ART-2026-{sequence:06d}",
                       version=1, fast=False)

    tasks = [task(n) for n in range(1, 3 * SHARD_SIZE + 1)]
    plan = _Plan(iter([tasks]), 1)
    plan.next_page()
    batches, pending = [], []
    for done, t in enumerate(tasks, 1):
        pending.append(BagReport(path=t.rel, record_id=t.record_id, version=1, fast=False))
        if _batch_full(pending, plan, done):
            batches.append(len(pending))
            pending = []
    assert pending == [] and batches == [SHARD_SIZE] * 3
    assert RECORD_BATCH <= SHARD_SIZE <= MAX_BATCH


def test_a_file_swapped_after_the_walk_is_refused_not_read(bagged_root):
    """The check's own opener proves each file is the one the walk listed, as LocalStorage does:
    a file replaced after the walk (another inode), or a link put in its place, is never read."""
    import pytest

    from archive.fixity.inventory import NotTheSameFile, hash_checked, read_checked, walk
    from archive.storage import StorageError

    (bag,) = sorted((bagged_root / "bags").glob("*/v*"))
    for rel in ("data/metadata/citation.bib", "bag-info.txt"):
        inv = walk(LocalStorage(bag))
        target = bag / rel
        swapped = bag / "swapped.tmp"
        swapped.write_bytes(target.read_bytes())
        os.replace(swapped, target)
        with pytest.raises(NotTheSameFile):
            hash_checked(inv, rel, ["sha256"])
        with pytest.raises(NotTheSameFile):
            read_checked(inv, rel, 1 << 20)
        inv = walk(LocalStorage(bag))
        secret = bagged_root / "secret.txt"
        secret.write_text("not the bag's\n")
        target.unlink()
        target.symlink_to(secret)
        with pytest.raises(StorageError):
            hash_checked(inv, rel, ["sha256"])
        with pytest.raises(StorageError):
            read_checked(inv, rel, 1 << 20)


def test_a_result_sent_back_compact_is_the_report_the_check_made(cli, archive_root, tmp_path):
    """Workers send a clean check back as its byte counts alone, and the parent makes the report
    again from the task: it must be the very report the check made, and a report with a problem
    (a changed file, a missing bag) must come back whole."""
    from archive.fixity.crosscheck import check_task
    from archive.fixity.pooled import compact, expand
    from archive.fixity.verify import source_tasks_for, tasks_for
    from archive.layout import open_archive

    texts = tmp_path / "texts"
    texts.mkdir()
    for i in range(3):
        (texts / f"a{i}.txt").write_text(f"Article {i}\n\nbody {i}\n", encoding="utf-8")
    assert cli("--root", archive_root, "import", texts).code == 0
    assert cli("--root", archive_root, "bag", "--all").code == 0
    arc = open_archive(archive_root)
    records = [arc.store.get(row["id"]) for row in arc.store.summaries()]
    bags = sorted((archive_root / "bags").iterdir())
    changed = bags[1] / "v1" / "data" / "metadata" / "citation.ris"
    changed.write_bytes(changed.read_bytes()[:-1] + b"!")
    for path in (bags[2] / "v1").rglob("*"):
        if path.is_file():
            path.unlink()
    for fast in (False, True):
        tasks = [*tasks_for(arc, records, fast), *source_tasks_for(arc, records, fast)]
        reports = [check_task(task) for task in tasks]
        sent = [compact(report) for report in reports]
        assert [expand(task, item) for task, item in zip(tasks, sent, strict=True)] == reports
        changed_kind = "tuple" if fast else "BagReport"  # a same-size change: only digests tell
        assert [type(item).__name__ for item in sent] == ["tuple", changed_kind, "BagReport",
                                                           "int", "int", "int"]
