"""History segments and their compaction (archive/store/compaction.py): a shard's events grouped
by record, crash-safe at every step, safe on a full disk, shared by concurrent writers, damaged
files named, old logs migrated, the amortised rewrite logarithmic."""

from __future__ import annotations

import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import RECORDS, made_archive
from killgate import KillGate

from archive.errors import StoreError
from archive.events import make_event
from archive.layout import open_archive
from archive.store import catalog_store, compaction
from archive.store.history import HISTORY, SEGMENTS, committed_end, generations, log_name, segment_name

SMALL = 6000
"""FLUSH_BYTES in these tests: a compaction every few transactions, merges every few more."""

WRITER = textwrap.dedent(
    """
    import os
    import sys
    from archive.store import compaction
    compaction.FLUSH_BYTES = int(sys.argv[2])
    if os.environ.get("ARCHIVE_KILLGATE"):  # stop at every step of a compaction
        import killgate
        from archive.store import segments
        from archive.store.atomic import TMP_SUFFIX
        killgate.instrument_atomic_writes()
        killgate._gate_file_steps(segments, "segment", lambda path, flags: str(path).endswith(TMP_SUFFIX),
                                  on_open="created")
        real_compact, real_remove = compaction.compact, compaction._remove_unreferenced

        def compact(*args):
            killgate.gate("compact", "start")
            result = real_compact(*args)
            killgate.gate("compact", "end")
            return result

        def remove(*args):
            killgate.gate("remove", "before")
            real_remove(*args)
            killgate.gate("remove", "after")

        compaction.compact, compaction._remove_unreferenced = compact, remove
    from archive.events import make_event
    from archive.layout import open_archive
    arc = open_archive(sys.argv[1])
    ids = arc.store.ids()
    for n in range(1, int(sys.argv[3]) + 1):
        with arc.store.transaction() as tx:
            for i, record_id in enumerate(ids):
                for k in range(i + 1):
                    tx.log(make_event("val", record_id, detail=f"{sys.argv[4]} {n} {k}"))
        print("DONE", n, flush=True)
    """
)


def _three_in_one_shard(root: Path, cli) -> None:
    """Three records in one shard (the seed and two more)."""
    extra = root.parent / "extra"
    extra.mkdir()
    steps = [["init", root, "--org", "Test Archive", "--contact-name", "Ada Archivist",
              "--contact-email", "ada@example.org"], ["--root", root, "import", RECORDS]]
    for n in range(2):
        (extra / f"more-{n}.txt").write_text(f"Another article, number {n}, sharing the shard.")
        steps.append(["--root", root, "add", extra / f"more-{n}.txt", "--title", f"More {n}"])
    for args in steps:
        result = cli(*args)
        assert result.code == 0, result


@pytest.fixture
def three_root(tmp_path: Path) -> Path:
    """A copy of the three-record archive, built through the CLI once per worker."""
    return made_archive(tmp_path / "arc", "history-three-in-one-shard", _three_in_one_shard)


