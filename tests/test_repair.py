"""``archive repair``: a damaged local bag or working copy put right from a replica whose bytes
prove good (never from one that does not), a whole bag folder rebuilt, nothing changed when no good
copy exists; ``repair --replica`` puts a damaged replica right from the local archive."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import only_bag, snapshot_tree, stored_record
from replica_seed import seed_replica
from replica_targets import folder_target

PAYLOAD = "data/metadata/citation.bib"


def record_id_of(root: Path) -> str:
    return only_bag(root).parent.name


def history(cli, root: Path) -> list[dict]:
    result = cli("--root", root, "history", record_id_of(root), "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def recoveries(cli, root: Path) -> list[dict]:
    return [e for e in history(cli, root) if e["type"]["label"] == "recovery"]


def damage(path: Path) -> bytes:
    """Flip one byte, keeping the size (only hashing can tell); the good bytes are returned."""
    good = path.read_bytes()
    path.write_bytes(good.replace(b"@", b"!", 1) if b"@" in good else b"X" + good[1:])
    return good


def test_a_changed_local_file_is_repaired_from_the_replica(cli, bagged_root, replica_target):
    seed_replica(bagged_root, "copy", replica_target)
    bag = only_bag(bagged_root)
    good = damage(bag / PAYLOAD)
    assert cli("--root", bagged_root, "verify").code == 1
    result = cli("--root", bagged_root, "repair")
    assert result.code == 0, result
    assert f"repaired {bag.relative_to(bagged_root).as_posix()}/{PAYLOAD} from replica copy" in result.out
    assert (bag / PAYLOAD).read_bytes() == good
    assert cli("--root", bagged_root, "verify").code == 0
    (event,) = recoveries(cli, bagged_root)
    assert event["outcome_detail"]["from_replica"] == "copy"
    assert event["outcome_detail"]["files"] == [f"{bag.relative_to(bagged_root).as_posix()}/{PAYLOAD}"]
    assert event["bag_version"] == 1
    fixes = [e for e in history(cli, bagged_root) if e["type"]["label"] == "fixity check"]
    assert fixes[-1]["outcome"]["label"] == "success"  # the re-verify after the repair


def test_repair_picks_the_replica_whose_copy_is_good(cli, bagged_root, tmp_path):
    """Two replicas; the first by name also holds a corrupt copy of the damaged file."""
    bad, good_target = folder_target(tmp_path / "a-bad"), folder_target(tmp_path / "b-good")
    seed_replica(bagged_root, "abad", bad)
    seed_replica(bagged_root, "bgood", good_target)
    bag = only_bag(bagged_root)
    key = f"{bag.relative_to(bagged_root).as_posix()}/{PAYLOAD}"
    bad.put_raw(key, (bad.read_raw(key) or b"").replace(b"@", b"#", 1))
    good = damage(bag / PAYLOAD)
    result = cli("--root", bagged_root, "repair", "--json")
    assert result.code == 0, result
    (fix,) = json.loads(result.out)["files"]
    assert fix["from"] == "bgood" and fix["passed_over"][0].startswith("abad: its SHA-256 differs")
    assert (bag / PAYLOAD).read_bytes() == good
    (event,) = recoveries(cli, bagged_root)
    assert event["outcome_detail"]["from_replica"] == "bgood"
    # Asked to take it from the bad one only, it refuses and changes nothing.
    damage(bag / PAYLOAD)
    before = snapshot_tree(bagged_root)
    refused = cli("--root", bagged_root, "repair", "--from", "abad")
    assert refused.code == 1 and f"NO GOOD COPY of {key}: abad: its SHA-256 differs" in refused.out
    assert snapshot_tree(bagged_root) == before


def test_a_bag_folder_deleted_outright_is_rebuilt_from_a_replica(cli, bagged_root, replica_target):
    seed_replica(bagged_root, "copy", replica_target)
    bag = only_bag(bagged_root)
    before = snapshot_tree(bag)
    shutil.rmtree(bag)
    assert cli("--root", bagged_root, "verify").code == 1
    result = cli("--root", bagged_root, "repair")
    assert result.code == 0, result
    assert snapshot_tree(bag) == before
    assert result.out.count("repaired ") == len(before)
    verified = cli("--root", bagged_root, "verify")
    assert verified.code == 0 and verified.out.startswith("all well"), verified


def test_no_good_copy_says_so_per_file_and_changes_nothing(cli, bagged_root, tmp_path):
    target = folder_target(tmp_path / "replica")
    seed_replica(bagged_root, "copy", target)
    bag = only_bag(bagged_root)
    rel = bag.relative_to(bagged_root).as_posix()
    target.delete_raw(f"{rel}/{PAYLOAD}")
    target.put_raw(f"{rel}/data/metadata/citation.ris", b"not the citation")
    damage(bag / PAYLOAD)
    (bag / "data/metadata/citation.ris").unlink()
    before = snapshot_tree(bagged_root)
    result = cli("--root", bagged_root, "repair")
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if line.startswith("NO GOOD COPY")]
    assert lines == [f"NO GOOD COPY of {rel}/data/metadata/citation.bib: copy: not there; left as it is",
                     f"NO GOOD COPY of {rel}/data/metadata/citation.ris: copy: its SHA-256 differs from "
                     "the manifest's; left as it is"], result
    assert snapshot_tree(bagged_root) == before


def test_a_working_copy_is_repaired_from_the_replica(cli, bagged_root, tmp_path):
    target = folder_target(tmp_path / "replica")
    seed_replica(bagged_root, "copy", target)
    record_id = record_id_of(bagged_root)
    (source,) = (bagged_root / "sources" / record_id).iterdir()
    good = source.read_bytes()
    source.write_bytes(good + b"appended")
    target.delete_raw(f"sources/{record_id}/{source.name}")  # only the bag's data/source/ copy is left
    result = cli("--root", bagged_root, "repair")
    assert result.code == 0, result
    assert source.read_bytes() == good
    assert f"repaired sources/{record_id}/{source.name} from replica copy" in result.out
    assert cli("--root", bagged_root, "verify").code == 0


def test_nothing_to_repair_changes_nothing(cli, bagged_root, tmp_path):
    seed_replica(bagged_root, "copy", folder_target(tmp_path / "replica"))
    before = snapshot_tree(bagged_root)
    result = cli("--root", bagged_root, "repair")
    assert result.code == 0 and "nothing to repair" in result.out, result
    assert snapshot_tree(bagged_root) == before


def test_repair_without_replicas_or_with_an_unknown_one_is_a_usage_error(cli, bagged_root):
    assert cli("--root", bagged_root, "repair").code == 2
    result = cli("--root", bagged_root, "repair", "--from", "nowhere")
    assert result.code == 2 and "no replica named 'nowhere'" in result.err


@pytest.mark.parametrize("harm", ["altered", "deleted"])
def test_repair_replica_puts_a_damaged_replica_right(cli, bagged_root, replica_target, harm):
    seed_replica(bagged_root, "copy", replica_target)
    rel = only_bag(bagged_root).relative_to(bagged_root).as_posix()
    key = f"{rel}/{PAYLOAD}"
    good = replica_target.read_raw(key) or b""
    if harm == "altered":
        replica_target.put_raw(key, good.replace(b"@", b"!", 1))
    else:
        replica_target.delete_raw(key)
    local_before = snapshot_tree(bagged_root / "bags")
    assert cli("--root", bagged_root, "verify", "--replica", "copy").code == 1
    result = cli("--root", bagged_root, "repair", "--replica", "copy")
    assert result.code == 0, result
    assert f"repaired {key} on replica copy from the local copy" in result.out
    assert replica_target.read_raw(key) == good
    assert snapshot_tree(bagged_root / "bags") == local_before
    (event,) = recoveries(cli, bagged_root)
    assert event["outcome_detail"] == {**event["outcome_detail"], "replica": "copy", "from": "local",
                                       "files": [key]}
    shown = stored_record(bagged_root, record_id_of(bagged_root))
    assert shown["bags"][0]["replicas"]["copy"]["last_fixity"]["outcome"] == "success"
    assert cli("--root", bagged_root, "verify", "--replica", "copy").code == 0


def test_repair_replica_never_copies_a_bad_local_file(cli, bagged_root, tmp_path):
    target = folder_target(tmp_path / "replica")
    seed_replica(bagged_root, "copy", target)
    bag = only_bag(bagged_root)
    key = f"{bag.relative_to(bagged_root).as_posix()}/{PAYLOAD}"
    target.delete_raw(key)
    damage(bag / PAYLOAD)
    result = cli("--root", bagged_root, "repair", "--replica", "copy")
    assert result.code == 1
    assert f"NO GOOD COPY of {key} on replica copy: local: its SHA-256 differs" in result.out
    assert target.read_raw(key) is None


@pytest.mark.parametrize("name", ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
                                  "tagmanifest-sha256.txt", "tagmanifest-sha512.txt",
                                  "data/metadata/record.json"])
def test_any_damaged_file_of_a_bag_is_repaired(cli, bagged_root, tmp_path, name):
    """Tag files and manifests too: what each must be follows from the catalogue's pin of
    tagmanifest-sha256.txt, never from the damaged local copy itself."""
    seed_replica(bagged_root, "copy", folder_target(tmp_path / "replica"))
    bag = only_bag(bagged_root)
    good = (bag / name).read_bytes()
    (bag / name).write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    assert cli("--root", bagged_root, "verify").code == 1
    result = cli("--root", bagged_root, "repair")
    assert result.code == 0, result
    assert (bag / name).read_bytes() == good
    assert result.out.count("repaired ") == 1, result.out
    assert cli("--root", bagged_root, "verify").code == 0


def test_repair_replica_puts_a_damaged_source_file_right(cli, bagged_root, tmp_path):
    target = folder_target(tmp_path / "replica")
    seed_replica(bagged_root, "copy", target)
    record_id = record_id_of(bagged_root)
    (source,) = (bagged_root / "sources" / record_id).iterdir()
    key = f"sources/{record_id}/{source.name}"
    target.put_raw(key, b"rotten")
    result = cli("--root", bagged_root, "repair", "--replica", "copy")
    assert result.code == 0, result
    assert f"repaired {key} on replica copy from the local copy" in result.out
    assert target.read_raw(key) == source.read_bytes()
    assert cli("--root", bagged_root, "verify", "--replica", "copy").code == 0


def test_a_replica_that_does_not_answer_is_passed_over(cli, bagged_root, tmp_path):
    gone, good_target = folder_target(tmp_path / "a-gone"), folder_target(tmp_path / "b-good")
    seed_replica(bagged_root, "agone", gone)
    seed_replica(bagged_root, "bgood", good_target)
    shutil.rmtree(tmp_path / "a-gone")
    bag = only_bag(bagged_root)
    good = damage(bag / PAYLOAD)
    result = cli("--root", bagged_root, "repair")
    assert result.code == 0, result
    assert result.out.startswith("warning: passed over replica agone (")
    assert "from replica bgood" in result.out and (bag / PAYLOAD).read_bytes() == good
