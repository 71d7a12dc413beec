"""Deaccession after replication is not deletion (issue 11): the replica's copy of the withdrawn
record stays byte for byte, and the next ``replicate`` sends no bag or source file (only the changed
catalogue goes, as a new snapshot)."""

from __future__ import annotations

import json

from test_replicate import NAME, copies, make_archive


def tree(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_deaccession_after_replication_leaves_the_replica_copy_and_sends_nothing(cli, archive_root, tmp_path):
    ids = make_archive(cli, archive_root, tmp_path, count=2)
    replica = tmp_path / "nas"
    assert cli("--root", archive_root, "replica", "add", NAME, replica).code == 0
    first = cli("--root", archive_root, "replicate", "--json")
    assert first.code == 0, first
    assert json.loads(first.out)["replicas"][0]["bags_copied"] == 2
    withdrawn = ids[0]
    held = {k: v for k, v in tree(replica).items() if withdrawn in k}
    assert any(k.startswith(f"bags/{withdrawn}/") for k in held)
    assert any(k.startswith("sources/") for k in held)
    recorded = copies(archive_root)

    gone = cli("--root", archive_root, "deaccession", withdrawn, "--reason", "rights withdrawn")
    assert gone.code == 0, gone
    again = cli("--root", archive_root, "replicate", "--json")
    assert again.code == 0, again
    [report] = json.loads(again.out)["replicas"]
    assert (report["files_sent"], report["bags_copied"], report["sources_sent"]) == (0, 0, 0), report
    assert report["bags_already"] == 2
    assert {k: v for k, v in tree(replica).items() if withdrawn in k} == held  # untouched, not deleted
    assert copies(archive_root) == recorded  # still counted as copies: the bags are immutable
