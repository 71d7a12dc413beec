"""``archive verify --replica NAME``: a remote copy altered, truncated or deleted is caught, naming
the file, on each kind of replica (folder, S3 on moto, SFTP on sshd); the checks are PREMIS fixity
events naming the replica and set the copy's last fixity."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from helpers import bag_all, only_bag, stored_record
from replica_seed import seed_replica

PAYLOAD = "data/metadata/citation.bib"


def bag_key(root: Path) -> str:
    """The replica path of the only bag, e.g. bags/ART-2026-000001/v1."""
    return only_bag(root).relative_to(root).as_posix()


def verify_replica(cli, root: Path, *args: str) -> tuple[int, dict]:
    result = cli("--root", root, "verify", "--replica", "copy", "--json", *args)
    assert result.out, result
    return result.code, json.loads(result.out)


def failing(report: dict) -> set[tuple[str, str, str]]:
    return {(f["kind"], f["code"], f["path"]) for bag in report["bags"] for f in bag["failures"]}


def shown(cli, root: Path) -> dict:
    """The record as stored, read through the library: the tests check what verify recorded."""
    return stored_record(root, only_bag(root).parent.name)


def replica_events(cli, root: Path) -> list[dict]:
    record_id = only_bag(root).parent.name
    result = cli("--root", root, "history", record_id, "--json")
    assert result.code == 0, result
    return [e for e in json.loads(result.out) if (e.get("outcome_detail") or {}).get("replica") == "copy"]


def test_a_whole_copy_verifies_and_is_recorded(cli, bagged_root, replica_target):
    seed_replica(bagged_root, "copy", replica_target)
    result = cli("--root", bagged_root, "verify", "--replica", "copy")
    assert result.code == 0, result
    assert "replica copy" in result.out and "all well: 1 of 1 bags checked, 1 ok" in result.out
    copy = shown(cli, bagged_root)["bags"][0]["replicas"]["copy"]
    assert copy["last_fixity"]["outcome"] == "success" and copy["last_fixity"]["fast"] is False
    bag_event, source_event = replica_events(cli, bagged_root)  # the bag, then the source files
    for event in (bag_event, source_event):
        assert event["type"]["label"] == "fixity check" and event["outcome"]["label"] == "success"
        assert event["outcome_detail"]["storage"] == replica_target.storage().label
        assert "on replica copy" in event["detail"]
    assert bag_event["bag_version"] == 1 and bag_event["outcome_detail"]["bag"] == bag_key(bagged_root)
    assert source_event["outcome_detail"]["sources"].startswith("sources/")


@pytest.mark.parametrize("damage", ["altered", "truncated", "deleted"])
def test_a_damaged_remote_object_is_named(cli, bagged_root, replica_target, damage):
    seed_replica(bagged_root, "copy", replica_target)
    key = f"{bag_key(bagged_root)}/{PAYLOAD}"
    original = replica_target.read_raw(key)
    assert original is not None
    if damage == "altered":  # same size: only hashing the remote bytes can find it
        replica_target.put_raw(key, original.replace(b"@", b"!", 1))
    elif damage == "truncated":
        replica_target.put_raw(key, original[: len(original) // 2])
    else:
        replica_target.delete_raw(key)
    before = snapshot_local(bagged_root)
    code, report = verify_replica(cli, bagged_root)
    assert code == 1, report
    expected = {"altered": ("changed", "changed"), "truncated": ("changed", "changed"),
                "deleted": ("missing", "missing")}[damage]
    assert (*expected, PAYLOAD) in failing(report), report
    text = cli("--root", bagged_root, "verify", "--replica", "copy")
    assert text.code == 1 and f"FAILED {only_bag(bagged_root).parent.name} v1 on copy" in text.out
    assert PAYLOAD in text.out
    copy = shown(cli, bagged_root)["bags"][0]["replicas"]["copy"]
    assert copy["last_fixity"]["outcome"] == "failure"
    events = [e for e in replica_events(cli, bagged_root) if "bag" in e["outcome_detail"]]
    assert events[-1]["outcome"]["label"] == "failure"
    assert any(PAYLOAD in p for p in events[-1]["outcome_detail"]["problems"])
    assert snapshot_local(bagged_root) == before  # the local bags were never touched


def snapshot_local(root: Path) -> dict[str, bytes]:
    from helpers import snapshot_tree

    return snapshot_tree(root / "bags")


def test_fast_catches_a_size_change_and_a_deletion_without_reading(cli, bagged_root, replica_target):
    seed_replica(bagged_root, "copy", replica_target)
    key = f"{bag_key(bagged_root)}/{PAYLOAD}"
    original = replica_target.read_raw(key) or b""
    replica_target.put_raw(key, original + b"\n% appended")
    replica_target.delete_raw(f"{bag_key(bagged_root)}/bag-info.txt")
    code, report = verify_replica(cli, bagged_root, "--fast")
    assert code == 1
    found = failing(report)
    assert ("missing", "missing", "bag-info.txt") in found, found
    # No manifest holds sizes: a grown file shows as the payload's size against the catalogue's.
    assert ("mismatch", "oxum-differs-from-catalogue", "") in found, found
    assert report["totals"]["hashed_bytes"] == 0  # nothing was read to hash
    copy = shown(cli, bagged_root)["bags"][0]["replicas"]["copy"]
    assert copy["last_fixity"] == {**copy["last_fixity"], "outcome": "failure", "fast": True}


def test_a_fast_check_never_clears_a_failure_found_by_a_full_one(cli, bagged_root, replica_target):
    seed_replica(bagged_root, "copy", replica_target)
    key = f"{bag_key(bagged_root)}/{PAYLOAD}"
    original = replica_target.read_raw(key) or b""
    replica_target.put_raw(key, original.replace(b"@", b"!", 1))  # same size
    assert verify_replica(cli, bagged_root)[0] == 1
    code, report = verify_replica(cli, bagged_root, "--fast")
    # S3 names the object whose SHA-256 is no longer stored (a warning); the others see nothing.
    assert code == 1 and report["bags"][0]["outcome"] == ("warning" if replica_target.kind == "s3"
                                                          else "success")
    assert "only a full check can clear it" in report["bags"][0]["standing_note"]
    copy = shown(cli, bagged_root)["bags"][0]["replicas"]["copy"]
    assert copy["last_fixity"]["outcome"] == "failure" and copy["last_fixity"]["fast"] is False


def _s3_client(target):
    import boto3

    return boto3.client("s3", endpoint_url=target.endpoint, region_name="us-east-1")


def _bucket_and_prefix(target) -> tuple[str, str]:
    bucket, _, prefix = target.url.removeprefix("s3://").partition("/")
    return bucket, prefix


@pytest.mark.parametrize("replica_target", ["s3"], indirect=True)
def test_s3_fast_sees_a_same_size_change_only_through_the_stored_checksum(cli, bagged_root, replica_target):
    """What is true of S3's --fast: it compares each object's stored SHA-256 with the manifest.
    An object rewritten with a checksum of its new bytes is caught without a download; one
    rewritten with no SHA-256 stored is named as unconfirmed (a warning, not a pass); one whose
    stored digest was forged to the old value passes --fast, and only a full check finds it."""
    seed_replica(bagged_root, "copy", replica_target)
    client = _s3_client(replica_target)
    bucket, prefix = _bucket_and_prefix(replica_target)
    key = f"{prefix}/{bag_key(bagged_root)}/{PAYLOAD}"
    original = replica_target.read_raw(f"{bag_key(bagged_root)}/{PAYLOAD}") or b""
    altered = original.replace(b"@", b"!", 1)
    assert len(altered) == len(original) and altered != original

    client.put_object(Bucket=bucket, Key=key, Body=altered,  # as write_atomic stores a digest
                      ChecksumSHA256=base64.b64encode(hashlib.sha256(altered).digest()).decode(),
                      Metadata={"sha256": hashlib.sha256(altered).hexdigest()})
    code, report = verify_replica(cli, bagged_root, "--fast")
    assert code == 1 and ("changed", "changed", PAYLOAD) in failing(report), report
    assert report["totals"]["hashed_bytes"] == 0

    client.put_object(Bucket=bucket, Key=key, Body=altered)  # no SHA-256 stored at all
    code, report = verify_replica(cli, bagged_root, "--fast")
    warnings = {(w["code"], w["path"]) for bag in report["bags"] for w in bag["warnings"]}
    assert ("no-stored-checksum", PAYLOAD) in warnings, report
    assert report["bags"][0]["outcome"] == "warning"
    assert code == 1 and report["bags"][0]["standing_note"]  # the failure found before still stands

    client.put_object(Bucket=bucket, Key=key, Body=altered,
                      Metadata={"sha256": hashlib.sha256(original).hexdigest()})
    code, report = verify_replica(cli, bagged_root, "--fast")
    assert report["bags"][0]["outcome"] == "success", report  # forged: fast cannot know
    code, report = verify_replica(cli, bagged_root)
    assert code == 1 and ("changed", "changed", PAYLOAD) in failing(report)


def test_a_bag_folder_gone_from_the_replica(cli, bagged_root, tmp_path):
    from replica_targets import folder_target

    seed_replica(bagged_root, "copy", folder_target(tmp_path / "replica"))
    shutil.rmtree(tmp_path / "replica" / bag_key(bagged_root))
    code, report = verify_replica(cli, bagged_root)
    assert code == 1 and ("missing", "missing-bag", bag_key(bagged_root)) in failing(report)


def _second_version(cli, root: Path) -> str:
    record_id = only_bag(root).parent.name
    assert cli("--root", root, "edit", record_id, "--set", "section=World").code == 0
    assert cli("--root", root, "bag", "--all").code == 0
    return record_id


def test_a_version_never_replicated_is_listed_not_checked(cli, bagged_root, tmp_path):
    from replica_targets import folder_target

    seed_replica(bagged_root, "copy", folder_target(tmp_path / "replica"))
    record_id = _second_version(cli, bagged_root)
    result = cli("--root", bagged_root, "verify", "--replica", "copy")
    assert result.code == 0, result
    assert f"NOT REPLICATED {record_id} v2: no confirmed copy on copy yet" in result.out
    assert "1 of 1 bags checked, 1 ok" in result.out and "1 not on this replica yet" in result.out


def test_verify_replica_from_a_thread_with_progress_and_cancel(cli, seeded_root, tmp_path):
    """The TUI's worker: progress per bag, and a cancel between bags keeps what was checked."""
    import threading

    from replica_targets import folder_target

    from archive.layout import open_archive
    from archive.replicas.check import verify_replica as run

    bag_all(cli, seeded_root)  # set-up: the bagged template
    _second_version(cli, seeded_root)
    seed_replica(seeded_root, "copy", folder_target(tmp_path / "replica"))
    arc = open_archive(seeded_root)
    steps, results = [], []
    stop = threading.Event()

    def progress(step) -> None:
        steps.append(step)
        if step.done == 1:
            stop.set()

    worker = threading.Thread(target=lambda: results.append(
        run(arc, "copy", progress=progress, cancel=stop.is_set)))
    worker.start()
    worker.join(timeout=120)
    (result,) = results
    assert result.cancelled and len(result.bags) == 1 and result.planned == 2
    assert [s.done for s in steps] == [0, 1] and steps[0].total == 2
    complete = run(arc, "copy")
    assert complete.ok and len(complete.bags) == 2 and not complete.cancelled


