"""Replica targets for the replica tests: a folder, an S3 bucket on moto, an SFTP folder on sshd.

``replica_target`` (parametrised over the three kinds, or asked for one kind with
``@pytest.mark.parametrize("replica_target", ["s3"], indirect=True)``) gives a ``Target``: the
URL and options ``archive replica add`` takes, a way to read and damage the replica's bytes behind
the archive's back, and the storage itself. The servers are the real ones of fixtures_servers.py,
so CI runs every kind; the client environment (dummy AWS keys, a throwaway HOME with the test's
~/.ssh) is set with monkeypatch, and CLI subprocesses inherit it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fixtures_servers import use_ssh_home

from archive.storage.base import Storage
from archive.storage.urls import storage_from_url

_names = itertools.count()


@dataclass
class Target:
    kind: str
    url: str
    options: list[str] = field(default_factory=list)
    """Extra arguments of ``archive replica add`` (``--endpoint-url``, ``--region`` for S3)."""
    read_raw: Callable[[str], bytes | None] = lambda path: None
    """The bytes stored at a replica path, read without the archive (None when absent)."""
    put_raw: Callable[[str, bytes], None] = lambda path, data: None
    """Replace the bytes at a replica path behind the archive's back (damage)."""
    delete_raw: Callable[[str], None] = lambda path: None
    """Delete a replica path behind the archive's back."""
    endpoint: str = ""

    def storage(self) -> Storage:
        return storage_from_url(self.url, endpoint_url=self.endpoint or None,
                                region="us-east-1" if self.kind == "s3" else None)


def make_bucket(endpoint: str, name: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)


def folder_target(root: Path, kind: str = "folder") -> Target:
    root.mkdir(parents=True, exist_ok=True)

    def read_raw(path: str) -> bytes | None:
        target = root / path
        return target.read_bytes() if target.is_file() else None

    def put_raw(path: str, data: bytes) -> None:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        before = target.stat().st_mtime if target.exists() else None
        target.write_bytes(data)
        if before is not None:
            os.utime(target, (before + 10, before + 10))  # SFTP v3 mtimes are whole seconds

    def delete_raw(path: str) -> None:
        (root / path).unlink()

    return Target(kind, str(root), [], read_raw, put_raw, delete_raw)


def s3_target(endpoint: str, prefix: str = "replica") -> Target:
    import boto3

    bucket = f"replica-{next(_names)}-{os.getpid()}"
    make_bucket(endpoint, bucket)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")

    def read_raw(path: str) -> bytes | None:
        try:
            return client.get_object(Bucket=bucket, Key=f"{prefix}/{path}")["Body"].read()
        except client.exceptions.NoSuchKey:
            return None

    def put_raw(path: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=f"{prefix}/{path}", Body=data)

    def delete_raw(path: str) -> None:
        client.delete_object(Bucket=bucket, Key=f"{prefix}/{path}")

    return Target("s3", f"s3://{bucket}/{prefix}", ["--endpoint-url", endpoint, "--region", "us-east-1"],
                  read_raw, put_raw, delete_raw, endpoint=endpoint)


@pytest.fixture(params=["folder", "s3", "sftp"])
def replica_target(request, monkeypatch, tmp_path) -> Target:
    """One replica of each kind, empty, with its server running."""
    if request.param == "s3":
        server = request.getfixturevalue("moto_server")
        request.getfixturevalue("aws_env")
        return s3_target(server.endpoint)
    if request.param == "sftp":
        server = request.getfixturevalue("sshd_server")
        use_ssh_home(monkeypatch, server)
        root = tmp_path / "sftp-replica"
        target = folder_target(root, "sftp")
        target.url = f"sftp://{server.user}@127.0.0.1:{server.port}{root}"
        return target
    return folder_target(tmp_path / "folder-replica")
