"""Issue 9, fixity: no shortcut makes the archive claim more integrity than it has.

Only a full check clears a failure and resets a bag's due date; the working copies in sources/ are
checked too; leftovers, missing tag manifests, unlisted tag files and unlisted fetch entries are
named; a read-only catalogue is still checked; bad option values are usage errors; the report
cannot overwrite the archive's own files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import ARCHIVE_BIN, REPO, only_bag, snapshot_tree, stored_record

from archive.layout import open_archive

HTML = REPO / "tests" / "fixtures" / "html" / "opengraph.html"
DAY = 86400
T0 = 1_800_000_000


def at(epoch: int) -> dict[str, str]:
    return {"SOURCE_DATE_EPOCH": str(epoch)}


def record_of(cli, root: Path, record_id: str) -> dict:
    """The stored record, read through the library (set-up for the test, not what it checks)."""
    return stored_record(root, record_id)


def ids_of(root: Path) -> list[str]:
    """The archive's record ids, read through the library (set-up, not what is tested)."""
    return open_archive(root).store.ids()


def rows_of(cli, root: Path) -> dict[str, dict]:
    return {row["id"]: row for row in json.loads(cli("--root", root, "list", "--json").out)}


def verify_json(cli, root: Path, *args, env: dict | None = None) -> tuple[int, dict]:
    result = cli("--root", root, "verify", "--json", *args, env=env)
    assert "Traceback" not in result.err and "unexpected" not in result.err, result
    return result.code, json.loads(result.out)


def flip_same_size(path: Path) -> bytes:
    """Change one byte of ``path`` without changing its size; returns the original bytes."""
    original = path.read_bytes()
    path.write_bytes(original.replace(b"e", b"E", 1))
    assert path.read_bytes() != original and path.stat().st_size == len(original)
    return original


def source_file(root: Path, record: dict) -> Path:
    return root / "sources" / record["id"] / record["source"]["filename"]


# ----- 1. only a full check clears a failure; fast results are shown as fast --------------------
def test_a_fast_check_does_not_clear_a_failed_full_check(cli, bagged_root):
    bag = only_bag(bagged_root)
    record_id = bag.parent.name
    bib = bag / "data/metadata/citation.bib"
    original = flip_same_size(bib)
    assert cli("--root", bagged_root, "verify", env=at(T0)).code == 1
    assert rows_of(cli, bagged_root)[record_id]["fixity_outcome"] == "failure"

    fast = cli("--root", bagged_root, "verify", "--fast", env=at(T0 + DAY))
    assert fast.code == 1, fast
    assert "last full check failed" in fast.out and "PROBLEMS FOUND" in fast.out
    listed = cli("--root", bagged_root, "list")
    assert "FAIL" in listed.out and " ok " not in listed.out, listed
    fixity = record_of(cli, bagged_root, record_id)["bags"][0]["last_fixity"]
    assert fixity["outcome"] == "failure" and fixity["fast"] is False, fixity

    bib.write_bytes(original)  # repaired: a fast check still cannot clear it, a full check does
    assert cli("--root", bagged_root, "verify", "--fast", env=at(T0 + 2 * DAY)).code == 1
    assert cli("--root", bagged_root, "verify", env=at(T0 + 3 * DAY)).code == 0
    assert rows_of(cli, bagged_root)[record_id]["fixity_outcome"] == "success"


def test_fast_results_are_marked_fast_in_list_and_json(cli, bagged_root):
    record_id = only_bag(bagged_root).parent.name
    assert cli("--root", bagged_root, "verify", env=at(T0)).code == 0
    assert cli("--root", bagged_root, "verify", "--fast", env=at(T0 + DAY)).code == 0
    row = rows_of(cli, bagged_root)[record_id]
    assert row["fixity_mode"] == "fast" and row["fixity_at"].startswith("2027-01-16")
    assert row["fixity_full_at"].startswith("2027-01-15"), row
    assert "ok fast 2027-01-16" in cli("--root", bagged_root, "list").out
    assert cli("--root", bagged_root, "verify", env=at(T0 + 2 * DAY)).code == 0
    row = rows_of(cli, bagged_root)[record_id]
    assert row["fixity_mode"] == "full" and row["fixity_full_at"] == row["fixity_at"]
    listed = cli("--root", bagged_root, "list").out
    assert "ok 2027-01-17" in listed and "fast" not in listed


