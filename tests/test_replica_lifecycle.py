"""Three copies kept as an archivist would keep them, through the real commands only.

On each kind of replica (folder, S3 on moto, SFTP on sshd): add it, replicate, then let a local
file rot, a local bag folder vanish and the replica's copy be damaged, and see each found by the
check that should find it and put right by ``repair`` from the copy that is good. The fault cases
of each command have their own files (test_replicate*.py, test_replica_check.py, test_repair.py,
test_restore.py); this one proves the commands agree with one another about what a copy is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import bag_all
from replica_targets import Target

PAYLOAD = "data/source"


def _json(cli, *args) -> dict | list:
    result = cli(*args, "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def test_replicate_check_damage_repair_on_each_kind(seeded_root: Path, replica_target: Target, cli):
    root = seeded_root
    (record_id,) = bag_all(cli, root)  # set-up: the bagged template
    assert _json(cli, "--root", root, "list")[0]["good_copies"] == 1  # only the local one

    added = cli("--root", root, "replica", "add", "offsite", replica_target.url, *replica_target.options)
    assert added.code == 0, added
    replicated = cli("--root", root, "replicate")
    assert replicated.code == 0, replicated
    [row] = _json(cli, "--root", root, "list")
    assert row["good_copies"] == 2, row
    history = _json(cli, "--root", root, "history", record_id)
    assert any(e["type"]["label"] == "replication" and e["outcome_detail"]["replica"] == "offsite"
               for e in history), history
    assert replica_target.read_raw(f"bags/{record_id}/v1/bagit.txt") is not None

    # The replica's copy checks out, and the check is recorded against the replica.
    checked = cli("--root", root, "verify", "--replica", "offsite")
    assert checked.code == 0, checked

    # A local file rots: verify names it, repair takes the replica's good bytes.
    bag = root / "bags" / record_id / "v1"
    [source] = sorted((bag / PAYLOAD).iterdir())
    original = source.read_bytes()
    source.write_bytes(original.replace(b"Ankara", b"Ankhra", 1))
    assert cli("--root", root, "verify").code == 1
    repaired = cli("--root", root, "repair", "--from", "offsite")
    assert repaired.code == 0, repaired
    assert source.read_bytes() == original
    assert cli("--root", root, "verify").code == 0
    assert any(e["type"]["label"] == "recovery" for e in _json(cli, "--root", root, "history", record_id))

    # The whole local bag folder goes: repair rebuilds it, byte for byte.
    shutil.rmtree(bag)
    assert cli("--root", root, "verify").code == 1
    assert cli("--root", root, "repair").code == 0
    assert source.read_bytes() == original
    assert cli("--root", root, "verify").code == 0

    # The replica's copy is damaged: its check names the file, repair --replica puts it right.
    key = f"bags/{record_id}/v1/{PAYLOAD}/{source.name}"
    replica_target.put_raw(key, original[:-1])
    failed = cli("--root", root, "verify", "--replica", "offsite")
    assert failed.code == 1 and f"{PAYLOAD}/{source.name}" in failed.out + failed.err, failed
    [row] = _json(cli, "--root", root, "list")
    assert row["good_copies"] == 1, row  # the failing copy no longer counts
    fixed = cli("--root", root, "repair", "--replica", "offsite")
    assert fixed.code == 0, fixed
    assert replica_target.read_raw(key) == original
    assert cli("--root", root, "verify", "--replica", "offsite").code == 0
    [row] = _json(cli, "--root", root, "list")
    assert row["good_copies"] == 2, row

    # Nothing new to send: a second replicate adds nothing.
    again = _json(cli, "--root", root, "replicate")
    assert again, again
