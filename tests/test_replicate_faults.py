"""archive replicate under faults: SIGKILL at random moments, and the server stopping mid-transfer.

The moments are defined by progress, never by the clock (tests/killgate.py): besides killgate's
rename gates (a folder replica's commits, the catalogue's writes), a sitecustomize of this test's
own gates every chunk a replicate run reads from a local file (before it is handed to the storage,
and after the storage took it: mid-transfer on every kind) and every file confirmed on the replica.
After each kill: no bag counts as a copy unless all of its files are on the replica byte for byte,
one replication event per recorded copy, nothing ever removed from the replica; the last, unkilled
run finishes the job. A server stopped while a file is being sent gives one clear line per failure,
exit 1, and an archive unchanged; restarted, the next run completes.
"""

from __future__ import annotations

import os
import random
import subprocess
import textwrap
from pathlib import Path

import pytest
from fixtures_servers import use_ssh_home
from helpers import ARCHIVE_BIN, replay_seed, snapshot_tree
from killgate import Event, KillGate
from remote_servers import DUMMY_AWS
from replica_targets import folder_target, s3_target
from s3_request_log import ForwardingProxy
from test_replicate import NAME, copies, local_files, make_archive, replication_events

from archive.replicas.folder_push import is_partial
from archive.storage.local import TMP_SUFFIX
from archive.storage.sftp import TEMP_MARK

SITE = textwrap.dedent('''
    import os
    if os.environ.get("ARCHIVE_KILLGATE"):
        import killgate
        killgate.install()
        from archive.replicas import push

        real_iter, real_send = push._Stream.__iter__, push._send

        def gated_iter(self):
            for chunk in real_iter(self):
                killgate.gate("send", "chunk", self.rel)
                yield chunk
                killgate.gate("send", "chunk-taken", self.rel)

        def gated_send(ctx, local, rel, entry, remote, sha256):
            real_send(ctx, local, rel, entry, remote, sha256)
            killgate.gate("send", "confirmed", remote)

        push._Stream.__iter__ = gated_iter
        push._send = gated_send

        # A folder replica's bags go whole (folder_push): each file copied into the bag's
        # temporary folder is a chunk, the bag's rename into place confirms all of its files at
        # once (one gate per file after it); a source file is sent and confirmed on its own.
        from archive.replicas import folder_push

        real_copy_file, real_copy_bag = folder_push._copy_file, folder_push.copy_bag
        real_send_source = folder_push._send_source

        def gated_copy_file(src, name, inode, dst, rel, copied):
            killgate.gate("send", "chunk", rel)
            real_copy_file(src, name, inode, dst, rel, copied)
            killgate.gate("send", "chunk-taken", rel)

        def gated_copy_bag(ctx, bags, record_id, entry):
            done = real_copy_bag(ctx, bags, record_id, entry)
            if done is not None:
                for number in range(done.files):
                    killgate.gate("send", "confirmed", f"bags/{record_id}/v{entry['version']} file {number}")
            return done

        def gated_send_source(ctx, fd, size_hint, rel, *args):
            killgate.gate("send", "chunk", rel)
            sent = real_send_source(ctx, fd, size_hint, rel, *args)
            killgate.gate("send", "chunk-taken", rel)
            killgate.gate("send", "confirmed", rel)
            return sent

        folder_push._copy_file = gated_copy_file
        folder_push._send_source = gated_send_source
        push.copy_bag = gated_copy_bag
''')

FAST_RETRIES = textwrap.dedent('''
    # The same bounded retries, milliseconds apart instead of seconds: replicate's own backoff,
    # botocore's (1 s scale for a throttling answer) and SFTPStorage's.
    from botocore.retries import standard
    from archive.replicas import push
    from archive.storage import sftp

    push.BACKOFF_S = 0.001
    standard.ExponentialBackoff._DEFAULT_BACKOFF_CONFIG = {
        "throttling_base_scale": 0.001, "non_throttling_base_scale": 0.001}
    sftp.SFTPStorage.__init__.__kwdefaults__["backoff"] = 0.001
''')
"""A sitecustomize for the runs that wait out retries; the counts the tests assert are unchanged."""


def fast_retries_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "fast-retries"
    site.mkdir()
    (site / "sitecustomize.py").write_text(FAST_RETRIES)
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


MOMENTS = [("send", "chunk"), ("send", "chunk-taken"), ("send", "confirmed"),
           ("catalogue", "before"), ("catalogue", "after")]
