"""archive deposit --to s3://... | sftp://...: the serialised bag and its sidecar sent to a real
server on 127.0.0.1, confirmed, with the same checks and the same transfer event as a folder deposit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fixtures_servers import DUMMY_AWS
from helpers import bag_all
from replica_targets import Target, make_bucket

from archive.deposit import remote as remote_deposit
from archive.layout import open_archive


def bagged(cli, root: Path) -> str:
    (record_id,) = bag_all(cli, root)  # set-up: the bagged template, no 'list' CLI run to learn the id
    return record_id


def transfers(cli, root: Path, record_id: str) -> list[dict]:
    events = json.loads(cli("--root", root, "history", record_id, "--json").out)
    return [e for e in events if e["type"]["uri"].endswith("/tra")]


@pytest.mark.parametrize("replica_target", ["s3", "sftp"], indirect=True)
@pytest.mark.parametrize("fmt", ["tar", "zip"])
def test_deposit_to_remote_target(cli, seeded_root: Path, replica_target: Target, tmp_path: Path, fmt: str):
    record_id = bagged(cli, seeded_root)
    result = cli("--root", seeded_root, "deposit", record_id, "--format", fmt, "--to", replica_target.url,
                 *replica_target.options)
    assert result.code == 0, result
    name = f"{record_id}_v1.{fmt}"
    sent = replica_target.read_raw(name)
    sidecar = replica_target.read_raw(f"{name}.sha256")
    assert sent is not None and sidecar is not None
    digest = hashlib.sha256(sent).hexdigest()
    assert sidecar.decode() == f"{digest}  {name}\n"
    assert f"{replica_target.url.rstrip('/')}/{name}" in result.out and digest in result.out

    local = cli("--root", seeded_root, "deposit", record_id, "--format", fmt, "--to", tmp_path / "out")
    assert local.code == 0, local
    assert (tmp_path / "out" / name).read_bytes() == sent  # the same file as a folder deposit
    assert not list((seeded_root / "staging").glob("deposit-*"))  # nothing left behind

    remote_event = transfers(cli, seeded_root, record_id)[0]
    assert remote_event["outcome"]["label"] == "success"
    assert remote_event["outcome_detail"]["target"] == replica_target.url.rstrip("/")
    assert remote_event["outcome_detail"]["sha256"] == digest
    history = cli("--root", seeded_root, "history", record_id, "--json").out
    assert all(secret not in history for secret in DUMMY_AWS.values())
    assert json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)["status"] == "deposited"


def test_damaged_bag_is_not_sent(cli, seeded_root: Path, moto_server, aws_env):
    record_id = bagged(cli, seeded_root)
    make_bucket(moto_server.endpoint, "damaged-bag")
    payload = next((seeded_root / "bags" / record_id / "v1" / "data" / "source").iterdir())
    payload.write_bytes(payload.read_bytes() + b"!")
    result = cli("--root", seeded_root, "deposit", record_id, "--to", "s3://damaged-bag/in",
                 "--endpoint-url", moto_server.endpoint, "--region", "us-east-1")
    assert result.code == 1 and "fixity" in result.err, result
    import boto3

    listed = boto3.client("s3", endpoint_url=moto_server.endpoint, region_name="us-east-1").list_objects_v2(
        Bucket="damaged-bag")
    assert listed.get("KeyCount", 0) == 0
    assert transfers(cli, seeded_root, record_id) == []


def test_target_refusing_is_one_line_and_records_nothing(cli, seeded_root: Path, moto_server, aws_env):
    record_id = bagged(cli, seeded_root)
    result = cli("--root", seeded_root, "deposit", record_id, "--to", "s3://no-such-bucket/in",
                 "--endpoint-url", moto_server.endpoint, "--region", "us-east-1")
    assert result.code == 1, result
    errors = [line for line in result.err.splitlines() if line.startswith("archive: error:")]
    assert len(errors) == 1 and "s3://no-such-bucket/in" in errors[0], result
    assert transfers(cli, seeded_root, record_id) == []
    assert json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)["status"] == "bagged"


def test_options_of_a_remote_target_refused_for_a_folder(cli, seeded_root: Path, tmp_path: Path):
    record_id = bagged(cli, seeded_root)
    result = cli("--root", seeded_root, "deposit", record_id, "--to", tmp_path / "out", "--region", "x")
    assert result.code == 2 and "s3://" in result.err, result
    result = cli("--root", seeded_root, "deposit", record_id, "--to", "s3://u:secret@bucket/x")
    assert result.code == 2 and "secret" not in result.err, result


def test_server_stopping_mid_transfer(cli, seeded_root: Path, moto_private, aws_env, monkeypatch):
    """The server goes away after the first piece of the bag was handed over: a clear error, no
    event, the status unchanged, nothing under the bag's name on the server once it is back (only
    the sidecar, sent first, and the refusal says so)."""
    record_id = bagged(cli, seeded_root)
    make_bucket(moto_private.endpoint, "stops")
    real_chunks = remote_deposit._chunks

    def stopping(path: Path):
        for number, chunk in enumerate(real_chunks(path)):
            if number == 1:
                moto_private.stop()
            yield chunk

    monkeypatch.setattr(remote_deposit, "CHUNK", 4096)
    monkeypatch.setattr(remote_deposit, "_chunks", stopping)
    monkeypatch.setattr(remote_deposit, "BACKOFF_S", 0.0)
    arc = open_archive(seeded_root)
    report = remote_deposit.deposit_remote(arc, [record_id], to="s3://stops/in",
                                           endpoint_url=moto_private.endpoint, region="us-east-1")
    assert report.written == [] and [r for r, _ in report.refused] == [record_id]
    reason = report.refused[0][1][0]
    assert reason.startswith("not deposited to s3://stops/in: ") and "\n" not in reason, reason
    moto_private.start()
    assert transfers(cli, seeded_root, record_id) == []
    assert open_archive(seeded_root).store.get(record_id)["status"] == "bagged"
    import boto3

    client = boto3.client("s3", endpoint_url=moto_private.endpoint, region_name="us-east-1")
    # the sidecar went first; no bag object, the one a receiving bucket acts on
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="stops").get("Contents", [])]
    assert keys == [f"in/{record_id}_v1.tar.sha256"]
    assert "left there without its bag" in reason, reason
    assert not list((seeded_root / "staging").glob("deposit-*"))


class Flaky:
    """The real storage, except that the first ``fails`` writes of names ending in ``suffix`` raise
    (a server answering with errors); every write tried is counted."""

    def __init__(self, storage, suffix: str, fails: int):
        self.storage, self.suffix, self.fails = storage, suffix, fails
        self.tried: list[str] = []

    @property
    def label(self) -> str:
        return self.storage.label

    def write_atomic(self, path, chunks, *, sha256=None):
        from archive.storage.base import StorageError

        self.tried.append(path)
        if path.endswith(self.suffix) and self.fails > 0:
            self.fails -= 1
            raise StorageError(f"{self.label}: {path}: write failed: InternalError: try again")
        return self.storage.write_atomic(path, chunks, sha256=sha256)

    def __getattr__(self, name):
        return getattr(self.storage, name)


def _flaky_deposit(seeded_root: Path, cli, moto_server, monkeypatch, bucket: str, suffix: str, fails: int):
    record_id = bagged(cli, seeded_root)
    make_bucket(moto_server.endpoint, bucket)
    made: list[Flaky] = []

    def flaky_from_url(url, **kwargs):
        from archive.storage.urls import storage_from_url

        made.append(Flaky(storage_from_url(url, **kwargs), suffix, fails))
        return made[-1]

    monkeypatch.setattr(remote_deposit, "storage_from_url", flaky_from_url)
    monkeypatch.setattr(remote_deposit, "BACKOFF_S", 0.0)
    report = remote_deposit.deposit_remote(open_archive(seeded_root), [record_id], to=f"s3://{bucket}/in",
                                           endpoint_url=moto_server.endpoint, region="us-east-1")
    import boto3

    client = boto3.client("s3", endpoint_url=moto_server.endpoint, region_name="us-east-1")
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))
    return record_id, report, made[0].tried, keys


def test_a_sidecar_that_fails_once_is_sent_again(cli, seeded_root: Path, moto_server, aws_env, monkeypatch):
    record_id, report, tried, keys = _flaky_deposit(seeded_root, cli, moto_server, monkeypatch,
                                                    "sidecar-once", ".sha256", 1)
    name = f"{record_id}_v1.tar"
    assert report.refused == [] and [w.record_id for w in report.written] == [record_id], report
    assert tried == [f"{name}.sha256", f"{name}.sha256", name]  # retried; the bag's name committed last
    assert keys == [f"in/{name}", f"in/{name}.sha256"]
    assert [e["outcome"]["label"] for e in transfers(cli, seeded_root, record_id)] == ["success"]


def test_a_sidecar_that_never_goes_leaves_no_bag_and_no_event(cli, seeded_root: Path, moto_server, aws_env,
                                                              monkeypatch):
    record_id, report, tried, keys = _flaky_deposit(seeded_root, cli, moto_server, monkeypatch,
                                                    "sidecar-never", ".sha256", 99)
    name = f"{record_id}_v1.tar"
    assert report.written == [] and [r for r, _ in report.refused] == [record_id], report
    (reason,) = report.refused[0][1]
    assert "\n" not in reason and f"{name}.sha256" in reason and "after 3 attempts" in reason, reason
    assert f"nothing was sent under {name}" in reason, reason
    assert tried == [f"{name}.sha256"] * 3  # bounded, and the bag itself never sent
    assert keys == []  # nothing a receiving bucket would take for a deposit
    assert transfers(cli, seeded_root, record_id) == []
    assert open_archive(seeded_root).store.get(record_id)["status"] == "bagged"


def test_a_bag_that_never_goes_after_its_sidecar_is_reported_so(cli, seeded_root: Path, moto_server, aws_env,
                                                                monkeypatch):
    record_id, report, tried, keys = _flaky_deposit(seeded_root, cli, moto_server, monkeypatch,
                                                    "bag-never", ".tar", 99)
    name = f"{record_id}_v1.tar"
    assert report.written == [] and [r for r, _ in report.refused] == [record_id], report
    (reason,) = report.refused[0][1]
    assert "\n" not in reason and "after 3 attempts" in reason, reason
    assert f"{name}.sha256 was sent first and is left there without its bag" in reason, reason
    assert tried == [f"{name}.sha256", name, name, name]
    assert keys == [f"in/{name}.sha256"]  # the receiver acts on the bag object: there is none
    assert transfers(cli, seeded_root, record_id) == []
    assert open_archive(seeded_root).store.get(record_id)["status"] == "bagged"
