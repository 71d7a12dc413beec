"""archive replicate to a folder replica, where bags go whole (archive/replicas/folder_push.py):
copied into a temporary folder, checked against the bag's manifests, committed by one rename, made
durable by one syncfs per batch before the batch is recorded.

What must hold: a run killed while a bag is half copied leaves a temporary folder that is never
taken for a copy, and the next run sweeps it and copies the bag; a temporary folder planted on the
replica is ignored and swept; the syncfs comes after every bag of a batch was renamed into place and
before the catalogue records them; a run that died before its final sync makes the next one check
source files by content; a local bag holding a link is refused whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import ARCHIVE_BIN
from killgate import Event, KillGate
from test_replicate import NAME, copies, local_files, make_archive, replication_events

from archive.replicas.folder_push import is_partial

SITE = textwrap.dedent('''
    import os
    if os.environ.get("ARCHIVE_KILLGATE"):
        import killgate
        killgate.install()
        from archive.replicas import folder_push
        from archive.storage.local import LocalStorage

        real_copy_file, real_sync = folder_push._copy_file, LocalStorage.sync

        def gated_copy_file(src, name, inode, dst, rel, copied):
            real_copy_file(src, name, inode, dst, rel, copied)
            killgate.gate("copy", "file-written", rel)

        def gated_sync(self):
            killgate.gate("sync", "before", self.root)
            real_sync(self)
            killgate.gate("sync", "after", self.root)

        folder_push._copy_file = gated_copy_file
        LocalStorage.sync = gated_sync

        from archive.replicas import push

        real_record, real_clear = push.record_copies, folder_push.Unsynced.clear

        def gated_record(arc, name, label, done):
            killgate.gate("record", "before", *(f"bags/{bag.record_id}/v{bag.version}" for bag in done))
            real_record(arc, name, label, done)

        def gated_clear(self):
            killgate.gate("unsynced", "clear", self.path)
            real_clear(self)

        push.record_copies = gated_record
        folder_push.Unsynced.clear = gated_clear
        if os.environ.get("TEST_FLUSH_SECONDS"):
            push.FLUSH_SECONDS = float(os.environ["TEST_FLUSH_SECONDS"])
        if os.environ.get("TEST_PRESYNC_SECONDS"):
            push.PRESYNC_SECONDS = float(os.environ["TEST_PRESYNC_SECONDS"])
        if os.environ.get("TEST_FOLDER_COPIERS"):  # the machine's load no longer picks the path
            copiers = int(os.environ["TEST_FOLDER_COPIERS"])
            push._folder_copiers = lambda jobs: min(jobs, copiers)
''')


def gated_run(gate: KillGate, root: Path, tmp_path: Path, *args: str,
              env_extra: dict[str, str] | None = None) -> subprocess.Popen:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITE)
    env = gate.env({**os.environ, "ARCHIVE_NO_PROGRESS": "1", **(env_extra or {})})
    env["PYTHONPATH"] = os.pathsep.join([str(site), env["PYTHONPATH"]])
    env.pop("ARCHIVE_ROOT", None)
    return subprocess.Popen([str(ARCHIVE_BIN), "--root", str(root), "replicate", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def gated_events(root: Path, tmp_path: Path, *args: str, env_extra: dict | None = None) -> list[Event]:
    """Run ``archive replicate`` held at every gate until it ends by itself, and every event it
    reported, in order: the tests below read durability order from them."""
    seen: list[Event] = []
    with KillGate() as gate:
        process = gated_run(gate, root, tmp_path, *args, env_extra=env_extra)
        assert gate.run(process, lambda event: seen.append(event) or False, timeout=300) is None
    assert process.returncode == 0
    return seen


def partials(replica: Path) -> list[Path]:
    return sorted(p for p in (replica / "bags").glob("*/*") if is_partial(p.name))


def assert_whole_copy(root: Path, replica: Path) -> None:
    for path, data in local_files(root).items():
        assert (replica / path).read_bytes() == data, path


def test_a_bag_killed_half_copied_is_never_a_copy_and_the_next_run_sweeps_it(cli, archive_root, tmp_path):
    ids = make_archive(cli, archive_root, tmp_path, count=3)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    with KillGate() as gate:
        written = 0

        def fifth_file(event: Event) -> bool:
            nonlocal written
            written += event.op == "copy"
            return written == 5  # mid-bag: a seed bag holds a dozen files

        process = gated_run(gate, archive_root, tmp_path, "--jobs", "1")
        event = gate.run(process, fifth_file, timeout=300)
    assert event is not None, "the run ended before its fifth file"
    [left] = partials(replica)
    half = left.parent.name
    assert not (left.parent / "v1").exists()
    assert half not in {record_id for record_id, _ in copies(archive_root)}
    assert replication_events(archive_root) == []

    run = cli("--root", archive_root, "replicate", "--json")
    assert run.code == 0, run
    report = json.loads(run.out)["replicas"][0]
    assert report["bags_copied"] == len(ids)
    assert partials(replica) == []
    assert set(copies(archive_root)) == {(record_id, 1) for record_id in ids}
    assert_whole_copy(archive_root, replica)


def test_a_temporary_bag_folder_on_the_replica_is_not_taken_for_a_copy(cli, archive_root, tmp_path):
    [record_id] = make_archive(cli, archive_root, tmp_path, count=1)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    planted = replica / "bags" / record_id / f".v1.0123456789ab{'.storage-partial'}"
    (planted / "data").mkdir(parents=True)
    (planted / "bagit.txt").write_bytes(b"not the bag's bytes")
    assert is_partial(planted.name)

    run = cli("--root", archive_root, "replicate", "--json")
    assert run.code == 0, run
    report = json.loads(run.out)["replicas"][0]
    assert report["bags_copied"] == 1 and report["files_sent"] > 1
    assert not planted.exists()
    assert_whole_copy(archive_root, replica)
    assert (replica / "bags" / record_id / "v1" / "bagit.txt").read_bytes() != b"not the bag's bytes"


COPIERS = pytest.mark.parametrize("copiers", ["1", "2"], ids=["one-copier", "two-copiers"])
"""A folder replica is copied by the command's thread alone on free cores and by two copier threads
when the cores are busy (push._folder_copiers reads the load average): each path is pinned and
tested on its own, whatever the machine's load."""