def test_unknown_replica_is_a_usage_error(cli, bagged_root):
    result = cli("--root", bagged_root, "verify", "--replica", "nowhere")
    assert result.code == 2 and "no replica named 'nowhere'" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.parametrize("damage", ["altered", "deleted"])
def test_a_damaged_source_file_on_the_replica_is_named(cli, bagged_root, replica_target, damage):
    seed_replica(bagged_root, "copy", replica_target)
    record_id = only_bag(bagged_root).parent.name
    (source,) = (bagged_root / "sources" / record_id).iterdir()
    key = f"sources/{record_id}/{source.name}"
    if damage == "altered":
        replica_target.put_raw(key, source.read_bytes().replace(b"a", b"e", 1))
    else:
        replica_target.delete_raw(key)
    code, report = verify_replica(cli, bagged_root)
    assert code == 1
    (failed,) = [s for s in report["sources"] if s["outcome"] == "failure"]
    assert [f["path"] for f in failed["failures"]] == [key]
    assert report["bags"][0]["outcome"] == "success"
    text = cli("--root", bagged_root, "verify", "--replica", "copy")
    assert f"FAILED {record_id} source files on copy" in text.out and key in text.out


def test_a_replica_that_is_not_there_is_one_clear_line(cli, bagged_root, tmp_path):
    from replica_targets import folder_target

    seed_replica(bagged_root, "copy", folder_target(tmp_path / "replica"))
    shutil.rmtree(tmp_path / "replica")
    before = snapshot_tree_of(bagged_root)
    result = cli("--root", bagged_root, "verify", "--replica", "copy")
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("archive: error: replica copy (") and result.err.count("\n") == 1, result
    assert snapshot_tree_of(bagged_root) == before  # nothing recorded that did not happen


def snapshot_tree_of(root: Path) -> dict[str, bytes]:
    from helpers import snapshot_tree

    return snapshot_tree(root)
