"""`archive ingest`: full validation and safe extraction before anything is accepted; round trip."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from helpers import SEED, bag_all, made_archive, snapshot_tree

from archive.records import descriptive


def deposited(cli, root: Path, out: Path, fmt: str = "tar") -> tuple[str, Path]:
    (record_id,) = bag_all(cli, root)  # set-up: the bagged template, no 'list' CLI run to learn the id
    assert cli("--root", root, "deposit", record_id, "--format", fmt, "--to", out).code == 0
    return record_id, out / f"{record_id}_v1.{fmt}"


def _init_other(root: Path, cli) -> None:
    assert cli("init", root, "--org", "Other Archive").code == 0


def fresh(cli, tmp_path: Path, name: str = "dest") -> Path:
    """An empty receiving archive, as ``archive init --org "Other Archive"`` makes it (a copy of
    one made once per worker)."""
    return made_archive(tmp_path / name, "ingest.other-archive", _init_other)


def assert_refused(cli, root: Path, path: Path, *needles: str) -> None:
    outside = sorted(p.name for p in path.parent.iterdir())
    before = snapshot_tree(root)
    result = cli("--root", root, "ingest", path)
    assert result.code == 1, result
    assert "Traceback" not in result.err
    for needle in needles:
        assert needle in result.err, result.err
    assert snapshot_tree(root) == before
    assert sorted(p.name for p in path.parent.iterdir()) == outside
    assert not any((root / "staging").iterdir())


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_deposit_then_ingest_gives_an_equal_record(cli, seeded_root, tmp_path, fmt):
    record_id, package = deposited(cli, seeded_root, tmp_path / "out", fmt)
    original = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    dest = fresh(cli, tmp_path)
    result = cli("--root", dest, "ingest", package)
    assert result.code == 0, result
    copy = json.loads(cli("--root", dest, "show", record_id, "--json").out)
    assert descriptive(copy) == descriptive(original)
    assert copy["status"] == "bagged" and [b["version"] for b in copy["bags"]] == [1]
    assert snapshot_tree(dest / "bags" / record_id / "v1") == \
        snapshot_tree(seeded_root / "bags" / record_id / "v1")
    text = cli("--root", dest, "show", record_id, "--text")
    assert text.code == 0 and text.out.encode("utf-8") == SEED.read_bytes()
    events = json.loads(cli("--root", dest, "history", record_id, "--json").out)
    assert any(e["type"]["uri"].endswith("/acc") for e in events)
    assert not any((dest / "staging").iterdir())


def test_a_bag_folder_is_ingested_and_a_second_copy_refused(cli, seeded_root, tmp_path):
    (record_id,) = bag_all(cli, seeded_root)  # set-up: the bagged template
    bag = seeded_root / "bags" / record_id / "v1"
    dest = fresh(cli, tmp_path)
    assert cli("--root", dest, "ingest", bag).code == 0
    assert_refused(cli, dest, bag, "already catalogued")


def test_a_bag_without_record_json_is_built_from_bag_info(cli, tmp_path):
    import bagit

    folder = tmp_path / "elsewhere" / "bag"
    folder.mkdir(parents=True)
    shutil.copyfile(SEED, folder / "article.txt")
    bagit.make_bag(str(folder), {"Title": "An article from elsewhere", "Creator": "Doe, Jane",
                                 "Date-Published": "2016-12-19"}, checksums=["sha256"])
    dest = fresh(cli, tmp_path)
    result = cli("--root", dest, "ingest", folder, "--json")
    assert result.code == 0, result
    record = json.loads(cli("--root", dest, "show", json.loads(result.out)["id"], "--json").out)
    assert record["title"] == "An article from elsewhere" and record["issued"] == "2016-12-19"
    assert record["creators"] == [{"literal": "Doe, Jane"}]


def test_a_tampered_bag_is_refused_naming_the_file(cli, seeded_root, tmp_path):
    record_id, _ = deposited(cli, seeded_root, tmp_path / "out")
    bag = tmp_path / "copy" / f"{record_id}_v1"
    shutil.copytree(seeded_root / "bags" / record_id / "v1", bag)
    source = bag / "data/source/ankara-ambassador-shooting.txt"
    source.write_bytes(source.read_bytes() + b"forged line\n")  # bagit names only Payload-Oxum
    assert_refused(cli, fresh(cli, tmp_path), bag, "data/source/ankara-ambassador-shooting.txt")


def test_a_file_missing_from_one_manifest_is_refused(cli, seeded_root, tmp_path):
    """bagit 1.9.0 accepts a payload file listed in only one of the manifests; RFC 8493 1.0 does not."""
    record_id, _ = deposited(cli, seeded_root, tmp_path / "out")
    bag = tmp_path / "copy" / f"{record_id}_v1"
    shutil.copytree(seeded_root / "bags" / record_id / "v1", bag)
    manifest = bag / "manifest-sha512.txt"
    lines = [ln for ln in manifest.read_text(encoding="utf-8").splitlines() if "citation.ris" not in ln]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import hashlib
    tag = bag / "tagmanifest-sha256.txt"
    tag.write_text("".join(
        f"{hashlib.sha256((bag / name).read_bytes()).hexdigest()}  {name}\n"
        for name in ("bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt")),
        encoding="utf-8")
    (bag / "tagmanifest-sha512.txt").unlink()
    assert_refused(cli, fresh(cli, tmp_path), bag, "citation.ris")


def _tar_with(path: Path, top: str, extra: list[tarfile.TarInfo], source: Path) -> None:
    with tarfile.open(path, "w") as tar:
        tar.add(source, arcname=top)
        for info in extra:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)


@pytest.mark.parametrize("kind", ["traversal", "absolute", "symlink", "hardlink", "device", "sibling"])
def test_hostile_tar_is_refused_and_nothing_written_outside_staging(cli, seeded_root, tmp_path, kind):
    record_id, _ = deposited(cli, seeded_root, tmp_path / "out")
    bag = seeded_root / "bags" / record_id / "v1"
    top = f"{record_id}_v1"
    info = tarfile.TarInfo()
    if kind == "traversal":
        info.name, info.size = f"{top}/data/../../../escaped.txt", 1
    elif kind == "absolute":
        info.name, info.size = str(tmp_path / "absolute.txt"), 1
    elif kind == "symlink":
        info.name, info.type, info.linkname = f"{top}/data/link", tarfile.SYMTYPE, "/etc/passwd"
    elif kind == "hardlink":
        info.name, info.type, info.linkname = f"{top}/data/hard", tarfile.LNKTYPE, "/etc/passwd"
    elif kind == "device":
        info.name, info.type = f"{top}/data/null", tarfile.CHRTYPE
    else:  # the path bagit 1.9.0's prefix check lets through
        info.name, info.size = f"{top}/data/../../{top}-sibling/x", 1
    package = tmp_path / "hostile" / "bag.tar"
    package.parent.mkdir()
    _tar_with(package, top, [info], bag)
    assert_refused(cli, fresh(cli, tmp_path), package, "refused")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "absolute.txt").exists()


def test_symlinked_folder_in_a_bag_folder_is_refused(cli, seeded_root, tmp_path):
    """bagit 1.9.0 leaves a symlinked folder out of its manifests and accepts the bag."""
    (record_id,) = bag_all(cli, seeded_root)  # set-up: the bagged template
    bag = tmp_path / "copy" / "bag"
    shutil.copytree(seeded_root / "bags" / record_id / "v1", bag)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.txt").write_text("private", encoding="utf-8")
    os.symlink(secret, bag / "data" / "linked")
    assert_refused(cli, fresh(cli, tmp_path), bag, "data/linked")


def test_zip_bomb_and_too_many_members_are_refused(cli, tmp_path):
    dest = fresh(cli, tmp_path)
    bomb = tmp_path / "bombs" / "bomb.zip"
    bomb.parent.mkdir()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bag/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        with archive.open("bag/data/zeros.txt", "w") as out:
            for _ in range(64):
                out.write(b"\0" * (1 << 20))
    assert_refused(cli, dest, bomb, "zip bomb")
    many = tmp_path / "bombs" / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(10_001):
            archive.writestr(f"bag/data/{i}.txt", "")
    assert_refused(cli, dest, many, "member limit")


def test_not_a_bag_and_missing_path(cli, tmp_path):
    dest = fresh(cli, tmp_path)
    junk = tmp_path / "junk" / "file.txt"
    junk.parent.mkdir()
    junk.write_text("hello", encoding="utf-8")
    assert_refused(cli, dest, junk, "not a bag folder")
    result = cli("--root", dest, "ingest", tmp_path / "nope.tar")
    assert result.code == 1 and "no such file" in result.err
