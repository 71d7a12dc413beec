"""The cheap paths verify takes per bag give exactly what the general rules give."""

from __future__ import annotations

import os

import pytest

from archive.bagit_format.paths import _PLAIN_NAME, legacy_payload_name, payload_name, source_payload
from archive.bagit_format.payload import source_path
from archive.bagit_format.taginfo import _LINES, split_lines

PLAIN = ["article-000000.txt", "a", "report_2024.final.PDF", "x" * 200, "A+b=c,d@e-f.txt", "name.",
         "9lives.html", "_under.txt"]
NOT_PLAIN = [".hidden", "-dash.txt", "with space.txt", "100%.txt", "a/b.txt", "a\\b.txt", "x" * 201,
             "caf\u00e9.txt", "tab\there.txt", "\u200bzero.txt", "", "new\nline.txt"]


@pytest.mark.parametrize("name", PLAIN)
def test_a_plain_name_is_its_own_payload_name_under_both_rules(name: str, tmp_path) -> None:
    assert _PLAIN_NAME.fullmatch(name)
    assert payload_name(name) == name and legacy_payload_name(name) == name
    assert source_payload(tmp_path, name) == source_path(name)


@pytest.mark.parametrize("name", NOT_PLAIN)
def test_any_other_name_takes_the_general_rules(name: str, tmp_path) -> None:
    assert _PLAIN_NAME.fullmatch(name) is None
    assert source_payload(tmp_path, name) == source_path(payload_name(name))


@pytest.mark.parametrize("text", ["", "\n", "a: b\n", "a: b", "a: b\n\nc: d\n", "a\rb\r\nc\n", "x\r",
                                  "\r\n\r\n"])
def test_split_lines_without_a_cr_matches_the_rfc_line_ends(text: str) -> None:
    expected = _LINES.split(text)
    if expected and expected[-1] == "":
        expected.pop()
    assert split_lines(text) == expected


def _inventory_fields(inv) -> tuple:
    return (inv.files, inv.folders, inv.refused, [p.to_dict() for p in inv.problems])


def test_the_local_walk_gives_the_inventory_the_storage_walk_gives(tmp_path) -> None:
    from archive.fixity.inventory import Inventory, take_entries, walk
    from archive.storage.local import LocalStorage

    bag = tmp_path / "bag"
    (bag / "data" / "deep" / "er").mkdir(parents=True)
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (bag / "data" / "a.txt").write_text("a")
    (bag / "data" / "deep" / "er" / "b.txt").write_text("bb")
    (bag / "data" / "empty").mkdir()
    (bag / "data" / "inside").symlink_to("a.txt")
    (bag / "data" / "outside").symlink_to(tmp_path)
    (bag / "data" / "linked-folder").symlink_to(bag / "data" / "deep")
    os.mkfifo(bag / "data" / "fifo")
    storage = LocalStorage(bag)
    expected = Inventory(root=storage.root, storage=storage)
    take_entries(expected, storage.walk(), storage.root)
    found = walk(storage)
    assert _inventory_fields(found) == _inventory_fields(expected)
    assert list(found.files) == list(expected.files)  # the same order too
    assert {"data/a.txt", "data/deep/er/b.txt", "bagit.txt"} == set(found.files)
    assert {"data/inside", "data/outside", "data/linked-folder", "data/fifo"} == found.refused


def test_a_missing_bag_folder_is_one_unreadable_folder_either_way(tmp_path) -> None:
    from archive.fixity.inventory import Inventory, take_entries, walk
    from archive.storage.local import LocalStorage

    storage = LocalStorage(tmp_path / "gone")
    expected = Inventory(root=storage.root, storage=storage)
    take_entries(expected, storage.walk(), storage.root)
    found = walk(storage)
    assert _inventory_fields(found) == _inventory_fields(expected)
    assert [p.code for p in found.problems] == ["unreadable-folder"]


SHA = "0" * 64


@pytest.mark.parametrize(("lines", "plain"), [
    ([f"{SHA}  data/a.txt", f"{SHA}  data/b/c.txt"], True),
    ([f"{SHA}  data/.hidden"], False),
    ([f"{SHA}  data/b/../a.txt"], False),
    ([f"{SHA}  data//a.txt"], False),
    ([f"{SHA}  data/b/"], False),
    ([f"{SHA}  bagit.txt"], False),  # a payload manifest naming a tag file
    ([f"{SHA}  data/a.txt", f"{SHA}  data/a.txt"], False),  # listed twice
    ([f"{SHA}  data/gone.txt"], False),  # not in the bag
    ([f"{'AB' * 32}  data/a.txt"], False),  # upper-case hex
    ([f"{SHA} data/a.txt"], False),
    ([f"{SHA}  data/100%.txt"], False),
])
def test_only_a_plain_payload_manifest_takes_the_one_pass_reading(tmp_path, lines, plain) -> None:
    """The one-pass reading accepts exactly the manifests whose line-by-line reading would report
    nothing, and gives the same entries; anything else is read line by line."""
    from archive.fixity.bagcheck import _BagCheck, _Manifest
    from archive.storage.local import LocalStorage

    bag = tmp_path / "bag"
    (bag / "data" / "b").mkdir(parents=True)
    for name in ("a.txt", "b/c.txt", ".hidden", "100%.txt"):
        (bag / "data" / name).write_text("x")
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (bag / "manifest-sha256.txt").write_text("".join(line + "\n" for line in lines))
    check = _BagCheck(LocalStorage(bag), fast=True)
    one_pass = _Manifest("manifest-sha256.txt", "sha256", tag=False)
    assert check._read_plain_manifest(one_pass) is plain
    if plain:
        by_lines = _Manifest("manifest-sha256.txt", "sha256", tag=False)
        check._read_manifest(by_lines)
        assert (one_pass.entries, one_pass.named) == (by_lines.entries, by_lines.named)
        assert not check.problems


def test_a_tag_manifest_naming_a_dot_file_is_read_line_by_line(tmp_path) -> None:
    from archive.fixity.bagcheck import _BagCheck, _Manifest
    from archive.storage.local import LocalStorage

    bag = tmp_path / "bag"
    (bag / "data").mkdir(parents=True)
    (bag / ".secret").write_text("x")
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (bag / "tagmanifest-sha256.txt").write_text(f"{SHA}  bagit.txt\n{SHA}  .secret\n")
    check = _BagCheck(LocalStorage(bag), fast=True)
    assert check._read_plain_manifest(_Manifest("tagmanifest-sha256.txt", "sha256", tag=True)) is False
    plain = bag / "tagmanifest-sha512.txt"
    plain.write_text(f"{'0' * 128}  bagit.txt\n")
    check = _BagCheck(LocalStorage(bag), fast=True)
    manifest = _Manifest("tagmanifest-sha512.txt", "sha512", tag=True)
    assert check._read_plain_manifest(manifest) is True
    assert manifest.entries == {"bagit.txt": "0" * 128}
