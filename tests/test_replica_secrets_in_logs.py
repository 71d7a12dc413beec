"""No secret in the archive's logs after a failing S3 run (issue 11: "No secret ever appears in
output, logs or PREMIS events"). The AWS keys are in the environment, as a user has them; the run
fails against a stopped server, then (a bug stood in for) on an unexpected exception after the
objects went to S3, which writes a crash log with its traceback under logs/; nothing there (nor the
output, nor the events) holds the secret access key, the session token or the access key id."""

from __future__ import annotations

import os
import textwrap

from remote_servers import DUMMY_AWS
from replica_targets import s3_target
from test_replicate import NAME, make_archive

from archive.layout import open_archive

BUG = textwrap.dedent('''
    # An unexpected failure (a bug stood in for) once every object is on S3, before the copies are
    # recorded: the CLI exits 70 and writes the traceback under logs/.
    from archive.replicas import push

    def record_copies(*args, **kwargs):
        raise RuntimeError("a bug while recording the copies")

    push.record_copies = record_copies
''')


def test_a_failing_s3_run_writes_no_secret_into_logs(cli, archive_root, tmp_path, moto_private, aws_env):
    target = s3_target(moto_private.endpoint)
    make_archive(cli, archive_root, tmp_path, count=1)
    assert cli("--root", archive_root, "replica", "add", NAME, target.url, *target.options).code == 0
    moto_private.stop()
    failed = cli("--root", archive_root, "replicate")
    checked = cli("--root", archive_root, "verify", "--replica", NAME)
    moto_private.start()
    assert failed.code == 1 and checked.code == 1, (failed, checked)
    assert failed.err.startswith("archive: error: replica offsite"), failed
    site = tmp_path / "bug"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BUG)
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    crashed = cli("--root", archive_root, "replicate", expect_unexpected=True, env={"PYTHONPATH": path})
    assert crashed.code == 70 and "logs/" in crashed.err, crashed
    secrets = [DUMMY_AWS[k] for k in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")]
    logs = archive_root / "logs"
    assert logs.is_dir()
    written = [p for p in logs.rglob("*") if p.is_file()]
    assert any("a bug while recording the copies" in p.read_text() for p in written), written
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{path} holds a secret"
    events = [str(e) for e in open_archive(archive_root).store.iter_events()]
    for secret in secrets:
        assert secret not in failed.out + failed.err + checked.out + checked.err + crashed.out + crashed.err
        assert not any(secret in e for e in events)
