"""`archive deposit`: profile-checked, serialised bags with sha256 sidecars; refused bags write nothing."""

from __future__ import annotations

import hashlib
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from helpers import RECORDS, bag_all, snapshot_tree

from archive.deposit import check_profile, load_profile


def bagged(cli, root: Path) -> str:
    (record_id,) = bag_all(cli, root)  # set-up: the bagged template, no 'list' CLI run to learn the id
    return record_id


def names_in(path: Path) -> list[str]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    with tarfile.open(path) as tar:
        return tar.getnames()


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_deposit_writes_one_folder_and_a_sidecar(cli, seeded_root, tmp_path, fmt):
    record_id = bagged(cli, seeded_root)
    out = tmp_path / "out"
    result = cli("--root", seeded_root, "deposit", record_id, "--format", fmt, "--to", out)
    assert result.code == 0, result
    target = out / f"{record_id}_v1.{fmt}"
    sidecar = out / f"{target.name}.sha256"
    assert sorted(p.name for p in out.iterdir()) == sorted([target.name, sidecar.name])
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert sidecar.read_text(encoding="utf-8") == f"{digest}  {target.name}\n"
    names = names_in(target)
    assert {n.split("/")[0] for n in names} == {f"{record_id}_v1"}
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)
    assert f"{record_id}_v1/data/source/ankara-ambassador-shooting.txt" in names
    if fmt != "zip":
        with tarfile.open(target) as tar:
            for member in tar:
                assert member.uname == member.gname == "" and member.uid == member.gid == 0
    record = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    assert record["status"] == "deposited"
    events = json.loads(cli("--root", seeded_root, "history", record_id, "--json").out)
    assert any(e["type"]["uri"].endswith("/tra") for e in events)


def test_deposit_is_reproducible(cli, seeded_root, tmp_path):
    record_id = bagged(cli, seeded_root)
    for name in ("a", "b"):
        assert cli("--root", seeded_root, "deposit", record_id, "--format", "tar.gz", "--to",
                   tmp_path / name).code == 0
    assert (tmp_path / "a" / f"{record_id}_v1.tar.gz").read_bytes() == \
        (tmp_path / "b" / f"{record_id}_v1.tar.gz").read_bytes()


def test_a_profile_that_fails_lists_every_unmet_rule_and_writes_nothing(cli, seeded_root, tmp_path):
    record_id = bagged(cli, seeded_root)
    profile = load_profile()
    profile["Bag-Info"]["Rights-Holder"] = {"required": True}
    profile["Manifests-Required"] = ["sha256", "md5"]
    profile["Accept-Serialization"] = ["application/zip"]
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps(profile), encoding="utf-8")
    out = tmp_path / "out"
    before = snapshot_tree(seeded_root)
    result = cli("--root", seeded_root, "deposit", record_id, "--to", out, "--profile", strict)
    assert result.code == 1
    assert "Rights-Holder is required" in result.err
    assert "Manifests-Required: md5 is missing" in result.err
    assert "Accept-Serialization: application/x-tar" in result.err
    assert not out.exists() or not any(out.iterdir())
    assert snapshot_tree(seeded_root) == before


def test_default_profile_accepts_our_bags_and_agrees_with_bagit_profile(cli, seeded_root):
    record_id = bagged(cli, seeded_root)
    bag = seeded_root / "bags" / record_id / "v1"
    profile = load_profile()
    assert check_profile(bag, profile, "tar") == []
    bagit_profile = pytest.importorskip("bagit_profile")
    import bagit

    reference = bagit_profile.Profile(profile["BagIt-Profile-Info"]["BagIt-Profile-Identifier"],
                                      profile=json.loads(json.dumps(profile)))
    assert reference.validate(bagit.Bag(str(bag))), reference.report


def test_a_damaged_bag_is_not_deposited(cli, seeded_root, tmp_path):
    record_id = bagged(cli, seeded_root)
    source = seeded_root / "bags" / record_id / "v1" / "data/source/ankara-ambassador-shooting.txt"
    source.write_bytes(source.read_bytes().replace(b"Ankara", b"Ankura", 1))
    result = cli("--root", seeded_root, "deposit", "--all", "--to", tmp_path / "out")
    assert result.code == 1
    assert "data/source/ankara-ambassador-shooting.txt" in result.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_unbagged_record_and_bad_profile_file(cli, seeded_root, tmp_path):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    result = cli("--root", seeded_root, "deposit", record_id, "--to", tmp_path / "out")
    assert result.code == 1 and "has no bag yet" in result.err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = cli("--root", seeded_root, "deposit", record_id, "--to", tmp_path / "o", "--profile", broken)
    assert result.code == 1 and "not valid JSON" in result.err and "Traceback" not in result.err


def test_a_deposit_without_contact_settings_says_how_to_fix_it(tmp_path, cli):
    root = tmp_path / "bare"
    assert cli("init", root).code == 0
    assert cli("--root", root, "import", RECORDS).code == 0
    assert cli("--root", root, "bag", "--all").code == 0
    result = cli("--root", root, "deposit", "--all", "--to", tmp_path / "out")
    assert result.code == 1
    assert "Contact-Name is required" in result.err
    assert "set organization, contact_name and contact_email in archive.toml, then " \
        "`archive bag --rebag" in result.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
