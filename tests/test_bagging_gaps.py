"""Each point where bagit 1.9.0 falls short of RFC 8493, shown on bagit alone, and closed by
archive.bagging: version 1.0, ``%`` in names, every payload file in every manifest, symlinked
folders, ``os.chdir``, and a changed file named by the archive's validator."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import bagit
import pytest
from test_bagging import assert_valid, bag_one, manifest, only_id

from archive.bagging import bag_records, build, conform, payload
from archive.bagit_format.payload import BAGIT_TXT
from archive.errors import PayloadError
from archive.fixity import validate_bag
from archive.layout import open_archive

MAKE_BAG = "import bagit, sys; bagit.make_bag(sys.argv[1], checksums=['sha256', 'sha512'])"


def bagit_alone(folder: Path) -> None:
    """``bagit.make_bag`` as it is, in its own process (it changes the working directory)."""
    subprocess.run([sys.executable, "-c", MAKE_BAG, str(folder)], check=True, capture_output=True)


def payload_folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "payload"
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


def test_bagit_txt_says_1_0_and_the_tag_manifests_pin_it(cli, seeded_root, tmp_path):
    plain = payload_folder(tmp_path, {"a.txt": b"a\n"})
    bagit_alone(plain)
    assert (plain / "bagit.txt").read_text().startswith("BagIt-Version: 0.97")  # the gap

    bag = Path(bag_one(cli, seeded_root)[0]["path"])
    assert (bag / "bagit.txt").read_bytes() == BAGIT_TXT
    for algorithm in ("sha256", "sha512"):
        tags = manifest(bag, f"tagmanifest-{algorithm}.txt")
        for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"):
            assert tags[name] == hashlib.new(algorithm, (bag / name).read_bytes()).hexdigest()
    assert bagit.Bag(str(bag)).version_info == (1, 0)
    assert_valid(bag)


def test_a_name_with_percent_spaces_non_ascii_and_crlf_survives(cli, archive_root, tmp_path):
    name = "100% über  Ankara’da\r\nhaber.txt"
    source = tmp_path / "in" / name
    source.parent.mkdir()
    source.write_bytes(b"The article, byte for byte.\n")
    assert cli("--root", archive_root, "add", source, "--title", "Awkward").code == 0
    bag = Path(bag_one(cli, archive_root)[0]["path"])
    assert_valid(bag)  # bagit.Bag(...).validate() and archive.fixity.validate_bag
    [payload] = list((bag / "data" / "source").iterdir())
    assert payload.read_bytes() == source.read_bytes()
    assert "%" not in payload.name and "\r" not in payload.name and "\n" not in payload.name
    assert "\uff05" in payload.name and "über" in payload.name and "Ankara’da" in payload.name
    for algorithm in ("sha256", "sha512"):
        assert f"data/source/{payload.name}" in manifest(bag, f"manifest-{algorithm}.txt")
    record = json.loads((bag / "data" / "metadata" / "record.json").read_text(encoding="utf-8"))
    assert "%" in record["source"]["filename"]  # the name as received is kept in the record


def test_a_bare_percent_in_a_manifest_is_refused(tmp_path):
    folder = payload_folder(tmp_path, {"50% off.txt": b"x\n"})
    bagit_alone(folder)
    lines = (folder / "manifest-sha256.txt").read_text()
    assert "data/50% off.txt" in lines  # the gap: RFC 8493 wants '%' as %25, bagit leaves it bare
    with pytest.raises(PayloadError, match="not percent-encoded"):
        conform.conform(folder, [("Title", "x")], ("sha256", "sha512"))


def test_every_payload_file_must_be_in_every_manifest(tmp_path):
    folder = payload_folder(tmp_path, {"a.txt": b"a\n", "sub/b.txt": b"b\n"})
    bagit_alone(folder)
    text = (folder / "manifest-sha512.txt").read_text()
    (folder / "manifest-sha512.txt").write_text(
        "".join(line + "\n" for line in text.splitlines() if not line.endswith("sub/b.txt")))
    for tagmanifest in folder.glob("tagmanifest-*.txt"):  # optional; they would pin the old text
        tagmanifest.unlink()
    bagit.Bag(str(folder)).validate()  # bagit 1.9.0 accepts a file missing from one manifest
    with pytest.raises(PayloadError, match=r"manifest-sha512.txt .*missing \['sub/b.txt'\]"):
        conform.conform(folder, [("Title", "x")], ("sha256", "sha512"))


def test_symlinked_folders_drop_out_of_bagit_manifests_and_are_refused_here(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hidden.txt").write_bytes(b"reached through a link\n")
    folder = payload_folder(tmp_path, {"a.txt": b"a\n"})
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    bagit_alone(folder)
    assert "hidden.txt" not in (folder / "manifest-sha256.txt").read_text()  # the gap

    staged = payload_folder(tmp_path / "two", {"a.txt": b"a\n"})
    (staged / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PayloadError, match="symbolic link to a folder"):
        payload.resolve_links(staged)
    (staged / "linked").unlink()
    (staged / "file-link.txt").symlink_to(outside / "hidden.txt")
    payload.resolve_links(staged)  # a link to a file becomes a copy of its bytes
    assert not (staged / "file-link.txt").is_symlink()
    assert (staged / "file-link.txt").read_bytes() == b"reached through a link\n"


def test_a_symlinked_source_is_bagged_as_its_bytes(cli, seeded_root, tmp_path):
    record_id = only_id(cli, seeded_root)
    folder = seeded_root / "sources" / record_id
    [source] = [p for p in folder.iterdir() if p.suffix == ".txt"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    real = elsewhere / source.name
    source.rename(real)
    source.symlink_to(real)
    bag = Path(bag_one(cli, seeded_root)[0]["path"])
    copy = bag / "data" / "source" / source.name
    assert copy.is_file() and not copy.is_symlink()
    assert copy.read_bytes() == real.read_bytes()
    assert f"data/source/{source.name}" in manifest(bag, "manifest-sha512.txt")
    assert_valid(bag)


def test_bag_records_never_changes_the_callers_working_directory(cli, archive_root, tmp_path):
    texts = tmp_path / "texts"
    texts.mkdir()
    for i in range(6):
        (texts / f"article-{i}.txt").write_bytes(f"Article {i}.\n".encode())
    for text in sorted(texts.iterdir()):
        assert cli("--root", archive_root, "add", text).code == 0
    arc = open_archive(archive_root)
    here = tmp_path / "caller"
    here.mkdir()
    before = os.getcwd()
    os.chdir(here)
    seen: set[str] = set()
    stop = threading.Event()

    def watch() -> None:  # another thread of the caller, running all along
        while not stop.is_set():
            seen.add(os.getcwd())
            time.sleep(0.0005)

    outcome: list = []
    watcher = threading.Thread(target=watch)
    worker = threading.Thread(target=lambda: outcome.append(bag_records(arc, arc.store.ids(), workers=2)))
    try:
        watcher.start()
        worker.start()
        worker.join(300)  # only a guard against a hang (a fork server starts first, slow under load)
        stop.set()
        watcher.join()
        assert not worker.is_alive(), "bag_records did not return within 300 s"
        assert os.getcwd() == str(here)
    finally:
        os.chdir(before)
    assert seen == {str(here)}
    [results] = outcome
    assert [r.outcome for r in results] == ["bagged"] * 6
    for result in results:
        assert_valid(result.path)


def test_a_changed_file_is_named(cli, seeded_root):
    bag = Path(bag_one(cli, seeded_root)[0]["path"])
    source = next((bag / "data" / "source").iterdir())
    source.write_bytes(source.read_bytes().replace(b"Ankara", b"Ankaro", 1))  # same size
    checked = validate_bag(bag)
    assert not checked.valid
    assert any(p.path == f"data/source/{source.name}" for p in checked.problems), \
        [p.line() for p in checked.problems]
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag)).validate()


def test_build_bag_refuses_to_run_make_bag_in_the_callers_process(tmp_path):
    folder = payload_folder(tmp_path, {"a.txt": b"a\n"})
    with pytest.raises(RuntimeError, match="worker process"):
        build.make_bag(folder, [("Title", "x")], ("sha256",))
    assert not (folder / "bagit.txt").exists()
