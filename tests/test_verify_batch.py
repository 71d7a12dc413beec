"""Verify records its results a batch at a time (one read of the batch's records, one write of
their updates and events per shard): each bag still gets its own PREMIS fixity event, stamped
with the time its ``last_fixity`` records, and a failing bag's event names its failing file."""

from __future__ import annotations

import json
from pathlib import Path


def _bagged_archive(cli, archive_root: Path, tmp_path: Path, count: int) -> list[str]:
    texts = tmp_path / "texts"
    texts.mkdir()
    for i in range(count):
        (texts / f"article-{i}.txt").write_text(f"Article {i}\n\n" + f"word{i} " * 200, encoding="utf-8")
    assert cli("--root", archive_root, "import", texts).code == 0
    assert cli("--root", archive_root, "bag", "--all").code == 0
    return sorted(p.name for p in (archive_root / "bags").iterdir())


def _fix_events(cli, root: Path, record_id: str) -> list[dict]:
    history = json.loads(cli("--root", root, "history", record_id, "--json").out)
    return [e for e in history if e["type"]["label"] == "fixity check"]


def test_every_bag_of_a_batch_gets_its_own_event_at_its_last_fixity_time(cli, archive_root, tmp_path):
    ids = _bagged_archive(cli, archive_root, tmp_path, 12)  # past INLINE_BELOW: checked in the pool
    damaged = archive_root / "bags" / ids[5] / "v1" / "data" / "metadata" / "citation.ris"
    data = damaged.read_bytes()
    damaged.write_bytes(bytes([data[0] ^ 1]) + data[1:])  # same size: only the digests can tell
    result = cli("--root", archive_root, "verify", "--jobs", "2")
    assert result.code == 1, result
    assert f"FAILED {ids[5]} v1" in result.out and "data/metadata/citation.ris" in result.out
    seen = set()
    for record_id in ids:
        (event,) = _fix_events(cli, archive_root, record_id)
        shown = json.loads(cli("--root", archive_root, "show", record_id, "--json").out)
        fixity = shown["bags"][0]["last_fixity"]
        assert event["record_id"] == record_id and event["bag_version"] == 1
        assert event["at"] == fixity["at"] and event["outcome"]["label"] == fixity["outcome"]
        assert event["outcome_detail"]["bag"] == f"bags/{record_id}/v1"
        seen.add(event["id"])
        if record_id == ids[5]:
            assert event["outcome"]["label"] == "failure"
            assert event["outcome"]["uri"].endswith("/eventOutcome/fai")
            assert event["outcome_detail"]["failures"] == ["changed data/metadata/citation.ris: changed"]
        else:
            assert event["outcome"]["label"] == "success" and "all files intact" in event["detail"]
    assert len(seen) == len(ids)  # every event its own id


def test_a_second_verify_adds_one_more_event_per_bag(cli, archive_root, tmp_path):
    ids = _bagged_archive(cli, archive_root, tmp_path, 3)
    for _ in range(2):
        assert cli("--root", archive_root, "verify").code == 0
    for record_id in ids:
        events = _fix_events(cli, archive_root, record_id)
        assert len(events) == 2 and events[0]["id"] != events[1]["id"]
        assert events[0]["at"] <= events[1]["at"]


def _pool_threads(before: frozenset = frozenset()) -> list[str]:
    """The pool threads alive now that were not alive ``before`` (an earlier test in the same
    xdist worker may have left a pool of its own winding down)."""
    import threading

    return [t.name for t in threading.enumerate() if t not in before and
            (t.name == "verify-pool-start" or type(t).__name__ == "_ExecutorManagerThread")]


def test_the_pool_started_while_planning_is_shut_down_when_planning_fails(cli, archive_root, tmp_path):
    import threading

    import pytest

    from archive.errors import RecordNotFoundError
    from archive.fixity.verify import verify_archive
    from archive.layout import open_archive

    ids = _bagged_archive(cli, archive_root, tmp_path, 9)
    missing = ids[0].rsplit("-", 1)[0] + "-999999"
    before = frozenset(threading.enumerate())
    with pytest.raises(RecordNotFoundError, match=missing):
        verify_archive(open_archive(archive_root), [*ids, missing], jobs=2)
    assert _pool_threads(before) == []
    report = verify_archive(open_archive(archive_root), ids, jobs=2)  # the early pool does the checking
    assert report.ok and len(report.bags) == 9
    assert _pool_threads(before) == []
    result = cli("--root", archive_root, "verify", *ids, missing)
    assert (result.code, result.out) == (1, "") and result.err == f"archive: error: no record {missing}\n"


_POOL_PARENTS = """
import os, sys, threading
from archive.fixity.verify import EarlyPool

def worker_parents():
    early = EarlyPool(2)
    pool = early.take()
    try:
        return {f.result() for f in [pool.submit(os.getppid) for _ in range(8)]}
    finally:
        pool.shutdown(wait=True)

alone = worker_parents()
stop = threading.Event()
waiter = threading.Thread(target=stop.wait)
waiter.start()
beside_a_thread = worker_parents()
stop.set()
waiter.join()
print(alone == {os.getpid()}, os.getpid() not in beside_a_thread)
"""


def test_workers_are_forked_by_a_process_running_no_other_thread_else_by_a_fork_server():
    """A fork copies the locks other threads hold (a TUI's), so the checker's workers are forked
    only from a process running no other thread (the CLI): their parent is the process itself.
    Beside another thread they come from a fork server, a process of its own."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", _POOL_PARENTS], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"], result.stdout
