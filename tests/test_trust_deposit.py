"""Trust in deposit (issue 9): a bag that verify fails is never shipped, --to cannot point into
the archive's own folders, a record changed after its newest bag is named, and a profile failure
says which labels are missing and how to make a bag that has them."""

from __future__ import annotations

import json
from pathlib import Path

from bag_tamper import reseal, same_length_change
from helpers import SEED, bag_all, snapshot_tree

from archive.layout import open_archive


def bagged(cli, root: Path) -> str:
    (record_id,) = bag_all(cli, root)  # set-up: the bagged template, no 'list' CLI run to learn the id
    return record_id


def events_of(cli, root: Path, record_id: str) -> list[dict]:
    return json.loads(cli("--root", root, "history", record_id, "--json").out)


# --- 5. deposit runs the same full check as verify -----------------------------------------


def test_a_bag_that_verify_fails_is_not_deposited(cli, seeded_root, tmp_path):
    record_id = bagged(cli, seeded_root)
    bag = seeded_root / "bags" / record_id / "v1"
    same_length_change(bag / "data/source/ankara-ambassador-shooting.txt")
    reseal(bag)  # valid BagIt again, and the profile is met: only the catalogue can tell
    verified = cli("--root", seeded_root, "verify", record_id)
    assert verified.code == 1, verified
    before = snapshot_tree(seeded_root)
    out = tmp_path / "out"

    result = cli("--root", seeded_root, "deposit", record_id, "--to", out)
    assert result.code == 1, result
    assert f"{record_id}: " in result.err
    assert "tagmanifest-sha256.txt" in result.err  # the failing files are named
    assert "manifest-sha256.txt" in result.err and "source-digest-differs" in result.err
    assert "deposited 0, refused 1" in result.out
    assert not out.exists()
    assert snapshot_tree(seeded_root) == before  # no event, no status change, nothing written
    record = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    assert record["status"] == "bagged"
    assert not any(e["type"]["uri"].endswith("/tra") for e in events_of(cli, seeded_root, record_id))


def test_a_record_json_changed_in_the_bag_is_not_deposited(cli, seeded_root, tmp_path):
    record_id = bagged(cli, seeded_root)
    bag = seeded_root / "bags" / record_id / "v1"
    record_json = bag / "data/metadata/record.json"
    bagged_record = json.loads(record_json.read_bytes())
    bagged_record["title"] = "Another title"
    record_json.write_text(json.dumps(bagged_record, indent=2), encoding="utf-8")
    reseal(bag)
    result = cli("--root", seeded_root, "deposit", record_id, "--to", tmp_path / "out", "--json")
    assert result.code == 1, result
    [refused] = json.loads(result.out)["refused"]
    assert refused["id"] == record_id
    assert any("data/metadata/record.json" in reason for reason in refused["reasons"]), refused


# --- 6. --to may not point inside the archive's managed folders ----------------------------


def test_deposit_into_a_bag_or_other_managed_folder_is_refused(cli, seeded_root, tmp_path):
    record_id = bagged(cli, seeded_root)
    before = snapshot_tree(seeded_root)
    for target in (seeded_root / "bags" / record_id / "v1" / "data" / "source",
                   seeded_root / "catalog", seeded_root / "sources" / "x"):
        result = cli("--root", seeded_root, "deposit", record_id, "--to", target)
        assert result.code == 1, result
        assert result.err.startswith(f"archive: error: {target}: the deposit would be written inside")
        assert "Traceback" not in result.err
    relative = cli("deposit", record_id, "--to", f"bags/{record_id}/v1/data/source", cwd=seeded_root)
    assert relative.code == 1 and "inside the archive's bags/" in relative.err, relative
    assert snapshot_tree(seeded_root) == before
    inside_deposits = cli("deposit", record_id, "--to", "deposits/today", cwd=seeded_root)
    assert inside_deposits.code == 0, inside_deposits
    assert (seeded_root / "deposits" / "today" / f"{record_id}_v1.tar").is_file()


# --- 7. a record changed after its newest bag ---------------------------------------------


def test_deposit_warns_when_the_record_changed_after_its_newest_bag(cli, seeded_root, tmp_path):
    record_id = bagged(cli, seeded_root)
    assert cli("--root", seeded_root, "edit", record_id, "--set", "section=World").code == 0
    result = cli("--root", seeded_root, "deposit", record_id, "--to", tmp_path / "a")
    assert result.code == 0, result
    assert f"{record_id}: changed since bag v1" in result.err
    assert f"archive bag {record_id}" in result.err
    as_json = cli("--root", seeded_root, "deposit", record_id, "--to", tmp_path / "b", "--json")
    assert as_json.code == 0, as_json
    warnings = json.loads(as_json.out)["warnings"]
    assert [w["id"] for w in warnings] == [record_id]
    assert f"archive bag {record_id}" in warnings[0]["message"]
    assert cli("--root", seeded_root, "bag", record_id).code == 0
    quiet = cli("--root", seeded_root, "deposit", record_id, "--to", tmp_path / "c")
    assert quiet.code == 0 and "changed since" not in quiet.err, quiet


# --- 8. the profile's missing labels, and how to fix them ----------------------------------


def test_a_profile_failure_names_every_missing_label_and_the_way_to_rebag(cli, tmp_path):
    root = tmp_path / "bare"
    assert cli("init", root).code == 0
    assert cli("--root", root, "add", SEED, "--title", "Ankara").code == 0
    record_id = bagged(cli, root)
    out = tmp_path / "out"
    result = cli("--root", root, "deposit", record_id, "--to", out)
    assert result.code == 1, result
    for label in ("Source-Organization", "Contact-Name", "Contact-Email"):
        assert f"Bag-Info: {label} is required but missing" in result.err
    assert ("set organization, contact_name and contact_email in archive.toml, then "
            f"`archive bag --rebag {record_id}`") in result.err, result.err
    assert not out.exists()

    settings = root / "archive.toml"
    text = settings.read_text(encoding="utf-8")
    for key, value in (("organization", "City Library"), ("contact_name", "Ada Archivist"),
                       ("contact_email", "ada@example.org")):
        text = text.replace(f'{key} = ""', f'{key} = "{value}"')
    settings.write_text(text, encoding="utf-8")
    assert cli("--root", root, "bag", "--rebag", record_id).code == 0
    deposited = cli("--root", root, "deposit", record_id, "--to", out)
    assert deposited.code == 0, deposited
    assert (out / f"{record_id}_v2.tar").is_file()
    assert open_archive(root).store.get(record_id)["status"] == "deposited"