ROUNDS = 5
NEW_PER_ROUND = 2


def gated_env(gate: KillGate, site: Path) -> dict[str, str]:
    env = gate.env({**os.environ, "ARCHIVE_NO_PROGRESS": "1"})
    env["PYTHONPATH"] = os.pathsep.join([str(site), env["PYTHONPATH"]])
    env.pop("ARCHIVE_ROOT", None)
    return env


def start_replicate(root: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as err:
        return subprocess.Popen([str(ARCHIVE_BIN), "--root", str(root), "replicate", "--jobs", "4"], env=env,
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)


def moment_of(event: Event) -> tuple[str, str] | None:
    if event.op == "send":
        return event.op, event.phase
    if event.op == "replace" and "/catalog/" in event.paths[-1]:
        return "catalogue", event.phase
    return None


def remote_files(target) -> dict[str, int]:
    """The replica's committed files (temporaries of killed writes, and the temporary folders of
    bags being copied whole to a folder replica, left out), with their sizes."""
    return {e.path: e.size for e in target.storage().walk() if e.kind == "file"
            and not e.path.endswith(TMP_SUFFIX) and TEMP_MARK not in e.path
            and not any(is_partial(part) for part in e.path.split("/"))}


def check_invariants(root: Path, target, before: dict[str, int], where: str) -> dict[str, int]:
    """Every recorded copy is whole on the replica; one event per copy; nothing was removed."""
    recorded = copies(root)
    expected = local_files(root)
    for record_id, version in recorded:
        prefix = f"bags/{record_id}/v{version}/"
        for path in (p for p in expected if p.startswith(prefix)):
            assert target.read_raw(path) == expected[path], f"{where}: {path} of a recorded copy"
    events = replication_events(root)
    assert sorted((e["record_id"], e["bag_version"]) for e in events) == sorted(recorded), where
    now = remote_files(target)
    assert set(before) <= set(now), f"{where}: removed from the replica: {set(before) - set(now)}"
    return now


def test_sigkill_at_random_moments_then_resume(cli, archive_root, tmp_path, replica_target):
    seed = replay_seed("replicate SIGKILL test")
    rng = random.Random(seed)
    plan = (MOMENTS * 2)[:ROUNDS]
    rng.shuffle(plan)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE)
    make_archive(cli, archive_root, tmp_path, count=NEW_PER_ROUND)
    added = cli("--root", archive_root, "replica", "add", NAME, replica_target.url, *replica_target.options)
    assert added.code == 0, added
    seen_remote: dict[str, int] = {}
    with KillGate() as gate:
        for round_, moment in enumerate(plan):
            if round_:
                make_archive(cli, archive_root, tmp_path / f"more-{round_}", count=NEW_PER_ROUND)
            nth = rng.randint(1, 2) if moment[0] == "catalogue" else rng.randint(1, 12)
            where = f"seed {seed}, {replica_target.kind}, round {round_} (at {moment}, occurrence {nth})"
            process = start_replicate(archive_root, gated_env(gate, site), tmp_path / f"err-{round_}")
            seen = 0

            def kill_here(event: Event, moment=moment, nth=nth) -> bool:
                nonlocal seen
                if moment_of(event) == moment:
                    seen += 1
                return seen == nth

            event = gate.run(process, kill_here, timeout=300)
            err = (tmp_path / f"err-{round_}").read_text()
            assert event is not None, f"{where}: the run ended (exit {process.returncode}) first: {err}"
            seen_remote = check_invariants(archive_root, replica_target, seen_remote, f"{where}, at {event}")

    final = cli("--root", archive_root, "replicate")
    where = f"seed {seed}, {replica_target.kind}, the run after the kills"
    assert final.code == 0, f"{where}: {final}"
    expected = local_files(archive_root)
    for path, data in expected.items():
        assert replica_target.read_raw(path) == data, f"{where}: {path}"
    check_invariants(archive_root, replica_target, seen_remote, where)
    bags = {(p.split("/")[1], int(p.split("/")[2][1:])) for p in expected if p.startswith("bags/")}
    assert set(copies(archive_root)) == bags, where


def private_target(kind: str, request, monkeypatch, tmp_path):
    if kind == "s3":
        server = request.getfixturevalue("moto_private")
        request.getfixturevalue("aws_env")
        return server, s3_target(server.endpoint)
    server = request.getfixturevalue("sshd_private")
    use_ssh_home(monkeypatch, server)
    root = tmp_path / "sftp-replica"
    target = folder_target(root, "sftp")
    target.url = f"sftp://{server.user}@127.0.0.1:{server.port}{root}"
    return server, target


