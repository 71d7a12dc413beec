"""``archive replica clean NAME``: what a killed write left on a replica (a temporary file, or on
S3 an unfinished multipart upload) is removed, and nothing committed ever is, on each kind of
replica. The leftovers are made for real: a writer process SIGKILLed in the middle of
``write_atomic``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import only_bag
from replica_targets import Target

from archive.storage.temporaries import find_temporaries

WRITER = """
import sys
from archive.storage.urls import storage_from_url
url, endpoint, path = sys.argv[1:4]
storage = storage_from_url(url, endpoint_url=endpoint or None, region="us-east-1" if endpoint else None)
def chunks():
    yield b"x" * (9 << 20)  # more than an S3 part: the upload has begun; a file has bytes in it
    print("sent", flush=True)
    sys.stdin.read()  # held here until killed
    yield b""
storage.write_atomic(path, chunks())
"""


def killed_write(target: Target, path: str) -> None:
    """A writer of ``path`` on ``target`` killed with SIGKILL once its first bytes went out."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, target.url, target.endpoint, path],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=dict(os.environ))
    try:
        assert writer.stdout is not None and writer.stdout.readline() == b"sent\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()


def leftovers(target: Target) -> list[str]:
    return sorted(t.path for t in find_temporaries(target.storage()))


def clean(cli, root: Path, *args: str) -> tuple[int, dict]:
    result = cli("--root", root, "replica", "clean", "copy", "--json", *args)
    assert result.out, result
    return result.code, json.loads(result.out)


def test_leftovers_of_killed_writes_are_removed_and_nothing_else(cli, bagged_root: Path,
                                                                 replica_target: Target):
    added = cli("--root", bagged_root, "replica", "add", "copy", replica_target.url, *replica_target.options)
    assert added.code == 0, added
    assert cli("--root", bagged_root, "replicate").code == 0
    bag = only_bag(bagged_root).relative_to(bagged_root).as_posix()
    record_id = bag.split("/")[1]
    committed = {p: replica_target.read_raw(p)
                 for p in (f"{bag}/bagit.txt", f"{bag}/data/metadata/record.json")}
    killed_write(replica_target, f"{bag}/data/metadata/record.json")  # a repair --replica killed
    killed_write(replica_target, f"sources/{record_id}/later.txt")
    killed_write(replica_target, "elsewhere/notes.txt")  # outside the archive's layout: not its own
    found = leftovers(replica_target)
    assert len(found) == 3, found

    if replica_target.kind != "s3":  # moto gives every upload the same start time, in 2010
        code, report = clean(cli, bagged_root)  # the default age: all too recent to be sure
        assert code == 0 and report["removed"] == [] and len(report["kept"]) == 3, report
        assert sum("a write may still be going on" in line for line in report["kept"]) == 2, report
        assert leftovers(replica_target) == found

    code, report = clean(cli, bagged_root, "--older-than", "0s")
    assert code == 0, report
    assert len(report["removed"]) == 2, report
    assert all(p.startswith((f"{bag}/data/metadata/", f"sources/{record_id}/")) for p in report["removed"])
    (kept,) = report["kept"]
    assert kept.startswith("elsewhere/") and "outside the archive's layout" in kept, report
    assert [p for p in leftovers(replica_target) if not p.startswith("elsewhere/")] == []
    for path, data in committed.items():
        assert replica_target.read_raw(path) == data
    assert replica_target.read_raw(f"sources/{record_id}/later.txt") is None
    assert cli("--root", bagged_root, "verify", "--replica", "copy").code == 0


@pytest.mark.parametrize("replica_target", ["folder"], indirect=True)
def test_a_committed_file_named_like_a_temporary_is_never_removed(cli, bagged_root: Path,
                                                                  replica_target: Target):
    """A bag may hold any file name, even one shaped like a temporary: what the archive holds stays."""
    assert cli("--root", bagged_root, "replica", "add", "copy", replica_target.url).code == 0
    assert cli("--root", bagged_root, "replicate").code == 0
    bag = only_bag(bagged_root)
    rel = bag.relative_to(bagged_root).as_posix()
    shaped = "data/.notes.txt.0123456789ab.storage-partial"
    (bag / shaped).write_bytes(b"a file of the bag, by its name a temporary")
    replica_target.put_raw(f"{rel}/{shaped}", b"a file of the bag, by its name a temporary")
    replica_target.put_raw("bags/ART-9999-999999/v1/.x.0123456789ab.storage-partial", b"no such bag")
    code, report = clean(cli, bagged_root, "--older-than", "0s")
    assert code == 0 and report["removed"] == [], report
    assert sorted(report["kept"]) == sorted([
        "bags/ART-9999-999999/v1/.x.0123456789ab.storage-partial: not in a bag version this archive's "
        "catalogue lists",
        f"{rel}/{shaped}: the archive's own bag holds a file of this name"])
    assert replica_target.read_raw(f"{rel}/{shaped}") is not None


def test_clean_refuses_a_folder_that_is_not_a_replica(cli, bagged_root: Path, tmp_path: Path):
    from replica_seed import add_replica
    from replica_targets import folder_target

    target = folder_target(tmp_path / "unmounted")
    add_replica(bagged_root, "copy", target)
    (tmp_path / "unmounted" / ".a.0123456789ab.storage-partial").write_bytes(b"x")
    result = cli("--root", bagged_root, "replica", "clean", "copy", "--older-than", "0s")
    assert result.code == 1 and "no replica.json" in result.err, result
    assert (tmp_path / "unmounted" / ".a.0123456789ab.storage-partial").exists()
