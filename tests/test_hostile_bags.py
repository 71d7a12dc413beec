"""Hostile bags: each gets a named error and exit code 1, never a traceback, a hang or a read
outside the bag.

Where a test must prove nothing outside the bag was opened, the outside target is a FIFO: opening a
FIFO for reading blocks until a writer comes, so any read of it would hang the command past the
subprocess timeout instead of passing.
"""

from __future__ import annotations

import encodings.aliases
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ARCHIVE_BIN, Result
from test_validate_bag import codes, run_json, write_bag

from archive.fixity import validate_bag
from archive.fixity.tagfiles import MAX_MANIFEST

GOOD = {"data/a.txt": b"alpha\n"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_named(cli, bag: Path, kind: str, code: str, path: str | None = None) -> dict:
    status, report = run_json(cli, bag)
    assert status == 1, report
    found = {(k, c) for k, c, _ in codes(report)}
    assert (kind, code) in found, report
    if path is not None:
        assert (kind, code, path) in codes(report), report
    return report


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_traversal_to_a_sibling_whose_name_starts_with_the_bags(cli, tmp_path):
    bag_name = "bag"
    sibling = tmp_path / f"{bag_name}-sibling"
    sibling.mkdir()
    fifo(sibling / "secret.txt")
    line = f"{sha256(b'')}  data/../../{bag_name}-sibling/secret.txt".encode()
    bag = write_bag(tmp_path / bag_name, GOOD, extra_manifest_lines={"manifest-sha256.txt": [line]})
    assert_named(cli, bag, "unsafe", "path-traversal")


def test_traversal_into_the_tag_files(cli, tmp_path):
    line = f"{sha256(b'')}  data/../bagit.txt".encode()
    bag = write_bag(tmp_path / "bag", GOOD, extra_manifest_lines={"manifest-sha256.txt": [line]})
    assert_named(cli, bag, "unsafe", "path-traversal")


def test_absolute_path(cli, tmp_path):
    outside = fifo(tmp_path / "outside")
    line = f"{sha256(b'')}  {outside}".encode()
    bag = write_bag(tmp_path / "bag", GOOD, extra_manifest_lines={"manifest-sha256.txt": [line]})
    assert_named(cli, bag, "unsafe", "absolute-path", str(outside))


@pytest.mark.parametrize("path", ["~/x.txt", "~root/x.txt"])
def test_home_paths(cli, tmp_path, path):
    line = f"{sha256(b'')}  {path}".encode()
    bag = write_bag(tmp_path / "bag", GOOD, extra_manifest_lines={"manifest-sha256.txt": [line]})
    assert_named(cli, bag, "unsafe", "home-path", path)


def test_home_path_in_fetch_txt(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", GOOD)
    (bag / "fetch.txt").write_text("https://example.org/x - ~/x.txt\n")
    assert_named(cli, bag, "unsafe", "home-path", "~/x.txt")


def test_symlink_to_a_file_outside(cli, tmp_path):
    outside = fifo(tmp_path / "outside-fifo")
    bag = write_bag(tmp_path / "bag", GOOD)
    (bag / "data" / "link.txt").symlink_to(outside)
    for manifest in bag.glob("manifest-*.txt"):
        alg = manifest.name[len("manifest-"):-4]
        with manifest.open("ab") as handle:
            handle.write(f"{hashlib.new(alg, b'').hexdigest()}  data/link.txt\n".encode())
    assert_named(cli, bag, "unsafe", "symlink-outside", "data/link.txt")


def test_symlink_to_a_folder_outside(cli, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    fifo(outside / "pipe")
    (outside / "secret.txt").write_text("secret")
    bag = write_bag(tmp_path / "bag", GOOD)
    (bag / "data" / "dir").symlink_to(outside, target_is_directory=True)
    report = assert_named(cli, bag, "unsafe", "symlink-outside", "data/dir")
    assert not any("secret" in e["path"] or "pipe" in e["path"] for e in report["errors"])


def test_symlinked_tag_file(cli, tmp_path):
    outside = fifo(tmp_path / "outside-fifo")
    bag = write_bag(tmp_path / "bag", GOOD, tagmanifests=False)
    (bag / "bag-info.txt").unlink()
    (bag / "bag-info.txt").symlink_to(outside)
    assert_named(cli, bag, "unsafe", "symlink-outside", "bag-info.txt")


def test_nul_in_a_manifest_path(cli, tmp_path):
    line = f"{sha256(b'')}  data/a.txt".encode() + b"\x00../../etc/passwd"
    bag = write_bag(tmp_path / "bag", GOOD, extra_manifest_lines={"manifest-sha256.txt": [line]})
    assert_named(cli, bag, "unsafe", "nul-in-path")


@pytest.mark.parametrize("char", ["\n", "\r"])
def test_cr_or_lf_in_a_file_name_written_raw(cli, tmp_path, char):
    """A naive tool writes the name raw, which splits the manifest line in two."""
    name = f"data/bad{char}name.txt"
    bag = write_bag(tmp_path / "bag", {**GOOD, name: b"x"})
    status, report = run_json(cli, bag)
    assert status == 1
    found = codes(report)
    assert ("invalid", "malformed-manifest", "manifest-sha256.txt") in found
    assert ("untracked", "untracked", name) in found
    assert ("missing", "missing", "data/bad") in found


def test_lf_in_a_name_percent_encoded_is_accepted_with_a_warning(cli, tmp_path):
    name = "data/odd\nname.txt"
    bag = write_bag(tmp_path / "bag", {**GOOD, name: b"x"}, tagmanifests=False)
    for manifest in bag.glob("manifest-*.txt"):
        manifest.write_bytes(manifest.read_bytes().replace(b"odd\nname", b"odd%0Aname"))
    status, report = run_json(cli, bag)
    assert status == 0 and report["outcome"] == "warning", report
    assert any(w["code"] == "control-character-in-path" for w in report["warnings"])


def test_text_output_never_prints_raw_control_characters(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", {**GOOD, "data/x\x1b[2Jy.txt": b"x"})
    for manifest in bag.glob("manifest-*.txt"):
        manifest.write_bytes(b"".join(line + b"\n" for line in manifest.read_bytes().splitlines()
                                      if b"\x1b" not in line))
    result = cli("validate-bag", bag)
    assert result.code == 1
    assert "\x1b" not in result.out and "\\x1b" in result.out


@pytest.mark.parametrize("line", [b"not-hex  data/a.txt", b"abcdef", b"abcd  data/a.txt",
                                  b"  data/a.txt"])
def test_malformed_manifest_lines(cli, tmp_path, line):
    bag = write_bag(tmp_path / "bag", GOOD, extra_manifest_lines={"manifest-sha256.txt": [line]})
    assert_named(cli, bag, "invalid", "malformed-manifest", "manifest-sha256.txt")


@pytest.mark.parametrize("oxum", ["12", "abc.def", "1.2.3", "-1.1", "6.1 extra"])
def test_malformed_payload_oxum(cli, tmp_path, oxum):
    bag = write_bag(tmp_path / "bag", GOOD, oxum=oxum)
    assert_named(cli, bag, "invalid", "malformed-oxum", "bag-info.txt")


def test_duplicate_entries_with_different_digests(cli, tmp_path):
    line = f"{sha256(b'other')}  data/a.txt".encode()
    bag = write_bag(tmp_path / "bag", GOOD, extra_manifest_lines={"manifest-sha256.txt": [line]})
    assert_named(cli, bag, "invalid", "conflicting-entries", "data/a.txt")


def test_bom_in_bagit_txt(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", GOOD, tagmanifests=False)
    (bag / "bagit.txt").write_bytes(b"\xef\xbb\xbf" + (bag / "bagit.txt").read_bytes())
    assert_named(cli, bag, "invalid", "bom-in-bagit-txt", "bagit.txt")


def test_bom_in_a_utf8_manifest(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", GOOD, tagmanifests=False)
    manifest = bag / "manifest-sha256.txt"
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes())
    assert_named(cli, bag, "invalid", "bom", "manifest-sha256.txt")


HUGE_TAG_FILE = MAX_MANIFEST + (64 << 20)
assert HUGE_TAG_FILE > 200 << 20

_PEAK_OF_ONE_RUN = (
    "import json, resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
    "print(json.dumps({'code': done.returncode, 'out': done.stdout, 'err': done.stderr, "
    "'peak_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
)


def _validate_with_peak_rss(bag: Path) -> tuple[Result, float]:
    """One ``archive validate-bag --json`` run: its result and its peak memory in MB.

    It runs in a fresh parent whose only child that run is: this test process's own
    RUSAGE_CHILDREN keeps the peak of every child any earlier test in the same worker reaped.
    The report and the peak come from the same run, so the 320 MiB file is read once, not twice.
    """
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    env.pop("ARCHIVE_ROOT", None)
    done = subprocess.run([sys.executable, "-c", _PEAK_OF_ONE_RUN, str(ARCHIVE_BIN), "validate-bag",
                           "--json", str(bag)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    result = Result(subprocess.CompletedProcess(["archive", "validate-bag"], run["code"],
                                                run["out"].encode(), run["err"].encode()))
    return result, run["peak_kb"] / 1024


@pytest.mark.slow
@pytest.mark.parametrize("tag_file", ["bag-info.txt", "manifest-sha256.txt", "notes.txt"])
def test_a_huge_tag_file_without_memory_blow_up(tmp_path, tag_file):
    """A tag file over every limit (the largest, a manifest's, by 64 MiB) and over the 200 MB the
    run may use, so reading it whole would fail the memory bound. (It was 1 GiB: the same proof,
    hashed three times over.)"""
    bag = write_bag(tmp_path / "bag", GOOD, tagmanifests=False)
    with (bag / tag_file).open("wb") as handle:  # sparse: 320 MiB on paper, nothing on disk
        handle.truncate(HUGE_TAG_FILE)
    # List it in a tag manifest with a wrong digest, so it is also read and hashed in full.
    (bag / "tagmanifest-sha256.txt").write_text(f"{sha256(b'')}  {tag_file}\n")
    result, peak_mb = _validate_with_peak_rss(bag)
    assert "Traceback" not in result.out + result.err, result
    report = json.loads(result.out)
    assert result.code == 1, result
    expected = {"bag-info.txt": ("invalid", "tag-file-too-large"),
                "manifest-sha256.txt": ("invalid", "tag-file-too-large"),
                "notes.txt": ("changed", "changed")}[tag_file]
    assert (*expected, tag_file) in codes(report), report
    assert peak_mb < 200, f"peak memory {peak_mb:.0f} MB"


def test_a_manifest_naming_a_folder(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", GOOD)
    (bag / "data" / "sub").mkdir()
    line = f"{sha256(b'')}  data/sub".encode()
    manifest = bag / "manifest-sha256.txt"
    manifest.write_bytes(manifest.read_bytes() + line + b"\n")
    assert_named(cli, bag, "unreadable", "names-folder", "data/sub")


def test_a_fifo_in_data(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", GOOD)
    fifo(bag / "data" / "pipe")
    assert_named(cli, bag, "unsafe", "special-file", "data/pipe")


def test_a_fifo_listed_in_the_manifest(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", {**GOOD, "data/pipe": b""})
    (bag / "data" / "pipe").unlink()
    fifo(bag / "data" / "pipe")
    assert_named(cli, bag, "unsafe", "special-file", "data/pipe")


def test_a_fifo_as_bagit_txt(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", GOOD, tagmanifests=False)
    (bag / "bagit.txt").unlink()
    fifo(bag / "bagit.txt")
    assert_named(cli, bag, "unsafe", "special-file", "bagit.txt")


def test_unreadable_payload_file_is_named(cli, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    bag = write_bag(tmp_path / "bag", GOOD)
    (bag / "data" / "a.txt").chmod(0)
    try:
        assert_named(cli, bag, "unreadable", "unreadable", "data/a.txt")
    finally:
        (bag / "data" / "a.txt").chmod(0o644)


_NOT_TEXT = ["rot13", "hex", "zlib", "bz2", "base64", "uu", "quopri", "punycode", "idna", "undefined",
             "unicode_escape", "UTF\x00-8", "utf-8\x00", "\x00"]


@pytest.mark.parametrize("encoding", sorted(set(encodings.aliases.aliases.values())) + _NOT_TEXT)
def test_any_declared_tag_file_encoding_is_judged_never_crashes(tmp_path, encoding):
    """A bit flip turned bagit.txt's encoding name into one holding a NUL, and validating the bag
    crashed (ValueError from codecs.lookup). Whatever name bagit.txt declares, the bag is judged:
    valid, or invalid with the problem named, never an exception."""
    bag = write_bag(tmp_path / "bag", GOOD)
    (bag / "bagit.txt").write_bytes(
        f"BagIt-Version: 1.0\nTag-File-Character-Encoding: {encoding}\n".encode())
    result = validate_bag(bag)
    if encoding in _NOT_TEXT:
        assert not result.valid
        assert any(p.code == "unknown-encoding" for p in result.problems), result.problems
