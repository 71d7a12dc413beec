"""The catalogue never tears, corrupts or loses an acknowledged write: SIGKILL at random moments,
two processes writing at once, and stale edits refused."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import IO

import pytest
from helpers import replay_seed
from killgate import KillGate

from archive import catalog
from archive.errors import StaleRecordError
from archive.layout import open_archive
from archive.store.index import IndexShard

WRITER = textwrap.dedent(
    """
    import os
    import sys
    from pathlib import Path
    if os.environ.get("ARCHIVE_KILLGATE"):  # under a KillGate: stop inside every catalogue write
        import killgate
        killgate.instrument_atomic_writes()
        def ack(line):
            print(line, flush=True)
            killgate.gate("ack", line.split()[0])
    else:
        def ack(line):
            print(line, flush=True)
    from archive import catalog
    from archive.layout import open_archive
    root, work, tag, count = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    arc = open_archive(root)
    target = sys.argv[5] if len(sys.argv) > 5 else None
    for i in range(count):
        if target:
            rec = catalog.edit_record(arc, target, assignments=[f"section={tag}-{i}"])
            ack(f"EDIT {rec['id']} {rec['revision']}")
        else:
            f = work / f"{tag}-{i}.txt"
            f.write_text(f"Article {tag} {i}: " + "words " * 50)
            rec = catalog.add_article(arc, catalog.NewArticle(f, {"title": f"{tag} {i}"}))
            ack(f"ADD {rec['id']} {rec['revision']}")
            rec = catalog.edit_record(arc, rec["id"], assignments=[f"subtitle=edited {i}"])
            ack(f"EDIT {rec['id']} {rec['revision']}")
    """
)


def spawn_writer(root: Path, work: Path, tag: str, count: int, target: str | None = None, *,
                 env: dict[str, str] | None = None, stdout: IO | int = subprocess.PIPE):
    args = [sys.executable, "-c", WRITER, str(root), str(work), tag, str(count)]
    if target:
        args.append(target)
    return subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def acknowledged(output: str) -> dict[str, int]:
    """The highest revision acknowledged per record id."""
    acked: dict[str, int] = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("ADD", "EDIT"):
            acked[parts[1]] = max(acked.get(parts[1], 0), int(parts[2]))
    return acked


def catalogue_file(path: str) -> str | None:
    """Which catalogue file a write (its temporary or its target) is for."""
    target = Path(path)
    if target.parent.name == "records":
        return "shard"
    if target.parent.name == "index":
        return "index"
    if target.name.startswith("counter.json"):
        return "counter"
    return None


# Every moment inside a catalogue write: the temporary made, half written, about to be fsynced
# (only the shard is durable), about to be renamed over the file, renamed but its folder not yet
# fsynced. An add writes all three files, an edit the shard and the index.
STEPS = [("tmp", "created"), ("tmp", "half-written"), ("tmp", "before-fsync"),
         ("replace", "before"), ("replace", "after")]
KILL_POINTS = [(file, op, phase) for file in ("shard", "index", "counter") for op, phase in STEPS
               if file == "shard" or phase != "before-fsync"]


def assert_catalogue_whole(root: Path, all_acked: dict[str, int], where: str) -> None:
    """The catalogue opens, no file in it is torn, and every acknowledged write is in it."""
    for file in [*(root / "catalog").rglob("*.json")]:
        if file.parent.name == "index":  # not JSON as a whole: a header, the hay, rows, digests
            index = IndexShard.load(file)
            assert index is not None and len(index.rows) == len(index.ids), f"{where}: {file} is torn"
            continue
        try:
            json.loads(file.read_bytes())
        except ValueError as exc:
            raise AssertionError(f"{where}: {file.relative_to(root)} is torn: {exc}") from None
    arc = open_archive(root)
    for record_id, revision in all_acked.items():
        on_disk = arc.store.get(record_id)["revision"]
        assert on_disk >= revision, f"{where}: {record_id} acknowledged at {revision}, on disk {on_disk}"


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_an_acknowledged_write(archive_root: Path, tmp_path):
    """Each round lets the writer acknowledge a random number of writes, then kills it held at
    one chosen moment inside a catalogue write; every moment is hit twice, in a random order."""
    seed = replay_seed("catalogue SIGKILL test")
    rng = random.Random(seed)
    plan = KILL_POINTS * 2
    rng.shuffle(plan)
    all_acked: dict[str, int] = {}
    killed_at: list[tuple[str, str, str]] = []
    with KillGate() as gate:
        for round_no, point in enumerate(plan):
            skip = rng.randint(0, 6)
            where = f"seed {seed}, round {round_no} (kill at {point} after {skip} acknowledged writes)"
            acks = 0

            def kill_here(event, point=point, skip=skip) -> bool:
                nonlocal acks
                if event.op == "ack":
                    acks += 1
                    return False
                file = catalogue_file(event.paths[-1]) if event.paths else None
                return acks >= skip and (file, event.op, event.phase) == point

            log = tmp_path / f"acks-{round_no}.txt"
            with open(log, "w") as out:
                writer = spawn_writer(archive_root, tmp_path, f"r{round_no}", 1000, env=gate.env(),
                                      stdout=out)
            event = gate.run(writer, kill_here, timeout=300)
            stderr = writer.stderr.read() if writer.stderr else ""
            assert event is not None, f"{where}: the writer ended first (exit {writer.returncode}): {stderr}"
            assert writer.returncode == -signal.SIGKILL, f"{where}: exit {writer.returncode}: {stderr}"
            output = log.read_text()
            assert sum(1 for line in output.splitlines() if line.split()[0] in ("ADD", "EDIT")) == acks, where
            killed_at.append((catalogue_file(event.paths[-1]), event.op, event.phase))
            all_acked.update(acknowledged(output))
            assert_catalogue_whole(archive_root, all_acked, f"{where}, killed at {event}")
    assert sorted(killed_at) == sorted(plan), f"seed {seed}: every kill was mid-write"
    assert len(all_acked) >= 1, f"seed {seed}: some writes were acknowledged"
    # The next writer cleans up whatever the kills left, and its own writes land.
    finished = spawn_writer(archive_root, tmp_path, "after", 2)
    out, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, f"seed {seed}: {err}"
    all_acked.update(acknowledged(out))
    assert_catalogue_whole(archive_root, all_acked, f"seed {seed}, after the kills")
    leftovers = [p.name for p in (archive_root / "catalog").rglob("*.tmp")]
    assert not leftovers, f"seed {seed}: temporaries left behind: {leftovers}"
    arc = open_archive(archive_root)
    ids = [r["id"] for r in arc.store.summaries()]
    assert len(ids) == len(set(ids)), f"seed {seed}: an id was handed out twice"
    assert set(all_acked) <= set(ids), f"seed {seed}"
    print(f"{len(killed_at)} kills, all mid-write; {len(all_acked)} records acknowledged")


def test_two_processes_writing_at_once_lose_nothing(archive_root: Path, tmp_path, seed_copy):
    arc = open_archive(archive_root)
    shared = catalog.add_article(arc, catalog.NewArticle(seed_copy, {"title": "Shared"}))["id"]
    edits_each, adds_each = 40, 20
    procs = [spawn_writer(archive_root, tmp_path, tag, edits_each, shared) for tag in ("a", "b")]
    procs += [spawn_writer(archive_root, tmp_path, tag, adds_each) for tag in ("c", "d")]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    arc = open_archive(archive_root)
    record = arc.store.get(shared)
    assert record["revision"] == 1 + 2 * edits_each
    edits = [e for e in arc.store.events(shared) if e["type"]["label"] == "metadata modification"]
    assert len(edits) == 2 * edits_each
    added = [r for r in arc.store.summaries() if r["id"] != shared]
    assert len(added) == 2 * adds_each
    assert {r["revision"] for r in added} == {2}
    titles = {r["title"] for r in added}
    assert titles == {f"{t} {i}" for t in ("c", "d") for i in range(adds_each)}


def test_a_stale_edit_is_refused_with_a_way_forward(seeded_root: Path):
    first = open_archive(seeded_root)
    second = open_archive(seeded_root)
    record_id = first.store.ids()[0]
    mine = first.store.get(record_id)
    catalog.edit_record(second, record_id, assignments=["section=Theirs"])
    mine["section"] = "Mine"
    with pytest.raises(StaleRecordError, match=r"changed elsewhere.*reload it"):
        catalog.replace_record(first, mine)
    assert open_archive(seeded_root).store.get(record_id)["section"] == "Theirs"
    with pytest.raises(StaleRecordError):
        catalog.edit_record(first, record_id, assignments=["section=Mine"], expected_revision=1)


def test_a_reader_sees_another_process_writes_after_refresh(seeded_root: Path, cli, tmp_path):
    arc = open_archive(seeded_root)
    assert len(arc.store) == 1
    f = tmp_path / "n.txt"
    f.write_text("A new one.")
    assert cli("--root", seeded_root, "add", f).code == 0
    assert arc.store.refresh() is True
    assert len(arc.store) == 2
    assert arc.store.refresh() is False


def test_a_lost_index_is_rebuilt_from_the_shards(seeded_root: Path):
    for index_file in (seeded_root / "catalog" / "index").glob("*.json"):
        index_file.unlink()
    arc = open_archive(seeded_root)
    assert [r["title"] for r in arc.store.summaries()] == [
        "Russia's ambassador to Turkey shot dead at an Ankara art gallery"
    ]
    assert list((seeded_root / "catalog" / "index").glob("*.json"))
