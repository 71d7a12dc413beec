"""Issue 11: "The server ... answers with errors. The result is a clear error, ..., nothing
recorded that did not happen, and the archive unchanged." The S3 side (503s) is in
test_replicate_faults.py; here, on a real sshd, every bag write is refused because a file stands
where the bags/ folder should be (the server's stat answer; a permission error cannot be staged,
as the test user may be root)."""

from __future__ import annotations

import json

from fixtures_servers import use_ssh_home
from helpers import snapshot_tree

from archive.layout import open_archive


def test_an_sftp_replica_refusing_the_bags_is_one_line_each_and_records_nothing(cli, bagged_root, sshd_server,
                                                                               monkeypatch, tmp_path):
    use_ssh_home(monkeypatch, sshd_server)
    folder = tmp_path / "sftp-replica"
    url = f"sftp://{sshd_server.user}@127.0.0.1:{sshd_server.port}{folder}"
    assert cli("--root", bagged_root, "replica", "add", "offsite", url).code == 0
    (folder / "bags").write_bytes(b"a file where the bags folder should be\n")
    catalogue = snapshot_tree(bagged_root / "catalog" / "records")
    events_before = len(list(open_archive(bagged_root).store.iter_events()))

    failed = cli("--root", bagged_root, "replicate", "--json")
    assert failed.code == 1, failed
    assert "Traceback" not in failed.err
    report = json.loads(failed.out)["replicas"][0]
    assert report["bags_copied"] == 0 and report["failures"], report
    for line in report["failures"]:
        assert line.startswith("replica offsite") and "\n" not in line, line
        assert "after 4 attempts" not in line, line  # the server answered: not retried as a network fault
    assert snapshot_tree(bagged_root / "catalog" / "records") == catalogue  # nothing recorded
    assert len(list(open_archive(bagged_root).store.iter_events())) == events_before
    latest = json.loads((folder / "catalog" / "latest.json").read_text())  # the catalogue as it stands
    snapshot = (folder / latest["snapshot"]).read_text()
    assert '"offsite"' not in snapshot  # it claims no copy there

    (folder / "bags").unlink()  # the server answers again
    again = cli("--root", bagged_root, "replicate", "--json")
    assert again.code == 0, again
    assert json.loads(again.out)["replicas"][0]["bags_copied"] >= 1
