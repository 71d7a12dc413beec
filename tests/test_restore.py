"""archive restore: a whole archive rebuilt from one replica of each kind, driven as a user would.

The replica is filled by ``archive replicate`` (the fault cases, which damage it, by the quicker
tests/replica_fill.py) on the real servers of tests/replica_targets.py; the restored archive is
compared with the original through the CLI (list, show, history of every record), byte for byte
in bags/ and sources/, and by its settings, and must pass a full verify.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest
from helpers import ARCHIVE_BIN, replay_seed, snapshot_tree
from killgate import Event, KillGate
from replica_fill import fill_replica
from replica_targets import Target

from archive.replicas.remote import LATEST

HOSTILE = 'Line one\n{"record": {"id": "x"}}\u2028 "quoted" \\ end'


def make_busy_archive(cli, root: Path, tmp_path: Path) -> None:
    """Records with two bag versions, a fixity check, a deaccession and a hostile note."""
    texts = tmp_path / "texts"
    texts.mkdir(exist_ok=True)
    for i in range(3):
        (texts / f"story-{i}.txt").write_text(f"Story {i}\n\nThe body of story number {i}.\n",
                                              encoding="utf-8")
        result = cli("--root", root, "add", texts / f"story-{i}.txt", "--title", f"Story {i}",
                     "--creator", "Doe, Jane", "--issued", "2016-12-19")
        assert result.code == 0, result
    ids = [row["id"] for row in json.loads(cli("--root", root, "list", "--json").out)]
    for args in (["bag", "--all"], ["edit", ids[0], "--set", f"provenance.notes={HOSTILE}"],
                 ["bag", "--all"], ["verify"], ["deaccession", ids[2], "--reason", "a duplicate"]):
        result = cli("--root", root, *args)
        assert result.code == 0, result


def catalogue_view(cli, root: Path) -> dict:
    """Everything the CLI says about the catalogue: list, and show and history of each record."""
    listed = cli("--root", root, "list", "--json")
    assert listed.code == 0, listed
    view = {"list": json.loads(listed.out)}
    for row in view["list"]:
        shown = cli("--root", root, "show", row["id"], "--json")
        history = cli("--root", root, "history", row["id"], "--json")
        assert shown.code == 0 and history.code == 0, (shown, history)
        view[row["id"]] = (json.loads(shown.out), json.loads(history.out))
    return view


def assert_same_archive(cli, original: Path, restored: Path, original_view: dict | None = None) -> None:
    """``original_view``: the original's ``catalogue_view``, for a test that compares several
    restores with one original it never changes (seven CLI runs fewer per restore)."""
    assert catalogue_view(cli, restored) == (original_view or catalogue_view(cli, original))
    for top in ("bags", "sources"):
        assert snapshot_tree(restored / top) == snapshot_tree(original / top), top
    assert (restored / "archive.toml").read_bytes() == (original / "archive.toml").read_bytes()
    assert not (restored / "staging" / "restore.json").exists()


def assert_next_id_the_same(cli, original: Path, restored: Path, tmp_path: Path) -> None:
    new = tmp_path / "next.txt"
    new.write_text("A later story\n\nAdded after the restore.\n", encoding="utf-8")
    made = [cli("--root", root, "add", new, "--title", "Later") for root in (original, restored)]
    assert all(r.code == 0 for r in made), made
    assert made[0].out == made[1].out and made[0].out.strip()


@pytest.fixture
def busy_root(archive_root: Path, archive_templates, cli) -> Path:
    """``make_busy_archive``'s nine CLI runs made once per worker; each test gets a copy."""
    return archive_templates.custom(archive_root, "restore.busy", cli,
                                    lambda root, run: make_busy_archive(run, root, root.parent))


def test_restore_from_each_kind_of_replica(busy_root: Path, replica_target: Target, cli, tmp_path: Path):
    added = cli("--root", busy_root, "replica", "add", "offsite", replica_target.url, *replica_target.options)
    assert added.code == 0, added
    replicated = cli("--root", busy_root, "replicate")
    assert replicated.code == 0, replicated
    dest = tmp_path / "restored"

    result = cli("--root", busy_root, "restore", "--from", "offsite", dest, "--json")
    assert result.code == 0, result
    report = json.loads(result.out)
    assert report["ok"] and report["verify"]["ok"] and report["verify"]["totals"]["checked"] == 4
    assert report["records"] == 3 and report["problems"] == [] and report["left_on_replica"] == []
    assert_same_archive(cli, busy_root, dest)
    assert "[replicas.offsite]" in (dest / "archive.toml").read_text()  # it knows its replicas
    verified = cli("--root", dest, "verify")
    assert verified.code == 0 and "all well" in verified.out, verified
    assert_next_id_the_same(cli, busy_root, dest, tmp_path)