def test_a_failure_found_by_a_fast_check_also_stands_until_a_full_check(cli, bagged_root):
    bag = only_bag(bagged_root)
    ris = bag / "data/metadata/citation.ris"
    kept = ris.read_bytes()
    ris.unlink()
    assert cli("--root", bagged_root, "verify", "--fast", env=at(T0)).code == 1
    ris.write_bytes(kept)
    again = cli("--root", bagged_root, "verify", "--fast", env=at(T0 + DAY))
    assert again.code == 1 and "the fast check of 2027-01-15 failed" in again.out, again
    assert "FAIL fast 2027-01-15" in cli("--root", bagged_root, "list").out
    assert cli("--root", bagged_root, "verify", env=at(T0 + 2 * DAY)).code == 0


def test_the_fixity_state_rule():
    from archive.fixity.state import full_check_at, next_fixity

    full_fail = next_fixity(None, "failure", False, "2027-01-01T00:00:00Z")
    assert full_fail == {"at": "2027-01-01T00:00:00Z", "outcome": "failure", "fast": False,
                         "full_at": "2027-01-01T00:00:00Z"}
    for outcome in ("success", "warning"):  # a fast check finding nothing keeps the failure
        assert next_fixity(full_fail, outcome, True, "2027-01-02T00:00:00Z") == full_fail
    fast_fail = next_fixity(full_fail, "failure", True, "2027-01-02T00:00:00Z")
    assert fast_fail["at"].startswith("2027-01-02") and full_check_at(fast_fail).startswith("2027-01-01")
    cleared = next_fixity(fast_fail, "success", False, "2027-01-03T00:00:00Z")
    assert cleared["outcome"] == "success" and cleared["full_at"] == cleared["at"]
    fast_ok = next_fixity(cleared, "success", True, "2027-01-04T00:00:00Z")
    assert fast_ok["fast"] and fast_ok["full_at"] == cleared["at"]  # the due date does not move
    assert full_check_at({"at": "2020-01-01T00:00:00Z", "outcome": "success", "fast": True}) == ""
    assert full_check_at({"at": "2020-01-01T00:00:00Z", "outcome": "success"}) == "2020-01-01T00:00:00Z"


# ----- 2. only full checks reset a bag's due date -----------------------------------------------
def test_a_nightly_fast_audit_never_stops_full_audits_coming_due(cli, three_bagged):
    assert cli("--root", three_bagged, "audit", env=at(T0)).code == 0  # all three, full
    assert cli("--root", three_bagged, "audit", "--fast", env=at(T0 + DAY)).code == 0
    result = cli("--root", three_bagged, "audit", "--older-than", "36h", "--json", env=at(T0 + 2 * DAY))
    assert json.loads(result.out)["totals"]["checked"] == 3, result


def test_audit_takes_the_oldest_full_check_first(cli, three_bagged):
    first, second, third = sorted(ids_of(three_bagged))
    assert cli("--root", three_bagged, "verify", first, env=at(T0)).code == 0
    assert cli("--root", three_bagged, "verify", second, third, env=at(T0 + DAY)).code == 0
    assert cli("--root", three_bagged, "verify", "--fast", first, env=at(T0 + 2 * DAY)).code == 0
    result = cli("--root", three_bagged, "audit", "--limit", "1", "--json", env=at(T0 + 3 * DAY))
    assert [b["record_id"] for b in json.loads(result.out)["bags"]] == [first], result


# ----- 3. the working copies in sources/ are checked --------------------------------------------
def test_appending_to_a_working_copy_fails_verify_and_names_it(cli, bagged_root):
    record_id = only_bag(bagged_root).parent.name
    source = source_file(bagged_root, record_of(cli, bagged_root, record_id))
    with open(source, "ab") as handle:
        handle.write(b"tampered\n")
    code, report = verify_json(cli, bagged_root)
    assert code == 1 and report["ok"] is False
    rel = f"sources/{record_id}/{source.name}"
    found = {(f["kind"], f["path"]) for s in report["sources"] for f in s["failures"]}
    assert ("changed", rel) in found, report["sources"]
    text = cli("--root", bagged_root, "verify")
    assert text.code == 1 and rel in text.out and "PROBLEMS FOUND" in text.out
    fast = cli("--root", bagged_root, "verify", "--fast")
    assert fast.code == 1 and rel in fast.out  # the size differs


