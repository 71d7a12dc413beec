"""Trust in bagging (issue 9): adoption proves a bag is exactly the archive's own, the early-sync
thread cannot lose a race with make_bag, every catalogued file name can be bagged, killed runs
leave no processes behind, and ``bag --rebag`` writes a new version with the current bag-info."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import orjson
import psutil
import pytest
from bag_tamper import reseal, same_length_change
from filelock import FileLock
from helpers import ARCHIVE_BIN, REPO, SEED, wait_for

from archive.bagit_format import taginfo
from archive.fixity import validate_bag
from archive.layout import open_archive
from archive.records import metadata_fingerprint

HTML = REPO / "tests" / "fixtures" / "html" / "opengraph.html"


def ids_of(cli, root: Path) -> list[str]:
    return [row["id"] for row in json.loads(cli("--root", root, "list", "--json").out)]


def bag_all(cli, root: Path, *extra: str) -> list[dict]:
    result = cli("--root", root, "bag", "--all", "--json", *extra)
    assert result.code == 0, result
    return json.loads(result.out)


def plant_copy(root: Path, record_id: str, tamper) -> Path:
    """bags/<id>/v2: a copy of v1 changed by ``tamper`` and resealed, so it is valid BagIt."""
    v1, v2 = root / "bags" / record_id / "v1", root / "bags" / record_id / "v2"
    shutil.copytree(v1, v2)
    tamper(v2)
    reseal(v2)
    checked = validate_bag(v2)
    assert checked.valid, [p.line() for p in checked.problems]  # valid BagIt: only the pins can tell
    return v2


# --- 1. adoption proves the bag is exactly what this archive would have written ----------------


def test_a_planted_bag_with_other_text_is_not_adopted_and_stays_an_orphan(cli, seeded_root):
    assert cli("--root", seeded_root, "add", HTML).code == 0
    seed_id, html_id = ids_of(cli, seeded_root)
    bag_all(cli, seeded_root)
    record = open_archive(seeded_root).store.get(html_id)
    text_name = record["source"]["text_filename"]
    plant_copy(seeded_root, seed_id,
               lambda bag: same_length_change(bag / "data/source/ankara-ambassador-shooting.txt"))
    plant_copy(seeded_root, html_id, lambda bag: same_length_change(bag / "data/source" / text_name))

    rows = bag_all(cli, seeded_root)
    assert [(r["outcome"], r["version"]) for r in rows] == [("unchanged", 1), ("unchanged", 1)], rows
    assert not any("adopted" in r["message"] for r in rows)
    for record_id in (seed_id, html_id):
        assert [b["version"] for b in open_archive(seeded_root).store.get(record_id)["bags"]] == [1]
    report = cli("--root", seeded_root, "verify")
    assert report.code == 1, report
    assert f"ORPHAN bags/{seed_id}/v2" in report.out and f"ORPHAN bags/{html_id}/v2" in report.out


def test_a_planted_bag_with_an_extra_file_or_other_record_json_is_not_adopted(cli, seeded_root):
    [record_id] = ids_of(cli, seeded_root)
    bag_all(cli, seeded_root)
    v2 = plant_copy(seeded_root, record_id,
                    lambda bag: (bag / "data/source/extra.txt").write_text("more\n", encoding="utf-8"))
    rows = bag_all(cli, seeded_root)
    assert rows[0]["outcome"] == "unchanged" and "adopted" not in rows[0]["message"], rows

    shutil.rmtree(v2)
    current = open_archive(seeded_root).store.get(record_id)

    def other_record_json(bag: Path) -> None:  # same descriptive fields, another uuid
        bagged = {**current, "uuid": "00000000-0000-4000-8000-000000000000"}
        (bag / "data/metadata/record.json").write_bytes(orjson.dumps(bagged, option=orjson.OPT_INDENT_2))

    plant_copy(seeded_root, record_id, other_record_json)
    rows = bag_all(cli, seeded_root)
    assert rows[0]["outcome"] == "unchanged" and "adopted" not in rows[0]["message"], rows
    assert "ORPHAN" in cli("--root", seeded_root, "verify").out


# --- 2. the early-sync thread and make_bag's move ---------------------------------------------


def test_the_early_sync_never_loses_the_race_with_make_bag_moving_the_file(seeded_root, tmp_path,
                                                                            monkeypatch):
    """Deterministic: the sync thread is held until the staged file has been moved, which is the
    interleaving that printed ``Exception in thread bag-sync … FileNotFoundError``."""
    from archive.bagging import contents, payload

    record = open_archive(seeded_root).store.get(open_archive(seeded_root).store.ids()[0])
    sources = tmp_path / "sources"
    sources.mkdir()
    big = b"word " * ((payload.EARLY_SYNC + 4096) // 5)
    (sources / record["source"]["filename"]).write_bytes(big)
    job = contents.BagJob(record=record, version=1, source_dir=str(sources), target=str(tmp_path / "t"),
                       organization="Test", durable=True)

    gate = threading.Event()
    errors: list[BaseException] = []
    synced: list[int] = []
    real_thread, real_fsync = threading.Thread, os.fsync

    class HeldThread(real_thread):
        def run(self) -> None:
            assert gate.wait(60), "the test never released the sync thread"
            super().run()

    def recording_fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(threading, "Thread", HeldThread)
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    monkeypatch.setattr(os, "fsync", recording_fsync)
    target = tmp_path / "t"
    syncing = payload.stage_payload(job, target)
    staged = target / "source" / record["source"]["filename"]
    inode = staged.stat().st_ino
    os.rename(target / "source", tmp_path / "moved")  # what bagit.make_bag does to the payload
    gate.set()
    for thread in syncing:
        thread.join(60)
    assert not errors, errors
    assert inode in synced  # the bytes were still flushed, through the file they were written to


# --- 3. every catalogued file name can be bagged --------------------------------------------


def _rename_source(root: Path, record_id: str, name: str) -> dict:
    """Give a catalogued record ``name`` as its source file name, as an older intake allowed."""
    arc = open_archive(root)
    with arc.store.transaction() as tx:
        record = tx.get(record_id)
        folder = arc.source_dir(record_id)
        os.rename(folder / record["source"]["filename"], folder / name)
        record["source"]["filename"] = name
        return tx.update(record)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_a_line_separator_in_a_catalogued_name_is_bagged_and_verified(cli, archive_root, tmp_path,
                                                                        separator):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.txt").write_text("An article about a line separator.\n", encoding="utf-8")
    assert cli("--root", archive_root, "import", folder).code == 0
    [record_id] = ids_of(cli, archive_root)
    name = f"line{separator}break.txt"
    _rename_source(archive_root, record_id, name)

    [row] = bag_all(cli, archive_root)
    assert row["outcome"] == "bagged", row
    bag = Path(row["path"])
    assert sorted(p.name for p in (bag / "data/source").iterdir()) == ["linebreak.txt"]
    assert validate_bag(bag).valid
    verified = cli("--root", archive_root, "verify")
    assert verified.code == 0, verified
    shown = json.loads(cli("--root", archive_root, "show", record_id, "--json").out)
    assert shown["source"]["filename"] == name  # the name as received stays in the record
    bagged = json.loads((bag / "data/metadata/record.json").read_bytes())
    assert bagged["source"]["filename"] == name


def test_a_bag_written_under_the_old_payload_name_still_verifies(cli, archive_root, tmp_path):
    """Names that the old rule kept but the safe-basename rule changes (a leading dash, an
    invisible format character) are in bags already made: verify still finds their source."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.txt").write_text("Notes kept under their old payload name.\n", encoding="utf-8")
    assert cli("--root", archive_root, "import", folder).code == 0
    [record_id] = ids_of(cli, archive_root)
    [row] = bag_all(cli, archive_root)
    bag = Path(row["path"])
    old_name = "-notes\u200b.txt"  # what the old payload_name wrote for this name

    record = _rename_source(archive_root, record_id, old_name)
    os.rename(bag / "data/source/notes.txt", bag / "data/source" / old_name)
    (bag / "data/metadata/record.json").write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n")
    pins = reseal(bag)
    arc = open_archive(archive_root)
    with arc.store.transaction() as tx:
        current = tx.get(record_id)
        entry = current["bags"][0]
        entry.update(pins, metadata_sha256=metadata_fingerprint(record), record_revision=record["revision"])
        tx.update(current)

    verified = cli("--root", archive_root, "verify")
    assert verified.code == 0, verified
    tampered = bag / "data/source" / old_name
    same_length_change(tampered)
    assert cli("--root", archive_root, "verify").code == 1  # and it is really checked