def test_restore_by_url_outside_any_archive(busy_root: Path, cli, tmp_path: Path):
    replica = tmp_path / "replica"
    replica.mkdir()
    from archive.storage.local import LocalStorage

    fill_replica(busy_root, LocalStorage(replica))
    result = cli("restore", "--from", replica, tmp_path / "restored", cwd=tmp_path)
    assert result.code == 0, result
    assert "all well" in result.out and "3 records" in result.out
    assert_same_archive(cli, busy_root, tmp_path / "restored")


@pytest.mark.parametrize("replica_target", ["folder", "s3"], indirect=True)
def test_missing_bag_file_is_named_and_a_rerun_finishes(busy_root: Path, replica_target: Target, cli,
                                                       tmp_path: Path):
    fill_replica(busy_root, replica_target.storage())
    record_id = json.loads(cli("--root", busy_root, "list", "--json").out)[1]["id"]
    lost = f"bags/{record_id}/v1/data/metadata/record.json"
    kept = replica_target.read_raw(lost)
    assert kept is not None
    replica_target.delete_raw(lost)
    dest = tmp_path / "restored"

    result = cli("restore", "--from", replica_target.url, dest, *replica_target.options, cwd=tmp_path)
    assert result.code == 1, result
    assert f"{lost}: missing on the replica" in result.err, result
    assert not (dest / "archive.toml").exists()  # not taken for an archive
    assert cli("--root", dest, "list").code == 1

    replica_target.put_raw(lost, kept)  # the file found again (or another replica holds it)
    again = cli("restore", "--from", replica_target.url, dest, *replica_target.options, "--json",
                cwd=tmp_path)
    assert again.code == 0, again
    report = json.loads(again.out)
    assert report["files_kept"] > 0 and report["files_copied"] >= 1  # confirmed files were not fetched again
    assert_same_archive(cli, busy_root, dest)


def test_damaged_bag_file_is_not_copied(busy_root: Path, cli, tmp_path: Path):
    from archive.storage.local import LocalStorage

    replica = tmp_path / "replica"
    replica.mkdir()
    fill_replica(busy_root, LocalStorage(replica))
    record_id = json.loads(cli("--root", busy_root, "list", "--json").out)[0]["id"]
    damaged = replica / "bags" / record_id / "v2" / "data" / "metadata" / "record.json"
    damaged.write_bytes(damaged.read_bytes().replace(b"Story", b"Storm"))
    dest = tmp_path / "restored"
    result = cli("restore", "--from", replica, dest)
    assert result.code == 1, result
    assert f"bags/{record_id}/v2/data/metadata/record.json: its bytes do not match" in result.err
    assert not (dest / "bags" / record_id / "v2" / "data" / "metadata" / "record.json").exists()
    assert not (dest / "archive.toml").exists()


@pytest.mark.parametrize("replica_target", ["sftp"], indirect=True)
def test_tampered_snapshot_is_refused(busy_root: Path, replica_target: Target, cli, tmp_path: Path):
    info = fill_replica(busy_root, replica_target.storage())
    data = bytearray(replica_target.read_raw(info.snapshot))
    data[-10] ^= 0x20
    replica_target.put_raw(info.snapshot, bytes(data))
    dest = tmp_path / "restored"
    result = cli("restore", "--from", replica_target.url, dest, cwd=tmp_path)
    assert result.code == 1, result
    assert info.snapshot in result.err and "tampered" in result.err and len(result.err.splitlines()) == 1
    assert not (dest / "archive.toml").exists() and not (dest / "catalog").exists()