@COPIERS
def test_each_batch_is_synced_after_its_renames_and_before_it_is_recorded(cli, archive_root, tmp_path,
                                                                         copiers):
    make_archive(cli, archive_root, tmp_path, count=3)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    seen = gated_events(archive_root, tmp_path, env_extra={"TEST_FOLDER_COPIERS": copiers})
    renamed_unsynced = False
    records_written = 0
    for event in seen:
        if event.op == "rename" and event.phase == "after" and is_partial(Path(event.paths[0]).name):
            renamed_unsynced = True
        elif event.op == "sync" and event.phase == "after":
            renamed_unsynced = False
        elif event.op == "replace" and "/catalog/records/" in event.paths[-1] and event.phase == "before":
            assert not renamed_unsynced, "a bag was recorded before the sync that makes it durable"
            records_written += 1
    assert records_written >= 1
    assert sum(e.op == "rename" and e.phase == "after" and is_partial(Path(e.paths[0]).name)
               for e in seen) == 3
    assert len(copies(archive_root)) == 3
    assert not (archive_root / "catalog" / f".replicate-{NAME}.unsynced").exists()


def _written_then_synced(seen: list[Event]) -> tuple[dict[str, int], list[int]]:
    """Where each bag was renamed into place and each source file committed (its last such event),
    and where each syncfs ended, as positions in ``seen``."""
    written: dict[str, int] = {}
    synced = []
    for at, event in enumerate(seen):
        if event.phase == "after" and event.op == "rename" and is_partial(Path(event.paths[0]).name):
            bag = Path(event.paths[1])
            written[f"bags/{bag.parent.name}/{bag.name}"] = at
        elif event.phase == "after" and event.op == "replace" and "/sources/" in event.paths[-1]:
            written[event.paths[-1]] = at
        elif event.op == "sync" and event.phase == "after":
            synced.append(at)
    return written, synced


@COPIERS
def test_batches_recorded_while_the_copier_runs_hold_only_bags_renamed_and_synced(cli, archive_root,
                                                                                   tmp_path, copiers):
    """A batch a bag (``FLUSH_SECONDS`` 0), recorded by the recorder thread while the calling thread
    is still copying (syncfs run ahead in that thread too): each bag a batch records was renamed
    into place before a syncfs that ended before the record."""
    ids = make_archive(cli, archive_root, tmp_path, count=6)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    seen = gated_events(archive_root, tmp_path, "--jobs", "2",
                        env_extra={"TEST_FLUSH_SECONDS": "0", "TEST_FOLDER_COPIERS": copiers})
    written, synced = _written_then_synced(seen)
    recorded = [(at, bag) for at, event in enumerate(seen) if event.op == "record" for bag in event.paths]
    assert sorted(bag for _, bag in recorded) == sorted(f"bags/{record_id}/v1" for record_id in ids)
    assert len({at for at, _ in recorded}) > 1, "one batch only: nothing was recorded mid-run"
    for at, bag in recorded:
        assert any(written[bag] < sync < at for sync in synced), \
            f"{bag} recorded before a sync made it durable"
    assert set(copies(archive_root)) == {(record_id, 1) for record_id in ids}


