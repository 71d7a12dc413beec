"""archive replica add | list | remove and archive replicate, driven through the CLI, against a
folder, S3 on moto and SFTP on sshd (tests/replica_targets.py): what is sent, what is recorded,
what a second run sends (nothing), what is refused, and that no secret is ever printed or logged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SEED
from remote_servers import DUMMY_AWS

from archive.layout import open_archive
from archive.source_files import files_of

NAME = "offsite"


def make_archive(cli, root: Path, tmp_path: Path, count: int = 3) -> list[str]:
    """``count`` records (copies of the seed text), each bagged once; their ids."""
    folder = tmp_path / "texts"
    folder.mkdir(parents=True, exist_ok=True)
    start = len(open_archive(root).store.ids())
    for i in range(start, start + count):
        (folder / f"article-{i:03d}.txt").write_bytes(SEED.read_bytes() + f"\n[copy {i}]\n".encode())
    assert cli("--root", root, "import", folder).code == 0
    bagged = cli("--root", root, "bag", "--all")
    assert bagged.code == 0, bagged
    return open_archive(root).store.ids()


def local_files(root: Path) -> dict[str, bytes]:
    """What the replica should hold: every bag file and source file, by replica path."""
    arc = open_archive(root)
    found = {}
    for record_id in arc.store.ids():
        record = arc.store.get(record_id)
        for entry in record["bags"]:
            folder = root / entry["path"]
            for path in folder.rglob("*"):
                if path.is_file():
                    found[f"{entry['path']}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
        for item in files_of(record):
            source = root / "sources" / record_id / item.filename
            found[f"sources/{record_id}/{item.filename}"] = source.read_bytes()
    return found


def replication_events(root: Path) -> list[dict]:
    return [e for e in open_archive(root).store.iter_events() if e["type"]["label"] == "replication"]


def copies(root: Path, name: str = NAME) -> dict[tuple[str, int], str]:
    arc = open_archive(root)
    found = {}
    for record_id in arc.store.ids():
        for entry in arc.store.get(record_id)["bags"]:
            copy = (entry.get("replicas") or {}).get(name)
            if copy and copy.get("replicated_at"):
                found[(record_id, entry["version"])] = copy["replicated_at"]
    return found


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in (DUMMY_AWS["AWS_SECRET_ACCESS_KEY"], DUMMY_AWS["AWS_SESSION_TOKEN"]):
            assert secret not in text


def test_replicate_to_each_kind_then_nothing_new(cli, archive_root, tmp_path, replica_target):
    ids = make_archive(cli, archive_root, tmp_path)
    added = cli("--root", archive_root, "replica", "add", NAME, replica_target.url, *replica_target.options)
    assert added.code == 0, added
    assert json.loads(replica_target.read_raw("replica.json"))["format"] == "article-archive-replica/1"
    listed = cli("--root", archive_root, "replica", "list", "--json")
    assert [r["name"] for r in json.loads(listed.out)] == [NAME]

    first = cli("--root", archive_root, "replicate", "--json")
    assert first.code == 0, first
    report = json.loads(first.out)["replicas"][0]
    expected = local_files(archive_root)
    assert report["bags_copied"] == len(ids) and report["failures"] == []
    for path, data in expected.items():
        assert replica_target.read_raw(path) == data, path
    assert report["files_sent"] == len(expected)

    recorded = copies(archive_root)
    assert set(recorded) == {(rid, 1) for rid in ids}
    events = replication_events(archive_root)
    assert sorted(e["record_id"] for e in events) == sorted(ids)
    storage_label = replica_target.storage().label
    for event in events:
        assert event["outcome"]["label"] == "success" and event["bag_version"] == 1
        detail = event["outcome_detail"]
        assert detail["replica"] == NAME and detail["storage"] == storage_label
        assert detail["sent"] == detail["files"] > 0 and detail["bytes"] > 0

    latest = json.loads(replica_target.read_raw("catalog/latest.json"))  # the catalogue, last
    assert report["snapshot"] == latest["snapshot"] and report["snapshot_sent"]
    header, *lines = replica_target.read_raw(latest["snapshot"]).decode().splitlines()
    assert json.loads(header)["records"] == len(ids)
    snapshot_copies = [json.loads(line)["record"]["bags"][0]["replicas"][NAME] for line in lines[:len(ids)]]
    assert all(copy["replicated_at"] for copy in snapshot_copies)

    second = cli("--root", archive_root, "replicate", NAME, "--json")
    assert second.code == 0, second
    again = json.loads(second.out)["replicas"][0]
    assert again["files_sent"] == 0 and again["bags_copied"] == 0 and again["bags_already"] == len(ids)
    assert again["snapshot"] == latest["snapshot"] and not again["snapshot_sent"]
    assert copies(archive_root) == recorded and len(replication_events(archive_root)) == len(ids)

    text = cli("--root", archive_root, "replicate")
    assert text.code == 0 and f"replica {NAME} ({storage_label})" in text.out
    assert_no_secret(added.out, added.err, listed.out, first.out, first.err, second.out, text.out,
                     json.dumps(events), (archive_root / "archive.toml").read_text())


def test_resume_sends_only_missing_or_wrong_files(cli, archive_root, tmp_path, replica_target):
    """A replica holding part of a bag (as a killed run leaves it) gets only what it lacks:
    a file already there is not sent again, a truncated one is replaced, nothing extra is removed."""
    make_archive(cli, archive_root, tmp_path, count=1)
    assert cli("--root", archive_root, "replica", "add", NAME, replica_target.url,
               *replica_target.options).code == 0
    expected = local_files(archive_root)
    bag_paths = sorted(p for p in expected if p.startswith("bags/"))
    kept, truncated, zeroed = bag_paths[0], bag_paths[1], bag_paths[2]
    replica_target.put_raw(kept, expected[kept])
    replica_target.put_raw(truncated, expected[truncated][:-3])
    replica_target.put_raw("bags/extra-file-someone-left", b"keep me")
    if replica_target.kind == "folder":  # a crash before the sync may leave zeros of the right size
        replica_target.put_raw(zeroed, bytes(len(expected[zeroed])))

    run = cli("--root", archive_root, "replicate", "--json")
    assert run.code == 0, run
    assert json.loads(run.out)["replicas"][0]["files_sent"] == len(expected) - 1
    for path, data in expected.items():
        assert replica_target.read_raw(path) == data, path
    assert replica_target.read_raw("bags/extra-file-someone-left") == b"keep me"
    [event] = replication_events(archive_root)
    assert event["outcome_detail"]["sent"] == event["outcome_detail"]["files"] - 1


@pytest.mark.parametrize("replica_target", ["folder"], indirect=True)
def test_a_rotten_local_file_is_never_copied(cli, archive_root, tmp_path, replica_target):
    ids = make_archive(cli, archive_root, tmp_path, count=2)
    assert cli("--root", archive_root, "replica", "add", NAME, replica_target.url).code == 0
    bad = next((archive_root / "bags" / ids[0] / "v1" / "data" / "source").iterdir())
    data = bytearray(bad.read_bytes())
    data[10] ^= 1
    bad.write_bytes(bytes(data))

    run = cli("--root", archive_root, "replicate")
    assert run.code == 1, run
    assert f"replica {NAME}: bag {ids[0]} v1:" in run.err and bad.name in run.err
    assert "does not match its sha256" in run.err
    assert run.err.count("archive: error:") == 1
    assert set(copies(archive_root)) == {(ids[1], 1)}
    assert replica_target.read_raw(f"bags/{ids[0]}/v1/data/source/{bad.name}") is None


@pytest.mark.parametrize("replica_target", ["s3"], indirect=True)
def test_replica_add_refusals_and_remove_keeps_remote_data(cli, archive_root, tmp_path, replica_target):
    make_archive(cli, archive_root, tmp_path, count=1)
    before = (archive_root / "archive.toml").read_text()
    refused = [
        ("sftp://user:hunter2@127.0.0.1/x", "password"),
        ("s3://bucket/p?X-Amz-Signature=abc", "query string"),
        (str(archive_root / "bags" / "mirror"), "outside the archive"),
        ("ftp://example.org/x", "not supported"),
    ]
    for url, why in refused:
        result = cli("--root", archive_root, "replica", "add", NAME, url)
        assert result.code == 2 and why in result.err, (url, result)
        assert "hunter2" not in result.err and "abc" not in result.err
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "holiday.jpg").write_bytes(b"not a replica")
    result = cli("--root", archive_root, "replica", "add", NAME, occupied)
    assert result.code == 1 and "not an article-archive replica" in result.err
    assert (archive_root / "archive.toml").read_text() == before
    assert list(occupied.iterdir()) == [occupied / "holiday.jpg"]

    assert cli("--root", archive_root, "replica", "add", NAME, replica_target.url,
               *replica_target.options).code == 0
    assert cli("--root", archive_root, "replicate").code == 0
    stored = local_files(archive_root)
    removed = cli("--root", archive_root, "replica", "remove", NAME)
    assert removed.code == 0 and "nothing on it was deleted" in removed.out
    after = (archive_root / "archive.toml").read_text()  # as before, but for the archive's own id
    kept = [line for line in after.splitlines() if not line.startswith("archive_id = ")]
    assert kept == before.splitlines()
    assert 'archive_id = "' in after
    assert copies(archive_root) == {}  # forgotten: a new replica under this name starts afresh
    for path, data in stored.items():
        assert replica_target.read_raw(path) == data

    readded = cli("--root", archive_root, "replica", "add", NAME, replica_target.url, *replica_target.options)
    assert readded.code == 0 and "an existing replica" in readded.out
    again = cli("--root", archive_root, "replicate", "--json")
    assert again.code == 0 and json.loads(again.out)["replicas"][0]["files_sent"] == 0
    assert len(copies(archive_root)) == 1


def test_replicate_usage_errors(cli, archive_root):
    none = cli("--root", archive_root, "replicate")
    assert none.code == 2 and "archive replica add" in none.err
    unknown = cli("--root", archive_root, "replicate", "nowhere")
    assert unknown.code == 2 and "no replica named 'nowhere'" in unknown.err
    bad_jobs = cli("--root", archive_root, "replicate", "--jobs", "0")
    assert bad_jobs.code == 2


def test_a_second_run_on_the_same_replica_is_refused(cli, archive_root, tmp_path):
    from filelock import FileLock

    make_archive(cli, archive_root, tmp_path, count=1)
    assert cli("--root", archive_root, "replica", "add", NAME, tmp_path / "rep").code == 0
    with FileLock(str(archive_root / "catalog" / f".replicate-{NAME}.lock")):
        busy = cli("--root", archive_root, "replicate")
    assert busy.code == 1 and "another 'archive replicate' is copying to it now" in busy.err
    assert copies(archive_root) == {}
    assert cli("--root", archive_root, "replicate").code == 0


def test_an_unmounted_folder_replica_is_refused_not_filled(cli, archive_root, tmp_path):
    make_archive(cli, archive_root, tmp_path, count=1)
    mount = tmp_path / "nas"
    assert cli("--root", archive_root, "replica", "add", NAME, mount).code == 0
    (mount / "replica.json").unlink()  # the drive is gone; its mount point is an empty folder
    result = cli("--root", archive_root, "replicate")
    assert result.code == 1 and "no replica.json" in result.err
    assert list(mount.iterdir()) == []
    assert copies(archive_root) == {}


def test_cancel_stops_between_bags_and_counts_only_whole_copies(cli, archive_root, tmp_path):
    """The TUI's worker: progress per bag, and cancel stops the run with the archive whole."""
    from archive.replicas.push import replicate

    ids = make_archive(cli, archive_root, tmp_path, count=6)
    replica = tmp_path / "rep"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    steps = []
    result = replicate(open_archive(archive_root), jobs=1, progress=steps.append,
                       cancel=lambda: any(step.done >= 1 for step in steps))
    assert result.cancelled and not result.ok
    assert steps[0].done == 0 and steps[0].total == len(ids)
    recorded = copies(archive_root)
    assert 1 <= len(recorded) < len(ids)
    expected = local_files(archive_root)
    for record_id, _ in recorded:
        for path in (p for p in expected if p.startswith(f"bags/{record_id}/")):
            assert (replica / path).read_bytes() == expected[path]
    assert not (replica / "catalog").exists()  # no snapshot from a cancelled run
    finished = replicate(open_archive(archive_root))
    assert finished.ok and len(copies(archive_root)) == len(ids)