def test_a_same_size_change_to_a_working_copy_of_an_unbagged_record_is_found(cli, seeded_root):
    (record_id,) = ids_of(seeded_root)
    source = source_file(seeded_root, record_of(cli, seeded_root, record_id))
    flip_same_size(source)
    code, report = verify_json(cli, seeded_root)
    assert code == 1
    assert [(f["kind"], f["path"]) for s in report["sources"] for f in s["failures"]] == [
        ("changed", f"sources/{record_id}/{source.name}")]
    assert cli("--root", seeded_root, "verify", "--fast").code == 0  # same size: fast cannot see it


def test_a_deleted_working_copy_is_missing(cli, bagged_root):
    record_id = only_bag(bagged_root).parent.name
    source = source_file(bagged_root, record_of(cli, bagged_root, record_id))
    source.unlink()
    for mode in ((), ("--fast",)):
        code, report = verify_json(cli, bagged_root, *mode)
        assert code == 1
        found = {(f["kind"], f["path"]) for s in report["sources"] for f in s["failures"]}
        assert ("missing", f"sources/{record_id}/{source.name}") in found


def test_a_changed_extracted_text_is_found_against_the_bag_manifest(cli, archive_root):
    assert cli("--root", archive_root, "add", HTML).code == 0
    assert cli("--root", archive_root, "bag", "--all").code == 0
    (record_id,) = ids_of(archive_root)
    record = record_of(cli, archive_root, record_id)
    text = archive_root / "sources" / record_id / record["source"]["text_filename"]
    flip_same_size(text)
    code, report = verify_json(cli, archive_root)
    assert code == 1
    found = {(f["kind"], f["path"]) for s in report["sources"] for f in s["failures"]}
    assert found == {("changed", f"sources/{record_id}/{text.name}")}, report["sources"]


def test_show_text_refuses_a_tampered_working_copy(cli, seeded_root):
    (record_id,) = ids_of(seeded_root)
    source = source_file(seeded_root, record_of(cli, seeded_root, record_id))
    with open(source, "ab") as handle:
        handle.write(b"INJECTED LINE\n")
    result = cli("--root", seeded_root, "show", record_id, "--text")
    assert result.code == 1 and "INJECTED" not in result.out, result
    assert result.err.startswith("archive: error: ") and result.err.count("\n") == 1
    assert f"sources/{record_id}/{source.name}" in result.err and "--force" in result.err
    forced = cli("--root", seeded_root, "show", record_id, "--text", "--force")
    assert forced.code == 0 and "INJECTED LINE" in forced.out
    assert forced.err.startswith("archive: warning: ") and "does not match" in forced.err


def test_show_text_of_a_deleted_working_copy_is_a_one_line_error(cli, seeded_root):
    (record_id,) = ids_of(seeded_root)
    source = source_file(seeded_root, record_of(cli, seeded_root, record_id))
    source.unlink()
    result = cli("--root", seeded_root, "show", record_id, "--text")
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("archive: error: ") and result.err.count("\n") == 1, result
    assert "unexpected" not in result.err and source.name in result.err


def test_show_text_of_an_intact_working_copy_is_byte_for_byte(cli, seeded_root):
    (record_id,) = ids_of(seeded_root)
    source = source_file(seeded_root, record_of(cli, seeded_root, record_id))
    result = subprocess.run([str(ARCHIVE_BIN), "--root", str(seeded_root), "show", record_id, "--text"],
                            capture_output=True, timeout=60, env={**os.environ, "ARCHIVE_NO_PROGRESS": "1"})
    assert result.returncode == 0 and result.stdout == source.read_bytes() and result.stderr == b""


