"""Issue 11: "Transfers run concurrently" and, in its figures, ">= 8 concurrent transfers" to S3.

Counted where it matters, in the server: moto's own application is wrapped (tests/s3_in_flight.py)
so each PUT is held until the wanted number of PUTs are waiting at the same moment, then all go.
``archive replicate`` with its default settings must gather 8; with ``--jobs 3`` it gathers 3 and
never has more than 3 in flight, which shows the count is the command's and not the server's.
"""

from __future__ import annotations

import json
from pathlib import Path

from replica_targets import s3_target
from s3_in_flight import InFlight, watch

from archive.layout import open_archive

RECORDS = 6
"""Twelve tasks (each record's source files, then its bag), each sending its files one at a time:
more than 8 tasks, so 8 transfers can be in flight together."""


def six_bagged(cli, root: Path, tmp_path: Path) -> list[str]:
    folder = tmp_path / "texts"
    folder.mkdir()
    for i in range(RECORDS):
        (folder / f"piece-{i}.txt").write_text(f"Piece number {i}.\nIt has a few words of its own.\n")
    assert cli("--root", root, "import", folder).code == 0
    assert cli("--root", root, "bag", "--all").code == 0
    return open_archive(root).store.ids()


def replicate_through(cli, root: Path, moto_private, gate: InFlight, *args: str) -> dict:
    target = s3_target(moto_private.endpoint)
    assert cli("--root", root, "replica", "add", "cloud", target.url, *target.options).code == 0
    watch(moto_private, gate)
    result = cli("--root", root, "replicate", "--json", *args)
    assert result.code == 0, result
    return json.loads(result.out)["replicas"][0]


def test_replicate_to_s3_has_8_transfers_in_flight_at_once_by_default(cli, archive_root, tmp_path,
                                                                         moto_private, aws_env):
    ids = six_bagged(cli, archive_root, tmp_path)
    gate = InFlight(hold=8)
    report = replicate_through(cli, archive_root, moto_private, gate)
    assert gate.gathered.is_set(), f"only {gate.peak} transfers were ever in flight at once, not {gate.hold}"
    assert gate.peak == 8  # the default --jobs: 8 at once, and never more
    assert report["bags_copied"] == len(ids) and report["failures"] == []
    assert gate.transfers >= report["files_sent"] > 8


def test_jobs_bounds_the_transfers_in_flight(cli, archive_root, tmp_path, moto_private, aws_env):
    jobs = 3
    ids = six_bagged(cli, archive_root, tmp_path)
    gate = InFlight(hold=jobs)
    report = replicate_through(cli, archive_root, moto_private, gate, "--jobs", str(jobs))
    assert gate.gathered.is_set() and gate.peak == jobs, gate.peak
    assert report["bags_copied"] == len(ids) and report["failures"] == []
