"""The catalogue never tears, corrupts or loses an acknowledged write: SIGKILL at random moments,
two processes writing at once, and stale edits refused."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archive import catalog
from archive.errors import StaleRecordError
from archive.layout import open_archive

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from archive import catalog
    from archive.layout import open_archive
    root, work, tag, count = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    arc = open_archive(root)
    target = sys.argv[5] if len(sys.argv) > 5 else None
    for i in range(count):
        if target:
            rec = catalog.edit_record(arc, target, assignments=[f"section={tag}-{i}"])
            print(f"EDIT {rec['id']} {rec['revision']}", flush=True)
        else:
            f = work / f"{tag}-{i}.txt"
            f.write_text(f"Article {tag} {i}: " + "words " * 50)
            rec = catalog.add_article(arc, catalog.NewArticle(f, {"title": f"{tag} {i}"}))
            print(f"ADD {rec['id']} {rec['revision']}", flush=True)
            rec = catalog.edit_record(arc, rec["id"], assignments=[f"subtitle=edited {i}"])
            print(f"EDIT {rec['id']} {rec['revision']}", flush=True)
    """
)


def spawn_writer(root: Path, work: Path, tag: str, count: int, target: str | None = None):
    args = [sys.executable, "-c", WRITER, str(root), str(work), tag, str(count)]
    if target:
        args.append(target)
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def acknowledged(output: str) -> dict[str, int]:
    """The highest revision acknowledged per record id."""
    acked: dict[str, int] = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("ADD", "EDIT"):
            acked[parts[1]] = max(acked.get(parts[1], 0), int(parts[2]))
    return acked


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_an_acknowledged_write(archive_root: Path, tmp_path):
    rng = random.Random(8493)
    all_acked: dict[str, int] = {}
    for round_no in range(30):
        writer = spawn_writer(archive_root, tmp_path, f"r{round_no}", 1000)
        time.sleep(rng.uniform(0.25, 0.9))  # python start-up takes ~0.2 s; then it writes
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate()
        all_acked.update(acknowledged(out))
        # The catalogue must open cleanly every time, with every acknowledged write in it.
        arc = open_archive(archive_root)
        for record_id, revision in all_acked.items():
            assert arc.store.get(record_id)["revision"] >= revision, (round_no, record_id)
        for shard in (archive_root / "catalog" / "records").glob("*.json"):
            json.loads(shard.read_bytes())  # never torn
    assert len(all_acked) > 30, "the writer should have been killed mid-stream many times"
    arc = open_archive(archive_root)
    ids = [r["id"] for r in arc.store.summaries()]
    assert len(ids) == len(set(ids))
    assert set(all_acked) <= set(ids)


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