# ----- 4. leftovers in sources/ ----------------------------------------------------------------
def test_verify_names_leftover_source_folders_and_partial_files(cli, bagged_root):
    record_id = only_bag(bagged_root).parent.name
    stray = bagged_root / "sources" / "ART-2099-000042"
    stray.mkdir()
    (stray / "left.txt").write_text("left behind")
    partial = bagged_root / "sources" / record_id / "copy.txt.partial"
    partial.write_text("half")
    code, report = verify_json(cli, bagged_root)
    assert code == 0, report  # leftovers are warnings
    assert sorted(report["leftovers"]) == sorted(["sources/ART-2099-000042",
                                                  f"sources/{record_id}/copy.txt.partial"])
    text = cli("--root", bagged_root, "verify")
    assert text.code == 0
    assert "LEFTOVER sources/ART-2099-000042" in text.out
    assert f"LEFTOVER sources/{record_id}/copy.txt.partial" in text.out


# ----- 5. tag manifests, unlisted tag files, fetch.txt -----------------------------------------
def test_a_deleted_sha256_tag_manifest_is_named_missing(cli, bagged_root):
    bag = only_bag(bagged_root)
    (bag / "tagmanifest-sha256.txt").unlink()
    code, report = verify_json(cli, bagged_root)
    assert code == 1
    found = {(f["kind"], f["path"]) for b in report["bags"] for f in b["failures"]}
    assert ("missing", "tagmanifest-sha256.txt") in found, found
    assert not any(path == "tagmanifest-sha512.txt" for _, path in found), found
    result = cli("validate-bag", "--json", bag)  # valid BagIt (tag manifests are optional), but named
    assert result.code == 0
    assert ("missing-tag-manifest", "tagmanifest-sha256.txt") in {
        (w["code"], w["path"]) for w in json.loads(result.out)["warnings"]}


def test_an_unlisted_file_in_the_bag_root_is_a_warning(cli, bagged_root):
    bag = only_bag(bagged_root)
    (bag / "notes.txt").write_text("slipped in beside the tag files")
    code, report = verify_json(cli, bagged_root)
    assert code == 0
    warned = {(w["code"], w["path"]) for b in report["bags"] for w in b["warnings"]}
    assert ("unlisted-tag-file", "notes.txt") in warned, report["bags"]
    result = cli("validate-bag", "--json", bag)
    assert result.code == 0
    assert ("unlisted-tag-file", "notes.txt") in {(w["code"], w["path"])
                                                  for w in json.loads(result.out)["warnings"]}


def _bag_with_fetch(root: Path, fetch: bytes) -> Path:
    files = {"data/a.txt": b"alpha\n"}
    (root / "data").mkdir(parents=True)
    (root / "data/a.txt").write_bytes(files["data/a.txt"])
    (root / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (root / "bag-info.txt").write_bytes(b"Payload-Oxum: 6.1\n")
    (root / "fetch.txt").write_bytes(fetch)
    for alg in ("sha256", "sha512"):
        (root / f"manifest-{alg}.txt").write_text(f"{hashlib.new(alg, b'alpha' + bytes([10])).hexdigest()}"
                                                  "  data/a.txt\n")
    return root


def test_validate_bag_refuses_a_fetch_entry_no_manifest_lists(cli, tmp_path):
    bag = _bag_with_fetch(tmp_path / "bag", b"https://example.org/b.txt 5 data/b.txt\n")
    result = cli("validate-bag", "--json", bag)
    report = json.loads(result.out)
    assert result.code == 1 and report["outcome"] == "failure", report
    assert ("invalid", "fetch-not-in-manifest", "data/b.txt") in {
        (e["kind"], e["code"], e["path"]) for e in report["errors"]}
    text = cli("validate-bag", bag)
    assert "fetch.txt line 1" in text.out and "data/b.txt" in text.out


# ----- 6. a catalogue that cannot be written -----------------------------------------------------
def _read_only_run(root: Path, *args: str) -> subprocess.CompletedProcess:
    """``archive ARGS`` in a private mount namespace where catalog/ is a read-only bind mount.

    Tests run as root, where chmod does not stop writes; a read-only mount does (EROFS).
    """
    catalog = root / "catalog"
    script = ('mount --make-rprivate / 2>/dev/null; mount --bind "$1" "$1" && '
              'mount -o remount,bind,ro "$1" "$1" || exit 97; shift; exec "$@"')
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(catalog), str(ARCHIVE_BIN),
                           "--root", str(root), *args], capture_output=True, timeout=120,
                          env={**os.environ, "ARCHIVE_NO_PROGRESS": "1"})


