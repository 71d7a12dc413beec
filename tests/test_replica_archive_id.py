"""A replica names the archive it belongs to (``archive_id`` in its replica.json, minted in
archive.toml by the first ``replica add``): another archive's replica is refused in one line naming
both, restore says which archive it rebuilds, and replicas made before markers named their archive
are still read (and marked as this archive's when added)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import only_bag
from replica_fill import fill_replica
from replica_seed import add_replica, seed_replica
from replica_targets import Target, folder_target

from archive.config import load_settings

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def second_archive(cli, tmp_path: Path) -> Path:
    root = tmp_path / "other-arc"
    made = cli("init", root, "--org", "Other Archive", "--contact-name", "Bo",
               "--contact-email", "bo@example.org")
    assert made.code == 0, made
    return root


def archive_id(root: Path) -> str:
    return load_settings(root).archive_id


def test_another_archives_replica_is_refused_naming_both(cli, archive_root: Path, replica_target: Target,
                                                         tmp_path: Path):
    added = cli("--root", archive_root, "replica", "add", "copy", replica_target.url, *replica_target.options)
    assert added.code == 0, added
    ours = archive_id(archive_root)
    assert UUID.fullmatch(ours) and ours in added.out
    assert json.loads(replica_target.read_raw("replica.json") or b"{}")["archive_id"] == ours

    other = second_archive(cli, tmp_path)
    before = (other / "archive.toml").read_bytes()
    marker = replica_target.read_raw("replica.json")
    refused = cli("--root", other, "replica", "add", "copy", replica_target.url, *replica_target.options)
    assert refused.code == 1, refused
    (line,) = refused.err.splitlines()
    assert line.startswith("archive: error: ") and ours in line and "not of this archive" in line
    assert (other / "archive.toml").read_bytes() == before  # nothing saved, no id minted
    assert replica_target.read_raw("replica.json") == marker
    # once the other archive has an id of its own, the refusal names both
    own = folder_target(tmp_path / "own")
    assert cli("--root", other, "replica", "add", "own", own.url).code == 0
    again = cli("--root", other, "replica", "add", "copy", replica_target.url, *replica_target.options)
    assert again.code == 1 and ours in again.err and archive_id(other) in again.err, again
    assert len(again.err.splitlines()) == 1


def test_verify_repair_and_replicate_refuse_another_archives_replica(cli, bagged_root: Path, tmp_path: Path):
    target = folder_target(tmp_path / "replica")
    assert cli("--root", bagged_root, "replica", "add", "copy", target.url).code == 0
    other = second_archive(cli, tmp_path)
    assert cli("--root", other, "replica", "add", "own", folder_target(tmp_path / "own").url).code == 0
    add_replica(other, "theirs", target)  # archive.toml edited by hand to point at it
    marker = target.read_raw("replica.json")
    for args in (["verify", "--replica", "theirs"], ["repair", "--replica", "theirs"],
                 ["replicate", "theirs"]):
        result = cli("--root", other, *args)
        said = result.err + result.out
        assert result.code == 1, result
        assert archive_id(bagged_root) in said and archive_id(other) in said, result
    assert target.read_raw("replica.json") == marker  # nothing of the other archive was written there


def test_restore_says_which_archive_it_rebuilds(cli, bagged_root: Path, tmp_path: Path):
    target = folder_target(tmp_path / "replica")
    assert cli("--root", bagged_root, "replica", "add", "copy", target.url).code == 0
    assert cli("--root", bagged_root, "replicate").code == 0
    ours = archive_id(bagged_root)
    result = cli("restore", "--from", target.url, tmp_path / "restored", cwd=tmp_path)
    assert result.code == 0, result
    assert f"restored archive {ours} of Test Archive from " in result.out, result
    as_json = cli("restore", "--from", target.url, tmp_path / "again", "--json", cwd=tmp_path)
    assert json.loads(as_json.out)["archive_id"] == ours
    assert archive_id(tmp_path / "restored") == ours  # the same archive, rebuilt
    # the restored archive is the same archive: the replica is its own
    restored = tmp_path / "restored"
    assert cli("--root", restored, "verify", "--replica", "copy").code == 0
    assert cli("--root", restored, "replica", "remove", "copy").code == 0
    readded = cli("--root", restored, "replica", "add", "home", target.url)
    assert readded.code == 0 and f"an existing replica of archive {ours}" in readded.out, readded


def test_restore_refuses_a_replica_whose_marker_and_snapshot_disagree(cli, bagged_root: Path, tmp_path: Path):
    target = folder_target(tmp_path / "replica")
    assert cli("--root", bagged_root, "replica", "add", "copy", target.url).code == 0
    assert cli("--root", bagged_root, "replicate").code == 0
    stranger = "00000000-0000-4000-8000-000000000000"
    target.put_raw("replica.json", json.dumps({"format": "article-archive-replica/1",
                                               "archive_id": stranger}).encode())
    dest = tmp_path / "restored"
    result = cli("restore", "--from", target.url, dest, cwd=tmp_path)
    assert result.code == 1, result
    (line,) = result.err.splitlines()
    assert stranger in line and archive_id(bagged_root) in line, result
    assert not (dest / "catalog").exists() and not (dest / "archive.toml").exists()


@pytest.mark.parametrize("replica_target", ["folder", "sftp"], indirect=True)
def test_an_old_replica_without_an_archive_id_is_read_and_claimed(cli, bagged_root: Path,
                                                                  replica_target: Target, tmp_path: Path):
    seed_replica(bagged_root, "old", replica_target)  # replica.json as before: no archive_id
    fill_replica(bagged_root, replica_target.storage())  # and a catalogue snapshot
    assert b"archive_id" not in (replica_target.read_raw("replica.json") or b"")
    assert archive_id(bagged_root) == ""
    assert cli("--root", bagged_root, "verify", "--replica", "old").code == 0
    restored = cli("restore", "--from", replica_target.url, tmp_path / "restored", cwd=tmp_path)
    assert restored.code == 0 and "made before archives had an id" in restored.out, restored

    assert cli("--root", bagged_root, "replica", "remove", "old").code == 0
    readded = cli("--root", bagged_root, "replica", "add", "again", replica_target.url)
    assert readded.code == 0 and "made before replicas named their archive" in readded.out, readded
    ours = archive_id(bagged_root)
    assert json.loads(replica_target.read_raw("replica.json") or b"{}")["archive_id"] == ours
    assert cli("--root", bagged_root, "replicate", "again").code == 0  # nothing re-sent but the record
    assert cli("--root", bagged_root, "verify", "--replica", "again").code == 0
    assert only_bag(bagged_root).is_dir()


def test_an_archive_id_that_is_not_a_uuid_is_refused_naming_the_key(cli, archive_root: Path):
    config = archive_root / "archive.toml"
    config.write_text(config.read_text().replace("[archive]\n", '[archive]\narchive_id = "mine"\n'))
    result = cli("--root", archive_root, "list")
    assert result.code == 1, result
    assert "archive.toml: archive.archive_id: archive id 'mine' is not a UUID" in result.err, result
