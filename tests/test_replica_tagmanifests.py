"""A tag manifest is listed in no manifest: what confirms ``tagmanifest-sha512.txt`` on a replica?

The catalogue pins the SHA-256 of ``tagmanifest-sha256.txt``; that pins every tag file; and the other
tag manifests are exactly what the archive writes for those tag files (archive.fixity.crosscheck).
So a replica whose tagmanifest-sha512.txt was altered (even in a way BagIt itself accepts: hex in
capitals) is caught by ``verify --replica``, put right by ``repair --replica``, never restored from
and never repaired from: each names the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import only_bag, snapshot_tree
from replica_fill import fill_replica
from replica_seed import seed_replica
from replica_targets import Target, folder_target

SHA512 = "tagmanifest-sha512.txt"


def capitals(data: bytes) -> bytes:
    """The same digests in capital hex: valid BagIt, not the bytes the archive wrote."""
    return b"\n".join(line[:128].upper() + line[128:] for line in data.split(b"\n"))


def reworded(data: bytes) -> bytes:
    """One digest changed: the manifest now lies about a tag file."""
    return data[:5] + (b"0" if data[5:6] != b"0" else b"1") + data[6:]


@pytest.mark.parametrize("alter", [capitals, reworded])
def test_restore_refuses_an_altered_tagmanifest_and_names_it(cli, bagged_root: Path, replica_target: Target,
                                                            tmp_path: Path, alter):
    fill_replica(bagged_root, replica_target.storage())
    key = f"{only_bag(bagged_root).relative_to(bagged_root).as_posix()}/{SHA512}"
    good = replica_target.read_raw(key)
    assert good is not None and alter(good) != good
    replica_target.put_raw(key, alter(good))
    dest = tmp_path / "restored"

    result = cli("restore", "--from", replica_target.url, dest, *replica_target.options, cwd=tmp_path)
    assert result.code == 1, result
    named = [line for line in result.err.splitlines() if key in line]
    assert len(named) == 1 and "do not match the tag manifest this archive wrote" in named[0], result
    assert not (dest / key).exists() and not (dest / "archive.toml").exists()

    replica_target.put_raw(key, good)  # put right (or another replica holds it): the rerun finishes
    again = cli("restore", "--from", replica_target.url, dest, *replica_target.options, cwd=tmp_path)
    assert again.code == 0, again
    assert (dest / key).read_bytes() == (bagged_root / key).read_bytes()


def test_restore_names_a_tagmanifest_missing_on_the_replica(cli, bagged_root: Path, tmp_path: Path):
    """Nothing lists a tag manifest, so its absence is caught by the catalogue's size of the bag."""
    replica = folder_target(tmp_path / "replica")
    fill_replica(bagged_root, replica.storage())
    key = f"{only_bag(bagged_root).relative_to(bagged_root).as_posix()}/{SHA512}"
    replica.delete_raw(key)
    result = cli("restore", "--from", replica.url, tmp_path / "restored")
    assert result.code == 1, result
    named = [line for line in result.err.splitlines() if SHA512 in line]
    assert len(named) == 1 and "missing on the replica" in named[0] and "catalogue" in named[0], result
    assert not (tmp_path / "restored" / "archive.toml").exists()


def test_restore_leaves_a_tagmanifest_added_on_the_replica(cli, bagged_root: Path, tmp_path: Path):
    """A tag manifest the bag never had (right for its tag files, but for an algorithm none of the
    bag's manifests uses) is not part of the bag: left on the replica and listed, not copied."""
    import hashlib

    replica = folder_target(tmp_path / "replica")
    fill_replica(bagged_root, replica.storage())
    bag = only_bag(bagged_root)
    rel = bag.relative_to(bagged_root).as_posix()
    pinned = (bag / "tagmanifest-sha256.txt").read_text()
    names = sorted(line.split("  ", 1)[1] for line in pinned.splitlines())
    extra = "".join(f"{hashlib.md5((bag / n).read_bytes()).hexdigest()}  {n}\n" for n in names).encode()
    replica.put_raw(f"{rel}/tagmanifest-md5.txt", extra)
    dest = tmp_path / "restored"
    result = cli("restore", "--from", replica.url, dest)
    assert result.code == 0, result
    assert f"left on the replica (no digest covers it): {replica.url}/{rel}/tagmanifest-md5.txt" in result.out
    assert snapshot_tree(dest / "bags") == snapshot_tree(bagged_root / "bags")


@pytest.mark.parametrize("alter", [capitals, reworded])
def test_verify_replica_names_an_altered_tagmanifest_and_repair_replica_puts_it_right(
        cli, bagged_root: Path, replica_target: Target, alter):
    seed_replica(bagged_root, "copy", replica_target)
    key = f"{only_bag(bagged_root).relative_to(bagged_root).as_posix()}/{SHA512}"
    good = replica_target.read_raw(key) or b""
    replica_target.put_raw(key, alter(good))

    checked = cli("--root", bagged_root, "verify", "--replica", "copy", "--json")
    assert checked.code == 1, checked
    failures = [f for bag in json.loads(checked.out)["bags"] for f in bag["failures"]]
    assert SHA512 in {f["path"] for f in failures}, failures

    repaired = cli("--root", bagged_root, "repair", "--replica", "copy")
    assert repaired.code == 0, repaired
    assert f"repaired {key} on replica copy from the local copy" in repaired.out
    assert replica_target.read_raw(key) == good
    assert cli("--root", bagged_root, "verify", "--replica", "copy").code == 0


@pytest.mark.parametrize("alter", [capitals, reworded])
def test_repair_passes_over_a_replica_whose_tagmanifest_was_altered(cli, bagged_root: Path, tmp_path: Path,
                                                                   alter):
    bad, good_target = folder_target(tmp_path / "a-bad"), folder_target(tmp_path / "b-good")
    seed_replica(bagged_root, "abad", bad)
    seed_replica(bagged_root, "bgood", good_target)
    bag = only_bag(bagged_root)
    key = f"{bag.relative_to(bagged_root).as_posix()}/{SHA512}"
    good = (bag / SHA512).read_bytes()
    bad.put_raw(key, alter(good))
    (bag / SHA512).write_bytes(alter(good))
    assert cli("--root", bagged_root, "verify").code == 1

    result = cli("--root", bagged_root, "repair", "--json")
    assert result.code == 0, result
    (fix,) = json.loads(result.out)["files"]
    assert fix["path"] == key and fix["from"] == "bgood", fix
    assert fix["passed_over"] and fix["passed_over"][0].startswith("abad: "), fix
    assert (bag / SHA512).read_bytes() == good

    (bag / SHA512).write_bytes(alter(good))  # only the bad replica to take it from: refused, named
    before = snapshot_tree(bagged_root)
    refused = cli("--root", bagged_root, "repair", "--from", "abad")
    assert refused.code == 1 and f"NO GOOD COPY of {key}: abad: " in refused.out, refused
    assert snapshot_tree(bagged_root) == before