# --- 4. workers die with the process that started them ------------------------------------


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _parent(process: psutil.Process) -> int | None:
    try:
        return process.ppid()
    except psutil.NoSuchProcess:
        return None


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE  # dead, waiting only to be reaped
    except psutil.NoSuchProcess:
        return True


def _kill_and_expect_no_descendants(process: subprocess.Popen, ready) -> None:
    """Wait until ``ready(children)``, SIGKILL the CLI alone, then wait until every process it
    had started is gone; whatever is left is killed so no test leaks processes."""
    children: list[psutil.Process] = []

    def workers_up() -> bool:
        nonlocal children
        assert process.poll() is None, "the command finished before its workers were seen"
        children = _descendants(process.pid)
        return ready(children)

    try:
        wait_for(workers_up, 120, "the worker processes")
        process.send_signal(signal.SIGKILL)
        process.wait()
        try:
            wait_for(lambda: all(_gone(c) for c in children), 60,
                      "the killed command's processes to end")
        except AssertionError:
            left = [f"{c.pid} {' '.join(c.cmdline()[:4])}" for c in children if not _gone(c)]
            raise AssertionError(f"still running after the CLI was killed: {left}") from None
    finally:
        for child in children:
            if not _gone(child):
                child.kill()
        if process.poll() is None:
            process.kill()


