"""The server stops mid-run AFTER some objects were confirmed: the run fails cleanly, counts only
what was confirmed, and the next run (server back) sends only what is missing.

tests/test_replicate_faults.py stops the server before the first byte of any file, so nothing is
confirmed and nothing can be counted wrongly. Here the server stops at the Nth confirmed object (a
progress gate of that file's sitecustomize, never a clock): at the first object confirmed after
which some bag has every file on the replica, so one bag at least is whole, others are half sent
(the transfers run four at a time) and the rest not begun: the test holds every recorded copy to the bytes on
the replica and the resumed run's ``files_sent`` to the files the replica still lacked.
"""

from __future__ import annotations

import json
import os

import pytest
from killgate import Event, KillGate
from remote_servers import DUMMY_AWS
from test_replicate import NAME, copies, local_files, make_archive, replication_events
from test_replicate_faults import (
    FAST_RETRIES,
    SITE,
    archive_files,
    gated_env,
    private_target,
    remote_files,
    start_replicate,
)

RECORDS = 6


@pytest.mark.parametrize("kind", ["s3", "sftp"])
def test_server_stops_after_some_objects_are_confirmed(cli, archive_root, tmp_path, kind, request,
                                                        monkeypatch):
    server, target = private_target(kind, request, monkeypatch, tmp_path)
    make_archive(cli, archive_root, tmp_path, count=RECORDS)
    assert cli("--root", archive_root, "replica", "add", NAME, target.url, *target.options).code == 0
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE + FAST_RETRIES)
    log = tmp_path / "err"
    expected = local_files(archive_root)
    bag_files: dict[str, set[str]] = {}
    for path in expected:
        if path.startswith("bags/"):
            bag_files.setdefault("/".join(path.split("/")[:3]), set()).add(path)
    confirmed: set[str] = set()
    stopped: list[str] = []
    with KillGate() as gate:
        process = start_replicate(archive_root, gated_env(gate, site), log)

        def stop_server_once_a_bag_is_whole(event: Event) -> bool:
            if event.op == "send" and event.phase == "confirmed" and not stopped:
                confirmed.add(event.paths[-1])
                whole = [bag for bag, files in bag_files.items() if files <= confirmed]
                if whole:
                    server.stop()  # held here: that bag is on the replica, the run goes on
                    stopped.extend(whole)
            return False

        assert gate.run(process, stop_server_once_a_bag_is_whole, timeout=300) is None
    err = log.read_text()
    assert stopped and process.returncode == 1, err
    lines = err.splitlines()
    assert lines and all(line.startswith("archive: error: replica offsite") for line in lines), err
    assert "Traceback" not in err and "unexpected" not in err
    # the run either gives up once, saying so, or (when few bags were left) names each one it could not send
    stops = sum("stopped after" in line for line in lines)
    assert stops == 1 or (stops == 0 and all(" bag ART-" in line or "snapshot not sent" in line
                                             for line in lines)), err
    for secret in DUMMY_AWS.values():
        assert secret not in err

    server.start()
    held = remote_files(target)
    assert confirmed <= set(held), "a confirmed object is not on the replica"
    recorded = copies(archive_root)
    whole_bags = {(bag.split("/")[1], int(bag.split("/")[2][1:])) for bag in stopped}
    assert whole_bags <= set(recorded), "a bag whose every file was confirmed was not counted"
    assert len(recorded) < RECORDS, "the server stopped before the end: some bag cannot be whole"
    for record_id, version in recorded:  # nothing counted that was not confirmed, byte for byte
        prefix = f"bags/{record_id}/v{version}/"
        files = [p for p in expected if p.startswith(prefix)]
        assert files and all(target.read_raw(p) == expected[p] for p in files), prefix
    assert sorted((e["record_id"], e["bag_version"]) for e in replication_events(archive_root)) == \
        sorted(recorded)
    before = archive_files(archive_root)

    resumed = cli("--root", archive_root, "replicate", "--json")
    assert resumed.code == 0, resumed
    [report] = json.loads(resumed.out)["replicas"]
    missing = [p for p in expected if p not in held]
    assert report["files_sent"] == len(missing), (report, sorted(missing))
    assert report["bags_already"] == len(recorded)
    assert report["bags_copied"] == RECORDS - len(recorded)
    for path, data in expected.items():
        assert target.read_raw(path) == data, path
    assert len(copies(archive_root)) == RECORDS
    assert archive_files(archive_root) != before  # the resumed run recorded the rest
    assert os.environ.get("ARCHIVE_KILLGATE") is None