def run_writer(root: Path, transactions: int, tag: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(SMALL), str(transactions), tag],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def history_of(cli, root: Path, record_id: str) -> list[dict]:
    result = cli("--root", root, "history", record_id, "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def written_by(events: list[dict], tag: str) -> list[str]:
    return [e["detail"] for e in events if e["detail"].startswith(f"{tag} ")]


def expected_details(tag: str, transactions: int, position: int) -> list[str]:
    """What WRITER logs for the record at ``position`` (0-based) in ``transactions`` transactions."""
    return [f"{tag} {n} {k}" for n in range(1, transactions + 1) for k in range(position + 1)]


def shard_data(root: Path) -> dict:
    return json.loads((root / "catalog" / "records" / "000000.json").read_bytes())


def files_are_only_the_committed(root: Path) -> None:
    """The history folder holds what the shard lists and nothing else (after a compaction)."""
    data = shard_data(root)
    listed = {segment_name(0, g) for g in generations(data)} | {log_name(0, data)}
    on_disk = set(os.listdir(root / "catalog" / "history"))
    assert on_disk <= listed, on_disk - listed
    assert {segment_name(0, g) for g in generations(data)} <= on_disk


def all_events_once(root: Path, count: int) -> None:
    store = open_archive(root).store
    everything = list(store.iter_events())
    assert len(everything) == store.event_count() == count
    assert len({e["id"] for e in everything}) == count


def test_compaction_groups_each_records_events_and_reads_them_the_same(three_root: Path, cli):
    ids = open_archive(three_root).store.ids()
    before = {record_id: history_of(cli, three_root, record_id) for record_id in ids}
    writer = run_writer(three_root, 30, "w")
    _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    data = shard_data(three_root)
    assert len(generations(data)) >= 2, data.get(SEGMENTS)  # flushed and merged
    assert committed_end(data[HISTORY]) < SMALL
    for position, record_id in enumerate(ids):
        events = history_of(cli, three_root, record_id)
        assert events[:len(before[record_id])] == before[record_id]
        assert written_by(events, "w") == expected_details("w", 30, position)
        assert events == sorted(events, key=lambda e: e["at"])
    files_are_only_the_committed(three_root)
    all_events_once(three_root, sum(map(len, before.values())) + 30 * 6)


def _compaction_steps(root: Path, transactions: int, kill_at: int | None) -> tuple[list, object, str]:
    """Run WRITER under a KillGate; return the gate events seen inside compactions, the one it
    was killed at (None if it ran through) and its output."""
    inside: list = []
    state = {"open": False}

    def decide(event) -> bool:
        if (event.op, event.phase) == ("compact", "start"):
            state["open"] = True
        if state["open"]:
            inside.append(event)
            if kill_at is not None and len(inside) == kill_at:
                return True
        if (event.op, event.phase) == ("compact", "end"):
            state["open"] = False
        return False

    with KillGate() as gate:
        writer = run_writer(root, transactions, "w", env=gate.env())
        event = gate.run(writer, decide)
        out = writer.stdout.read() if writer.stdout else ""
        if event is None:
            assert writer.wait() == 0, writer.stderr.read() if writer.stderr else ""
    return inside, event, out


@pytest.mark.parametrize("seed", range(8))
def test_a_kill_anywhere_in_a_compaction_loses_and_duplicates_nothing(three_root: Path, cli, tmp_path, seed):
    """The writer is killed at a random step of a random compaction (segment created, half
    written, before its fsync, its rename, the shard's temporary and rename that commit it, the
    removal of the replaced files): every committed event reads back once, in order."""
    transactions = 14
    dry = tmp_path / "dry"
    shutil.copytree(three_root, dry, symlinks=True)
    steps, _, _ = _compaction_steps(dry, transactions, None)
    assert sum(1 for e in steps if e.op == "compact" and e.phase == "start") >= 4, steps
    kill_at = random.Random(seed).randrange(1, len(steps) + 1)
    if (steps[kill_at - 1].op, steps[kill_at - 1].phase) == ("compact", "end") and seed % 2:
        kill_at -= 1  # half the seeds that drew the end of a compaction take the step before

    ids = open_archive(three_root).store.ids()
    before = {record_id: history_of(cli, three_root, record_id) for record_id in ids}
    _, event, out = _compaction_steps(three_root, transactions, kill_at)
    assert event is not None, f"no kill at step {kill_at} of {len(steps)}"
    committed = out.count("DONE") + 1  # killed inside the commit of the next transaction
    for position, record_id in enumerate(ids):
        events = history_of(cli, three_root, record_id)
        assert events[:len(before[record_id])] == before[record_id], event
        assert written_by(events, "w") == expected_details("w", committed, position), event
    all_events_once(three_root, sum(map(len, before.values())) + committed * 6)

    writer = run_writer(three_root, 6, "after")  # the next writer compacts and clears what was left
    _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    for position, record_id in enumerate(ids):
        events = history_of(cli, three_root, record_id)
        assert written_by(events, "w") == expected_details("w", committed, position)
        assert written_by(events, "after") == expected_details("after", 6, position)
    files_are_only_the_committed(three_root)
    all_events_once(three_root, sum(map(len, before.values())) + (committed + 6) * 6)


def _log_transaction(arc, record_id: str, n: int) -> None:
    with arc.store.transaction() as tx:
        for k in range(4):
            tx.log(make_event("val", record_id, detail=f"disk {n} {k}"))


def test_a_full_disk_during_a_compaction_leaves_the_history_as_it_was(three_root: Path, cli, monkeypatch):
    """RLIMIT_FSIZE lets every file the catalogue has grow a little, but not the segment a merge
    of three segments and the log would make: the write commits, its compaction fails (EFBIG) and
    changes nothing, and the next write without the limit compacts."""
    monkeypatch.setattr(compaction, "FLUSH_BYTES", 20000)
    arc = open_archive(three_root)
    record_id = arc.store.ids()[0]
    n, growth = 0, 0
    while True:  # until the next transaction's compaction merges three segments
        end = committed_end(shard_data(three_root)[HISTORY])
        _log_transaction(arc, record_id, n)
        n += 1
        data = shard_data(three_root)
        growth = max(growth, committed_end(data[HISTORY]) - end)
        sizes = [data[SEGMENTS][str(g)]["bytes"] for g in generations(data)]
        if (len(sizes) >= 3 and committed_end(data[HISTORY]) + growth >= compaction.FLUSH_BYTES
                and compaction.merge_count(sizes, compaction.FLUSH_BYTES) == 3):
            break
        assert n < 500
    catalogue = three_root / "catalog"
    largest = max(p.stat().st_size for p in catalogue.rglob("*") if p.is_file())
    limit = largest + 2 * growth + 1024
    assert sum(sizes[-3:]) + compaction.FLUSH_BYTES > limit
    before_files = {p.name: p.read_bytes() for p in (catalogue / "history").iterdir() if p.suffix == ".seg"}
    expected = history_of(cli, three_root, record_id)

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        _log_transaction(arc, record_id, n)  # commits; the compaction after it fails
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    data = shard_data(three_root)
    assert committed_end(data[HISTORY]) >= compaction.FLUSH_BYTES, "the compaction was not attempted"
    assert [data[SEGMENTS][str(g)]["bytes"] for g in generations(data)] == sizes
    after_files = {p.name: p.read_bytes() for p in (catalogue / "history").iterdir() if p.suffix == ".seg"}
    assert after_files == before_files
    assert not [p for p in (catalogue / "history").iterdir() if p.name.endswith(".tmp")]
    events = history_of(cli, three_root, record_id)
    assert events[:len(expected)] == expected and written_by(events, "disk")[-4:] == [
        f"disk {n} {k}" for k in range(4)]

    _log_transaction(arc, record_id, n + 1)  # room again: this write compacts
    data = shard_data(three_root)
    assert committed_end(data[HISTORY]) == 0 and len(generations(data)) == len(sizes) - 2
    assert history_of(cli, three_root, record_id)[:len(events)] == events
    files_are_only_the_committed(three_root)


def test_a_compaction_whose_commit_fails_leaves_no_segment_behind(three_root: Path, cli, monkeypatch):
    """The segment is written but the shard that would list it cannot be (a full disk at the
    commit): the new segment is removed, the shard and the history are as they were."""
    arc = open_archive(three_root)
    record_id = arc.store.ids()[0]
    _log_transaction(arc, record_id, 0)
    before = history_of(cli, three_root, record_id)
    shard_before = shard_data(three_root)
    files_before = sorted(os.listdir(three_root / "catalog" / "history"))
    real = compaction.compact
    seen = []

    def full_at_commit(folder, shard, data, commit):
        def refuse(new):
            seen.append(sorted(os.listdir(folder)))
            raise StoreError("disk full while writing 000000.json; nothing was changed")

        return real(folder, shard, data, refuse)

    monkeypatch.setattr(compaction, "compact", full_at_commit)
    monkeypatch.setattr(compaction, "FLUSH_BYTES", 1)
    _log_transaction(arc, record_id, 1)  # commits; its compaction fails at the commit
    assert seen and segment_name(0, 1) in seen[0], "the segment was written before the commit"
    assert sorted(os.listdir(three_root / "catalog" / "history")) == files_before
    data = shard_data(three_root)
    assert SEGMENTS not in data and len(data[HISTORY]) == len(shard_before[HISTORY])
    events = history_of(cli, three_root, record_id)
    assert events[:len(before)] == before and len(events) == len(before) + 4


def test_two_writers_compacting_at_once_lose_and_duplicate_nothing(three_root: Path, cli):
    ids = open_archive(three_root).store.ids()
    before = {record_id: history_of(cli, three_root, record_id) for record_id in ids}
    writers = [run_writer(three_root, 15, tag) for tag in ("a", "b")]
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        assert out.count("DONE") == 15
    assert len(generations(shard_data(three_root))) >= 2
    for position, record_id in enumerate(ids):
        events = history_of(cli, three_root, record_id)
        for tag in ("a", "b"):
            assert written_by(events, tag) == expected_details(tag, 15, position)
    files_are_only_the_committed(three_root)
    all_events_once(three_root, sum(map(len, before.values())) + 2 * 15 * 6)


def _compacted(root: Path, monkeypatch) -> tuple[str, Path]:
    monkeypatch.setattr(compaction, "FLUSH_BYTES", 1)  # every write compacts
    arc = open_archive(root)
    record_id = arc.store.ids()[0]
    _log_transaction(arc, record_id, 0)
    [generation] = generations(shard_data(root))
    return record_id, root / "catalog" / "history" / segment_name(0, generation)


@pytest.mark.parametrize("damage", ["range", "index", "footer", "truncated", "missing"])
def test_a_damaged_segment_is_one_clear_line_naming_it(three_root: Path, cli, monkeypatch, damage):
    record_id, segment = _compacted(three_root, monkeypatch)
    data = bytearray(segment.read_bytes())
    torn = "(a torn or changed file)"
    reasons = {"range": f"the events of record 1 at byte 0 fail their checksum {torn}",
               "index": "its index fails its checksum",
               "footer": f"its footer is not a segment's {torn}",
               "truncated": f"its footer is not a segment's {torn}",
               "missing": "it is missing but the catalogue references it"}
    if damage == "range":
        data[10] ^= 0x01
    elif damage == "index":
        data[-30] ^= 0x01  # inside the last index entry
    elif damage == "footer":
        data[-20] ^= 0x01  # the index offset
    elif damage == "truncated":
        del data[-7:]
    if damage == "missing":
        segment.unlink()
    else:
        segment.write_bytes(bytes(data))
    for args in (["history", record_id], ["history", record_id, "--json"]):
        result = cli("--root", three_root, *args)
        assert (result.code, result.out) == (1, ""), result
        assert result.err == (f"archive: error: history file {segment} is damaged: {reasons[damage]}; "
                              "it was left untouched - restore it from a backup\n"), result.err


def test_an_old_log_migrates_into_a_segment_on_the_write_that_finds_it_large(three_root: Path, cli,
                                                                              monkeypatch):
    arc = open_archive(three_root)
    ids = arc.store.ids()
    for n in range(10):  # the original log format: one log, no segments
        _log_transaction(arc, ids[n % 3], n)
    old_log = three_root / "catalog" / "history" / "000000.log"
    assert old_log.exists() and SEGMENTS not in shard_data(three_root)
    before = {record_id: history_of(cli, three_root, record_id) for record_id in ids}
    monkeypatch.setattr(compaction, "FLUSH_BYTES", old_log.stat().st_size)
    _log_transaction(open_archive(three_root), ids[0], 99)
    assert not old_log.exists() and len(generations(shard_data(three_root))) == 1
    for record_id in ids:
        events = history_of(cli, three_root, record_id)
        assert events[:len(before[record_id])] == before[record_id]
        assert len(events) == len(before[record_id]) + (4 if record_id == ids[0] else 0)
    files_are_only_the_committed(three_root)


def test_a_reader_whose_files_a_compaction_removed_reads_the_shard_again(three_root: Path, monkeypatch):
    """Readers take no lock: a compaction in another process may commit and remove the files
    between a reader's read of the shard and its open of them; the reader then starts again."""
    record_id, first = _compacted(three_root, monkeypatch)
    reader = open_archive(three_root).store
    expected = reader.history(record_id)
    real = catalog_store.record_events
    calls = []

    def compact_meanwhile(*args):
        if not calls:
            for n in range(3):  # the third compaction merges the first segment away
                _log_transaction(open_archive(three_root), record_id, n + 7)
            assert not first.exists()
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(catalog_store, "record_events", compact_meanwhile)
    events = reader.history(record_id)
    assert len(calls) == 2, "the first read should have found its segment gone"
    assert events[:len(expected)] == expected and len(events) == len(expected) + 12


def test_the_amortised_rewrite_is_logarithmic():
    """A simulated shard flushing its log 4,096 times: every byte is written at most
    1 + log_FANOUT(total / BASE) times by compactions, and few segments are live at once."""
    flush = compaction.FLUSH_BYTES
    base = flush // 2
    segments: list[int] = []
    written = flushed = most = 0
    for _ in range(4096):
        taken = compaction.merge_count(segments, flush)
        merged = flush + sum(segments[len(segments) - taken:])
        del segments[len(segments) - taken:]
        segments.append(merged)
        written += merged
        flushed += flush
        most = max(most, len(segments))
    tiers = math.log(flushed / base, compaction.FANOUT)
    assert written <= flushed * (1 + tiers), (written / flushed, tiers)
    assert most <= (compaction.FANOUT - 1) * (math.floor(tiers) + 1)
