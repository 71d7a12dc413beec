"""S3's stored SHA-256, end to end: ``replicate`` stores it, ``verify --replica --fast`` relies on it.

Issue 11: "On S3, store SHA-256 checksums at upload; ``--fast`` compares size and stored checksum
without downloading." Driven through the CLI against moto on 127.0.0.1, with the replica pointed at
a recording proxy (tests/s3_request_log.py) so the test reads what was asked of the server: a fast
check of a fresh copy passes with no warning and downloads no payload or source file; a same-size
change to one object, written with its own new checksum as any S3 tool would write it, is caught by
the next fast check naming that file.
"""

from __future__ import annotations

import base64
import hashlib
import json

import boto3
import pytest
from s3_request_log import RecordingProxy
from test_replicate import NAME, local_files, make_archive

from archive.layout import open_archive


@pytest.fixture
def proxied_s3(moto_server, aws_env, tmp_path):
    """An S3 target on moto and a recording proxy in front of it (the replica's endpoint)."""
    from replica_targets import s3_target

    target = s3_target(moto_server.endpoint)
    proxy = RecordingProxy(moto_server.endpoint)
    yield target, proxy
    proxy.stop()


def fast_check(cli, root) -> tuple[object, dict]:
    done = cli("--root", root, "verify", "--replica", NAME, "--fast", "--json")
    return done, json.loads(done.out)


def downloads(proxy: RecordingProxy, bucket_prefix: str) -> list[str]:
    """The GETs of payload or source objects (what a fast check must never read)."""
    return [p for p in proxy.gets() if p.startswith(bucket_prefix)
            and ("/data/" in p or "/sources/" in p)]


def replica_fix_events(root) -> list[dict]:
    return [e for e in open_archive(root).store.iter_events()
            if e["type"]["label"] == "fixity check"
            and (e.get("outcome_detail") or {}).get("replica") == NAME]


def test_fast_check_of_an_s3_replica_downloads_nothing_and_catches_a_same_size_change(
        cli, archive_root, tmp_path, proxied_s3):
    target, proxy = proxied_s3
    make_archive(cli, archive_root, tmp_path, count=2)
    options = ["--endpoint-url", proxy.endpoint, "--region", "us-east-1"]
    assert cli("--root", archive_root, "replica", "add", NAME, target.url, *options).code == 0
    replicated = cli("--root", archive_root, "replicate")
    assert replicated.code == 0, replicated
    bucket, _, prefix = target.url.removeprefix("s3://").partition("/")
    under = f"/{bucket}/{prefix}/"

    proxy.clear()
    done, report = fast_check(cli, archive_root)
    assert done.code == 0, done
    assert report["ok"] and report["fast"] and report["stored_checksums"], report
    assert report["totals"]["checked"] == 2 and report["totals"]["hashed_bytes"] == 0, report["totals"]
    assert [p for b in report["bags"] for p in b["failures"] + b["warnings"]] == []
    assert [p for s in report["sources"] for p in s["failures"] + s["warnings"]] == []
    assert "no-stored-checksum" not in done.out + done.err
    assert proxy.requests, "the replica was not reached through the proxy: the test would prove nothing"
    assert downloads(proxy, under) == []
    events = replica_fix_events(archive_root)
    assert events and all(e["outcome"]["label"] == "success" and e["outcome_detail"]["fast"] is True
                          and e["outcome_detail"]["hashed_bytes"] == 0 for e in events)

    payload = sorted(p for p in local_files(archive_root) if p.startswith("bags/") and "/data/" in p)[0]
    original = target.read_raw(payload)
    assert original is not None
    changed = bytes([original[0] ^ 0x20]) + original[1:]  # same size, one bit flipped
    client = boto3.client("s3", endpoint_url=target.endpoint, region_name="us-east-1")
    client.put_object(Bucket=bucket, Key=f"{prefix}/{payload}", Body=changed, ChecksumAlgorithm="SHA256",
                      ChecksumSHA256=base64.b64encode(hashlib.sha256(changed).digest()).decode())

    proxy.clear()
    done, report = fast_check(cli, archive_root)
    assert done.code == 1, done
    failed = [b for b in report["bags"] if b["state"] == "failure"]
    assert len(failed) == 1, report["bags"]
    bag_path = payload.rsplit("/data/", 1)[0]
    assert failed[0]["path"] == bag_path
    named = [p for p in failed[0]["failures"] if p["code"] == "changed"]
    assert [p["path"] for p in named] == [payload.removeprefix(bag_path + "/")], failed[0]["failures"]
    text = cli("--root", archive_root, "verify", "--replica", NAME, "--fast")
    assert text.code == 1 and payload.removeprefix(bag_path + "/") in text.out + text.err, text
    assert downloads(proxy, under) == []


def test_a_same_size_change_that_left_no_stored_checksum_is_named_by_the_fast_check(
        cli, archive_root, tmp_path, proxied_s3):
    """An object rewritten by a tool that stores no SHA-256: the fast check cannot prove it either
    way without reading it, so it names the file as one only a full check can clear, and the full
    check finds it changed."""
    target, proxy = proxied_s3
    make_archive(cli, archive_root, tmp_path, count=1)
    options = ["--endpoint-url", proxy.endpoint, "--region", "us-east-1"]
    assert cli("--root", archive_root, "replica", "add", NAME, target.url, *options).code == 0
    assert cli("--root", archive_root, "replicate").code == 0
    payload = sorted(p for p in local_files(archive_root) if p.startswith("bags/") and "/data/" in p)[0]
    original = target.read_raw(payload) or b""
    target.put_raw(payload, bytes([original[0] ^ 0x20]) + original[1:])  # a plain PUT: no SHA-256 kept
    inside = payload.partition("/data/")[2]
    _, report = fast_check(cli, archive_root)
    [bag] = report["bags"]
    assert [(w["code"], w["path"]) for w in bag["warnings"]] == [("no-stored-checksum", f"data/{inside}")]
    assert bag["failures"] == [] and report["totals"]["hashed_bytes"] == 0
    full = cli("--root", archive_root, "verify", "--replica", NAME)
    assert full.code == 1 and f"data/{inside}" in full.out, full