def _import_texts(cli, root: Path, folder: Path, count: int) -> None:
    folder.mkdir()
    seed = SEED.read_bytes()
    for i in range(count):
        (folder / f"article-{i:03d}.txt").write_bytes(seed + f"\n[copy {i}]\n".encode())
    assert cli("--root", root, "import", folder).code == 0


def _start(root: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    env.pop("ARCHIVE_ROOT", None)
    return subprocess.Popen([str(ARCHIVE_BIN), "--root", str(root), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_bag_run_leaves_no_worker_processes(cli, archive_root, tmp_path):
    """The catalogue lock is held, so the run bags its first batch and then waits to record it:
    its workers certainly exist when the CLI is killed."""
    _import_texts(cli, archive_root, tmp_path / "texts", 6)
    with FileLock(str(archive_root / "catalog" / ".lock"), thread_local=False):
        process = _start(archive_root, "bag", "--all")

        def bagging(children: list[psutil.Process]) -> bool:
            # How many children a pool shows depends on its start method (fork: the workers;
            # forkserver: the server, its workers and the resource tracker), which depends on
            # whether another thread is alive at that instant, so ask only for a staged bag and
            # at least one process it was made by.
            # A bag is first staged, then moved into bags/ before the run waits for the lock to
            # record it: on a fast machine the staged moment is easily missed, so either counts.
            staged = list((archive_root / "staging").glob(f"bag-{process.pid}-*/*_v1"))
            moved = list((archive_root / "bags").glob("*/v1"))
            return len(children) >= 1 and len(staged) + len(moved) >= 1

        _kill_and_expect_no_descendants(process, bagging)


def test_a_killed_verify_run_leaves_no_worker_processes(cli, archive_root, tmp_path):
    """Every payload is swapped for a sparse 64 GiB file, so each worker is busy hashing for far
    longer than the test needs: the workers certainly exist when the CLI is killed."""
    _import_texts(cli, archive_root, tmp_path / "texts", 8)
    for row in bag_all(cli, archive_root):
        source = next((Path(row["path"]) / "data" / "source").iterdir())
        with open(source, "r+b") as handle:
            handle.truncate(64 << 30)
    process = _start(archive_root, "verify", "--jobs", "2")

    def worker(child: psutil.Process, command: list[str]) -> bool:
        """A checking worker: forked by the command itself (its command line), or by a fork
        server (a child of the server, not of the command); the server and the resource tracker
        are the command's children with command lines of their own."""
        try:
            return _parent(child) not in (None, process.pid) or child.cmdline() == command
        except psutil.NoSuchProcess:
            return False

    def checking(children: list[psutil.Process]) -> bool:  # both workers are up
        # The command's own line is read at each poll, not once after Popen: read while the
        # kernel is still setting up the exec it is empty (CI failed on that race, no forked
        # worker ever matching it).
        command = psutil.Process(process.pid).cmdline()
        return bool(command) and sum(worker(c, command) for c in children) >= 2

    _kill_and_expect_no_descendants(process, checking)


# --- 8. bag --rebag ------------------------------------------------------------------------


def test_rebag_writes_a_new_version_with_the_current_bag_info(cli, tmp_path):
    root = tmp_path / "bare"
    assert cli("init", root).code == 0
    assert cli("--root", root, "add", SEED, "--title", "Ankara").code == 0
    [record_id] = ids_of(cli, root)
    [first] = bag_all(cli, root)
    assert first["version"] == 1
    settings = root / "archive.toml"
    text = settings.read_text(encoding="utf-8")
    for key, value in (("organization", "City Library"), ("contact_name", "Ada Archivist"),
                       ("contact_email", "ada@example.org")):
        text = text.replace(f'{key} = ""', f'{key} = "{value}"')
    settings.write_text(text, encoding="utf-8")

    [same] = bag_all(cli, root)
    assert same["outcome"] == "unchanged"
    rebag = cli("--root", root, "bag", "--rebag", record_id)
    assert rebag.code == 0, rebag
    assert f"{record_id}  v2" in rebag.out
    v2 = root / "bags" / record_id / "v2"
    info = dict(taginfo.parse_lenient((v2 / "bag-info.txt").read_text(encoding="utf-8")))
    assert info["Source-Organization"] == "City Library" and info["Contact-Email"] == "ada@example.org"
    old = (root / "bags" / record_id / "v1" / "bag-info.txt").read_text(encoding="utf-8")
    assert "Source-Organization" not in old  # v1 is never changed
    events = json.loads(cli("--root", root, "history", record_id, "--json").out)
    assert any("rebag" in e["detail"] and e.get("bag_version") == 2 for e in events), events
    assert [r["version"] for r in bag_all(cli, root, "--rebag")] == [3]  # --all too, every time
    assert cli("--root", root, "verify").code == 0
    payload = hashlib.sha256((v2 / "data/source" / SEED.name).read_bytes()).hexdigest()
    assert payload == hashlib.sha256(SEED.read_bytes()).hexdigest()


def test_rebag_usage(cli, seeded_root):
    result = cli("--root", seeded_root, "bag", "--rebag")
    assert result.code == 2 and "give one or more record ids, or --all" in result.err


def test_a_umask_that_hides_the_bags_files_from_their_owner_is_refused(seeded_root, tmp_path, monkeypatch):
    """As a user other than root, a umask without the owner's read bit would make a bag whose files
    nobody can verify: bagit refused it when it read each file back, and the files hashed from
    memory are not read back, so the refusal is the archive's own."""
    from archive.bagging import build, contents

    record = open_archive(seeded_root).store.get(open_archive(seeded_root).store.ids()[0])
    job = contents.BagJob(record=record, version=1, source_dir=str(seeded_root / "sources" / record["id"]),
                          target=str(tmp_path / "t"), organization="Test")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    before = os.umask(0o477)
    try:
        outcome = build.build_bag(job, "label")
    finally:
        os.umask(before)
    assert "umask 477" in outcome.error and "not bagged" in outcome.error
    assert not (tmp_path / "t").exists()
    before = os.umask(0o027)  # the owner keeps read: bagged as before
    try:
        assert build._unreadable_umask() is None
    finally:
        os.umask(before)
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # root reads whatever the mode: no refusal there
    before = os.umask(0o477)
    try:
        assert build._unreadable_umask() is None
    finally:
        os.umask(before)