def _require_read_only_mounts(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.mkdir()
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    check = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind "$1" "$1" && '
                            'mount -o remount,bind,ro "$1" "$1" && ! touch "$1/x" 2>/dev/null',
                            "sh", str(probe)], capture_output=True, timeout=30)
    if check.returncode != 0:
        pytest.skip("cannot make a read-only bind mount here (needs root in a mount namespace)")


def test_verify_on_a_read_only_catalogue_still_checks_and_says_nothing_was_recorded(cli, bagged_root,
                                                                                  tmp_path):
    _require_read_only_mounts(tmp_path)
    before = snapshot_tree(bagged_root / "catalog")
    result = _read_only_run(bagged_root, "verify")
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, (out, err)
    assert out.startswith("all well: 1 of 1 bags checked")
    assert err.startswith("archive: warning: ") and "could not be recorded" in err and "unexpected" not in err
    flip_same_size(only_bag(bagged_root) / "data/metadata/citation.bib")
    damaged = _read_only_run(bagged_root, "verify", "--json")
    assert damaged.returncode == 1, damaged
    report = json.loads(damaged.stdout)
    assert report["ok"] is False and report["recorded"] is False and report["unrecorded"]
    assert snapshot_tree(bagged_root / "catalog") == before


def test_a_stale_index_on_a_read_only_catalogue_is_read_from_the_shards(cli, bagged_root, tmp_path):
    """The summary index is a cache: when it must be rebuilt and catalog/ cannot be written, the
    commands still read the shards and say nothing unexpected (it exited 70 on EROFS)."""
    _require_read_only_mounts(tmp_path)
    listed = cli("--root", bagged_root, "list")
    assert listed.code == 0 and listed.out.strip()
    for index_file in (bagged_root / "catalog" / "index").iterdir():
        index_file.unlink()
    before = snapshot_tree(bagged_root / "catalog")
    result = _read_only_run(bagged_root, "list")
    out, err = result.stdout.decode(), result.stderr.decode()
    assert (result.returncode, out, err) == (0, listed.out, ""), (out, err)
    assert snapshot_tree(bagged_root / "catalog") == before


def test_verify_records_nothing_when_the_store_cannot_be_written(bagged_root, monkeypatch):
    """The library path: a write that fails with EROFS leaves a report that says so."""
    import errno

    from archive.fixity.verify import verify_archive
    from archive.layout import open_archive

    arc = open_archive(bagged_root)

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(arc.store, "transaction", refuse)
    report = verify_archive(arc, jobs=1)
    assert report.ok and report.totals()["checked"] == 1
    assert "Read-only file system" in report.unrecorded


# ----- 7. usage errors exit 2 -------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("audit", "--older-than", "99999999999d"),
    ("audit", "--older-than", "3x"),
    ("audit", "--budget", "soon"),
    ("audit", "--budget", "99999999999w"),
    ("audit", "--limit", "0"),
    ("audit", "--jobs", "many"),
    ("verify", "not-an-id"),
])
def test_bad_option_values_are_usage_errors(cli, bagged_root, args):
    before = snapshot_tree(bagged_root)
    result = cli("--root", bagged_root, *args)
    assert result.code == 2, result
    lines = [line for line in result.err.splitlines() if line.startswith("archive") and "error" in line]
    assert lines and "unexpected" not in result.err and "Traceback" not in result.err, result
    assert snapshot_tree(bagged_root) == before


# ----- 8. the report never lands in the archive's own files ---------------------------------------
@pytest.mark.parametrize("command", ["verify", "audit"])
def test_report_inside_the_catalogue_is_refused(cli, bagged_root, command):
    before = snapshot_tree(bagged_root)
    target = bagged_root / "catalog" / "records" / "000000.json"
    result = cli("--root", bagged_root, command, "--report", target)
    assert result.code in (1, 2) and result.err.startswith("archive: error: "), result
    assert "catalog/" in result.err and result.err.count("\n") == 1
    assert snapshot_tree(bagged_root) == before
    assert cli("--root", bagged_root, "list").code == 0