@COPIERS
def test_the_disk_is_synced_while_the_bags_are_still_being_copied(cli, archive_root, tmp_path, copiers):
    """The recorder thread runs syncfs ahead of the batch's own while the copying goes on
    (``PRESYNC_SECONDS``, here 0: as often as one can start), so the batch's syncfs, after the last
    copy, finds little left to write; on both paths. Before, with two copiers, the only syncfs
    began after the last bag was copied. Whatever runs ahead, nothing is recorded before a syncfs
    that followed the bag's rename (the tests above)."""
    make_archive(cli, archive_root, tmp_path, count=6)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    seen = gated_events(archive_root, tmp_path, "--jobs", "2",
                        env_extra={"TEST_PRESYNC_SECONDS": "0", "TEST_FOLDER_COPIERS": copiers})
    renames = [at for at, e in enumerate(seen)
               if e.op == "rename" and e.phase == "after" and is_partial(Path(e.paths[0]).name)]
    syncs = [at for at, e in enumerate(seen) if e.op == "sync" and e.phase == "before"]
    assert len(renames) == 6
    assert any(renames[0] < at < renames[-1] for at in syncs), \
        "no syncfs began while the bags were still being copied"
    assert len(copies(archive_root)) == 6


def test_a_source_file_sent_after_the_last_batch_is_synced_before_the_run_mark_goes(cli, archive_root,
                                                                                   tmp_path):
    """A run with no bag to copy that sends a source file: its closing syncfs comes after that file
    and before the run's unsynced mark is removed (no batch's syncfs covered it)."""
    make_archive(cli, archive_root, tmp_path, count=2)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    assert cli("--root", archive_root, "replicate").code == 0
    [source, *_] = sorted((replica / "sources").glob("*/*"))
    source.unlink()
    seen = gated_events(archive_root, tmp_path)
    written, synced = _written_then_synced(seen)
    [(path, at)] = written.items()
    assert path.endswith(f"sources/{source.parent.name}/{source.name}")
    [cleared] = [i for i, event in enumerate(seen) if event.op == "unsynced"]
    assert any(at < sync < cleared for sync in synced), "the run's mark went before its files were synced"
    assert source.exists()


def test_after_a_run_died_unsynced_source_files_are_checked_by_content(cli, archive_root, tmp_path):
    make_archive(cli, archive_root, tmp_path, count=2)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    assert cli("--root", archive_root, "replicate").code == 0
    expected = local_files(archive_root)
    source = next(path for path in expected if path.startswith("sources/"))
    # What a power cut before the sync may leave: the right size, zeros; and the run's mark.
    (replica / source).write_bytes(bytes(len(expected[source])))
    (archive_root / "catalog" / f".replicate-{NAME}.unsynced").touch()

    run = cli("--root", archive_root, "replicate", "--json")
    assert run.code == 0, run
    assert json.loads(run.out)["replicas"][0]["sources_sent"] == 1
    assert (replica / source).read_bytes() == expected[source]
    assert not (archive_root / "catalog" / f".replicate-{NAME}.unsynced").exists()


def test_a_local_bag_holding_a_link_is_refused_whole(cli, archive_root, tmp_path):
    ids = make_archive(cli, archive_root, tmp_path, count=2)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the archive")
    (archive_root / "bags" / ids[0] / "v1" / "data" / "planted").symlink_to(secret)

    run = cli("--root", archive_root, "replicate")
    assert run.code == 1, run
    assert f"bag {ids[0]} v1" in run.err and "data/planted" in run.err and "symbolic link" in run.err
    assert set(copies(archive_root)) == {(ids[1], 1)}
    assert not (replica / "bags" / ids[0] / "v1").exists()
    assert partials(replica) == []


def test_a_run_in_the_archives_own_form_never_imports_the_bag_checker(cli, archive_root, tmp_path):
    """The bag checker (archive.fixity) and the manifest parsers are imported only for a bag not in
    the archive's own form, or a file to hash again after a crash: importing them with the module
    was a fixed cost of every run. The copies are still checked (the tests above and
    test_replicate.py's rotten file); this only proves the parsers are not loaded to do it."""
    make_archive(cli, archive_root, tmp_path, count=2)
    assert cli("--root", archive_root, "replica", "add", NAME, tmp_path / "rep").code == 0
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    env.pop("ARCHIVE_ROOT", None)
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "archive", "--root", str(archive_root),
                           "replicate", NAME], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    assert "archive.replicas.folder_push" in names  # the folder path ran
    assert not sorted(n for n in names if n.startswith(("archive.fixity", "archive.bagit_format")))
    assert len(copies(archive_root)) == 2


def test_the_bytes_kept_for_the_manifest_check_are_within_the_inventorys_bounds():
    """folder_push keeps a bag's tag files under its own names for two numbers, to spare the import
    above; the inventory it hands them to (for a bag not in the archive's own form) has the same."""
    from archive.fixity import inventory
    from archive.replicas import folder_push

    assert (folder_push.KEEP_FILE, folder_push.KEEP_TOTAL) == (inventory.KEEP_FILE, inventory.KEEP_TOTAL)