def test_replica_without_snapshot_is_refused(cli, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = cli("restore", "--from", tmp_path / "empty", tmp_path / "restored")
    assert result.code == 1 and LATEST in result.err and "replicate" in result.err, result


def test_destination_that_is_an_archive_or_not_empty_is_refused(busy_root: Path, archive_root: Path,
                                                                cli, tmp_path: Path):
    from archive.storage.local import LocalStorage

    replica = tmp_path / "replica"
    replica.mkdir()
    fill_replica(busy_root, LocalStorage(replica))
    before = snapshot_tree(busy_root)
    result = cli("restore", "--from", replica, busy_root)
    assert result.code == 1 and "already an archive" in result.err, result
    assert snapshot_tree(busy_root) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    result = cli("restore", "--from", replica, other)
    assert result.code == 1 and "not empty" in result.err, result
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_unknown_name_is_a_usage_error(busy_root: Path, cli, tmp_path: Path):
    result = cli("--root", busy_root, "restore", "--from", "nowhere", tmp_path / "restored")
    assert result.code == 2 and "neither a replica" in result.err, result
    assert not (tmp_path / "restored").exists()


def _start_restore(gate: KillGate, replica: Path, dest: Path) -> subprocess.Popen:
    env = gate.env({**os.environ, "ARCHIVE_NO_PROGRESS": "1"})
    env.pop("ARCHIVE_ROOT", None)
    return subprocess.Popen([str(ARCHIVE_BIN), "restore", "--from", str(replica), str(dest)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_killed_restore_leaves_no_archive_and_reruns(busy_root: Path, cli, tmp_path: Path):
    """SIGKILL at replaces chosen from the whole run (catalogue writes, bag files, settings), each
    before archive.toml is renamed in: the folder is never an archive, and the next run finishes."""
    from archive.storage.local import LocalStorage

    seed = replay_seed("restore SIGKILL test")
    replica = tmp_path / "replica"
    replica.mkdir()
    fill_replica(busy_root, LocalStorage(replica))
    with KillGate() as gate:
        counted = tmp_path / "counted"
        moments: list[Event] = []
        assert gate.run(_start_restore(gate, replica, counted), lambda e: moments.append(e) and False) is None
        last = next(i for i, e in enumerate(moments) if e.paths[-1].endswith("archive.toml"))
        assert last > 20, moments
        picks = sorted(random.Random(seed).sample(range(1, last + 2), 3))
        dests = []
        for nth in picks:
            where = f"seed {seed}, killed at moment {nth} of {last + 1}"
            dest = tmp_path / f"restored-{nth}"
            seen = iter(range(1, 10**6))
            event = gate.run(_start_restore(gate, replica, dest),
                             lambda e, nth=nth, seen=seen: next(seen) == nth)
            assert event is not None, where
            assert not (dest / "archive.toml").exists(), f"{where} ({event})"
            dests.append((dest, where))
    original = catalogue_view(cli, busy_root)  # nothing here writes to busy_root
    for dest, where in dests:
        result = cli("restore", "--from", replica, dest)
        assert result.code == 0, f"{where}: {result}"
        assert_same_archive(cli, busy_root, dest, original)


def test_cancelled_restore_is_not_an_archive_until_run_again(busy_root: Path, cli, tmp_path: Path):
    from archive.replicas.restore import restore
    from archive.storage.local import LocalStorage

    replica = LocalStorage(tmp_path / "replica")
    (tmp_path / "replica").mkdir()
    fill_replica(busy_root, replica)
    dest = tmp_path / "restored"
    # stop once the first bag's manifest is in: before its payload, whatever the threads' timing
    result = restore(replica, dest, jobs=1, cancel=lambda: any((dest / "bags").rglob("manifest-sha256.txt")))
    assert result.cancelled and not result.finished and not result.ok
    assert not (dest / "archive.toml").exists() and result.verify is None
    assert any("run the same restore again" in line for line in result.lines())
    steps = []
    again = restore(replica, dest, progress=steps.append)
    assert again.ok and again.bags == 4 and steps[-1].done == steps[-1].total == 4, again.lines()
    # what the stopped run confirmed was kept (a bag's tagmanifest-sha512.txt too: the tag files confirm it)
    assert again.fetched.kept >= result.fetched.files > 0
    assert_same_archive(cli, busy_root, dest)


def test_replica_missing_a_whole_bag_names_it(busy_root: Path, cli, tmp_path: Path):
    import shutil

    from archive.storage.local import LocalStorage

    replica = tmp_path / "replica"
    replica.mkdir()
    fill_replica(busy_root, LocalStorage(replica))
    record_id = json.loads(cli("--root", busy_root, "list", "--json").out)[2]["id"]
    shutil.rmtree(replica / "bags" / record_id)
    result = cli("restore", "--from", replica, tmp_path / "restored")
    assert result.code == 1, result
    errors = [line for line in result.err.splitlines() if line.startswith("archive: error:")]
    assert errors == [f"archive: error: {replica}/bags/{record_id}/v1: the whole bag is missing on the "
                      "replica (the catalogue snapshot lists it)"], result
    assert "not everything could be restored (1 problem)" in result.out
    assert not (tmp_path / "restored" / "archive.toml").exists()


def test_destination_inside_the_current_archive_is_refused(busy_root: Path, cli, tmp_path: Path):
    before = snapshot_tree(busy_root)
    result = cli("--root", busy_root, "restore", "--from", tmp_path, busy_root / "bags" / "restored")
    assert result.code == 1 and "inside the archive's bags/" in result.err, result
    assert snapshot_tree(busy_root) == before
