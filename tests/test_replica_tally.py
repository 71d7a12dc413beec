"""``verify`` and ``verify --replica`` count the same damage the same way: one tally of bags by
state, files by kind of problem (a working copy's too) and bytes read."""

from __future__ import annotations

import json

from helpers import only_bag
from replica_seed import seed_replica
from replica_targets import folder_target

SHARED = ("checked", "success", "warning", "failure", "missing_bags", "sources_checked", "sources_failed",
          "missing", "changed", "unsafe", "unreadable", "mismatch")


def test_a_changed_source_file_counts_the_same_locally_and_on_a_replica(cli, bagged_root, tmp_path):
    target = folder_target(tmp_path / "replica")
    seed_replica(bagged_root, "copy", target)
    record_id = only_bag(bagged_root).parent.name
    (source,) = (bagged_root / "sources" / record_id).iterdir()
    rotten = source.read_bytes() + b"appended"
    source.write_bytes(rotten)
    target.put_raw(f"sources/{record_id}/{source.name}", rotten)

    local = cli("--root", bagged_root, "verify", "--json")
    remote = cli("--root", bagged_root, "verify", "--replica", "copy", "--json")
    assert local.code == 1 and remote.code == 1, (local, remote)
    here, there = json.loads(local.out)["totals"], json.loads(remote.out)["totals"]
    assert here["changed"] == 1 and here["sources_failed"] == 1, here
    assert {k: there[k] for k in SHARED} == {k: here[k] for k in SHARED}
    assert there["not_replicated"] == 0 and "orphans" in here and "leftovers" in here