def archive_files(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot_tree(root).items() if not Path(k).name.startswith(".replicate-")}


@pytest.mark.parametrize("kind", ["s3", "sftp"])
def test_server_stops_mid_transfer(cli, archive_root, tmp_path, kind, request, monkeypatch):
    server, target = private_target(kind, request, monkeypatch, tmp_path)
    make_archive(cli, archive_root, tmp_path, count=3)
    assert cli("--root", archive_root, "replica", "add", NAME, target.url, *target.options).code == 0
    before = archive_files(archive_root)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE + FAST_RETRIES)
    log = tmp_path / "err"
    stopped = []
    with KillGate() as gate:
        process = start_replicate(archive_root, gated_env(gate, site), log)

        def stop_server_at_first_chunk(event: Event) -> bool:
            if event.op == "send" and event.phase == "chunk" and not stopped:
                server.stop()  # held here: not one byte of any file has been sent
                stopped.append(event)
            return False

        assert gate.run(process, stop_server_at_first_chunk, timeout=300) is None
    err = log.read_text()
    assert stopped and process.returncode == 1, err
    lines = err.splitlines()
    assert lines and all(line.startswith("archive: error: replica offsite") for line in lines), err
    assert "Traceback" not in err and "unexpected" not in err
    assert any("stopped after" in line for line in lines), err
    for secret in DUMMY_AWS.values():
        assert secret not in err
    assert archive_files(archive_root) == before  # nothing recorded that did not happen
    assert copies(archive_root) == {}

    server.start()
    assert set(remote_files(target)) == {"replica.json"}
    resumed = cli("--root", archive_root, "replicate")
    assert resumed.code == 0, resumed
    for path, data in local_files(archive_root).items():
        assert target.read_raw(path) == data, path
    assert len(copies(archive_root)) == 3


class _Refusing(ForwardingProxy):
    """An S3 endpoint on 127.0.0.1 in front of moto: reads (GET, HEAD) go through, every write (PUT,
    POST, DELETE) is answered 503 SlowDown, so a run gets past its checks and fails while sending."""

    BODY = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate.</Message></Error>")

    def __init__(self, upstream: str) -> None:
        self.refused = 0
        super().__init__(upstream)

    def answer_instead(self, request) -> bool:
        if request.command in ("GET", "HEAD"):
            return False
        self.refused += 1
        request.send_response(503)
        request.send_header("Content-Type", "application/xml")
        request.send_header("Content-Length", str(len(self.BODY)))
        request.end_headers()
        request.wfile.write(self.BODY)
        return True


def test_a_server_answering_with_errors_is_retried_a_bounded_number_of_times(cli, archive_root, tmp_path,
                                                                            moto_server, aws_env):
    """503 on every write: bounded retries with backoff, one clear line per failure, nothing
    recorded; the same replica answering again, the next run completes."""
    target = s3_target(moto_server.endpoint)
    make_archive(cli, archive_root, tmp_path, count=2)
    assert cli("--root", archive_root, "replica", "add", NAME, target.url, *target.options).code == 0
    config = archive_root / "archive.toml"
    good = config.read_text(encoding="utf-8")
    refusing = _Refusing(moto_server.endpoint)
    try:
        config.write_text(good.replace(moto_server.endpoint, refusing.endpoint), encoding="utf-8")
        before = archive_files(archive_root)
        result = cli("--root", archive_root, "replicate", env=fast_retries_env(tmp_path))
    finally:
        refusing.stop()
    assert result.code == 1, result
    lines = result.err.splitlines()
    assert lines and all(line.startswith("archive: error: replica offsite") for line in lines), result
    assert "Traceback" not in result.err and "unexpected" not in result.err
    for secret in DUMMY_AWS.values():
        assert secret not in result.out + result.err
    assert any("SlowDown" in line or "503" in line for line in lines), result
    assert 1 < refusing.refused <= 100, refusing.refused  # retried, and then given up on
    assert archive_files(archive_root) == before  # nothing recorded that did not happen
    assert copies(archive_root) == {}

    config.write_text(good, encoding="utf-8")
    resumed = cli("--root", archive_root, "replicate")
    assert resumed.code == 0, resumed
    assert len(copies(archive_root)) == 2
