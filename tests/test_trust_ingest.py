"""Issue 9, ingest: nothing in a bag made elsewhere can write outside the archive, refused input
leaves the archive byte-identical, and what ingest records is what the bag really holds.

Each test drives the CLI as a user would, on real bags built by ``archive bag`` and then altered
the way a hostile or careless sender would (with the manifests rewritten so the bag is still valid
BagIt: the archive must not rely on the manifests to stop a bad name).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import resource
import shutil
import signal
import tarfile
import zipfile
from pathlib import Path

import pytest
from helpers import SEED, made_archive, snapshot_tree

from archive.errors import ValidationError
from archive.untrusted import record_from_outside

FIXTURES = Path(__file__).parent / "fixtures"
RECORD_JSON = "data/metadata/record.json"


# --- building bags ----------------------------------------------------------------------------


def rebag(bag: Path) -> None:
    """Rewrite manifests, Payload-Oxum and tag manifests so an edited bag is valid BagIt again."""
    payload = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    for algorithm in ("sha256", "sha512"):
        (bag / f"manifest-{algorithm}.txt").write_text("".join(
            f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bag).as_posix()}\n"
            for p in payload), encoding="utf-8")
    info = bag / "bag-info.txt"
    oxum = f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"
    lines = [f"Payload-Oxum: {oxum}" if ln.startswith("Payload-Oxum:") else ln
             for ln in info.read_text(encoding="utf-8").splitlines()]
    info.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tags = ["bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    for algorithm in ("sha256", "sha512"):
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(
            f"{hashlib.new(algorithm, (bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tags),
            encoding="utf-8")


def read_record(bag: Path) -> dict:
    return json.loads((bag / RECORD_JSON).read_text(encoding="utf-8"))


def write_record(bag: Path, record: dict) -> None:
    (bag / RECORD_JSON).write_text(json.dumps(record, indent=2), encoding="utf-8")
    rebag(bag)


@pytest.fixture(scope="module")
def good_bag(tmp_path_factory) -> Path:
    """A bag of the seed article as ``archive bag`` writes it (ART-….-000001), never changed."""
    from helpers import RECORDS, run_cli

    base = tmp_path_factory.mktemp("good")
    root = base / "arc"
    assert run_cli("init", root, "--org", "Sender", "--contact-name", "Ada",
                   "--contact-email", "ada@example.org").returncode == 0
    assert run_cli("--root", root, "import", RECORDS).returncode == 0
    assert run_cli("--root", root, "bag", "--all").returncode == 0
    (bag,) = (root / "bags").glob("*/v1")
    return bag


@pytest.fixture
def bag(good_bag: Path, tmp_path: Path) -> Path:
    """A writable copy of the good bag, in a folder of its own."""
    target = tmp_path / "incoming" / "bag"
    shutil.copytree(good_bag, target)
    return target


def _init_receiver(root: Path, cli) -> None:
    assert cli("init", root, "--org", "Receiver", "--contact-name", "Bo",
               "--contact-email", "bo@example.org").code == 0


def _holding_one(root: Path, cli) -> None:
    _init_receiver(root, cli)
    other = root.parent / "other.txt"
    other.write_text("A different article, already held by the receiving archive.\n", encoding="utf-8")
    assert cli("--root", root, "add", other, "--title", "Held").code == 0


def fresh(cli, tmp_path: Path, name: str = "dest") -> Path:
    """An empty receiving archive (a copy of one ``archive init`` made once per worker)."""
    return made_archive(tmp_path / name, "trust-ingest.receiver", _init_receiver)


def holding_one(cli, tmp_path: Path) -> Path:
    """A receiving archive that already holds a record, so catalog/records/000000.json exists."""
    root = made_archive(tmp_path / "dest", "trust-ingest.holding-one", _holding_one)
    assert (root / "catalog" / "records" / "000000.json").is_file()
    return root


def tar_of(folder: Path, out: Path, top: str = "bag", mode: str = "w") -> Path:
    with tarfile.open(out, mode) as tar:
        tar.add(folder, arcname=top)
    return out


def assert_refused(cli, root: Path, path: Path, *needles: str) -> str:
    """Exit 1, one clear reason naming the problem, no traceback, the archive byte-identical."""
    before = snapshot_tree(root)
    result = cli("--root", root, "ingest", path)
    assert result.code == 1, result
    assert "Traceback" not in result.err and "unexpected" not in result.err, result
    for needle in needles:
        assert needle in result.err, result.err
    assert snapshot_tree(root) == before
    assert not any((root / "staging").iterdir())
    return result.err


# --- bullet 1: names from record.json never become paths outside sources/<id>/ ---------------


HOSTILE_NAMES = ["../../catalog/records/000000.json", "../../../escaped.txt", "/ABSOLUTE/abs.txt",
                 ".hidden.txt"]
"""More (``..``, folders, U+2028, bidi controls, very long) in the record_from_outside tests below
and in the Hypothesis tests, which run in-process."""


def _hostile(name: str, tmp_path: Path) -> str:
    return name.replace("/ABSOLUTE", str(tmp_path / "abs"))


@pytest.mark.parametrize("field", ["filename", "text_filename"])
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_source_names_in_record_json_are_refused(cli, tmp_path, bag, field, name):
    """The bag's payload holds a file under the name the hostile name reduces to, listed in every
    manifest, so only the record's name can stop it (old code wrote it through the path)."""
    from archive.bagit_format.paths import payload_name

    name = _hostile(name, tmp_path)
    (tmp_path / "abs").mkdir()
    record = read_record(bag)
    forged = b'{"_default": {}, "records": {}, "events": {}}'
    landing = bag / "data" / "source" / payload_name(name)
    if field == "filename":
        (bag / "data" / "source" / record["source"]["filename"]).rename(landing)
    else:
        landing.write_bytes(forged)
    record["source"][field] = name
    write_record(bag, record)
    root = holding_one(cli, tmp_path)
    outside = snapshot_tree(tmp_path / "abs")
    err = assert_refused(cli, root, bag, f"source.{field}")
    assert "not a plain file name" in err
    assert snapshot_tree(tmp_path / "abs") == outside == {}
    assert not (tmp_path / "escaped.txt").exists() and not (root.parent / "escaped.txt").exists()
    assert cli("--root", root, "list").code == 0


def test_text_filename_must_be_a_payload_file(cli, tmp_path, bag):
    record = read_record(bag)
    record["source"]["text_filename"] = "not-in-the-bag.txt"
    write_record(bag, record)
    assert_refused(cli, fresh(cli, tmp_path), bag, "text_filename", "not-in-the-bag.txt")


def test_text_filename_may_not_name_the_source_itself(cli, tmp_path, bag):
    record = read_record(bag)
    record["source"]["text_filename"] = record["source"]["filename"]
    write_record(bag, record)
    assert_refused(cli, fresh(cli, tmp_path), bag, "text_filename")


def test_an_html_record_with_extracted_text_round_trips(cli, tmp_path):
    """The extracted text is taken from the validated payload, byte for byte."""
    sender = fresh(cli, tmp_path, "sender")
    page = tmp_path / "page.html"
    shutil.copyfile(FIXTURES / "html" / "citation-meta.html", page)
    assert cli("--root", sender, "add", page).code == 0
    assert cli("--root", sender, "bag", "--all").code == 0
    (bag,) = (sender / "bags").glob("*/v1")
    record = read_record(bag)
    text_name = record["source"]["text_filename"]
    dest = fresh(cli, tmp_path)
    result = cli("--root", dest, "ingest", bag, "--json")
    assert result.code == 0, result
    record_id = json.loads(result.out)["id"]
    copied = dest / "sources" / record_id / text_name
    assert copied.read_bytes() == (bag / "data" / "source" / text_name).read_bytes()
    assert sorted(p.name for p in (dest / "sources" / record_id).iterdir()) == \
        sorted([record["source"]["filename"], text_name])
    assert cli("--root", dest, "verify").code == 0


# --- bullet 2: an id that maps to no shard ----------------------------------------------------


def test_id_with_sequence_zero_is_renumbered_and_listed(cli, tmp_path, bag):
    record = read_record(bag)
    record["id"] = "ART-2026-000000"
    write_record(bag, record)
    root = fresh(cli, tmp_path)
    result = cli("--root", root, "ingest", bag, "--json")
    assert result.code == 0, result
    new_id = json.loads(result.out)["id"]
    assert new_id != "ART-2026-000000"
    assert sorted(p.name for p in (root / "catalog" / "records").iterdir()) == ["000000.json"]
    listed = json.loads(cli("--root", root, "list", "--json").out)
    assert [r["id"] for r in listed] == [new_id]
    shown = cli("--root", root, "show", "ART-2026-000000")
    assert shown.code == 1 and "Traceback" not in shown.err
    assert cli("--root", root, "verify").code == 0


def test_a_renumbered_bag_verifies_and_shows_as_changed_since_its_bag(cli, tmp_path, good_bag):
    """The id is taken here, so the record gets the next number; the bag still names the old one,
    which verify must expect (not call it another record's bag)."""
    root = holding_one(cli, tmp_path)
    result = cli("--root", root, "ingest", good_bag, "--json")
    assert result.code == 0, result
    new_id = json.loads(result.out)["id"]
    assert new_id != read_record(good_bag)["id"]
    verified = cli("--root", root, "verify")
    assert verified.code == 0, verified
    record = json.loads(cli("--root", root, "show", new_id, "--json").out)
    assert read_record(good_bag)["id"] in record["provenance"]["notes"]
    listed = {r["id"]: r for r in json.loads(cli("--root", root, "list", "--json").out)}
    assert listed[new_id]["changed_since_bag"] is True


def test_sequence_zero_is_not_an_accession_number():
    from archive.errors import RecordNotFoundError
    from archive.ids import is_id, sequence_of

    assert not is_id("ART-2026-000000")
    assert is_id("ART-2026-000001")
    with pytest.raises(RecordNotFoundError):
        sequence_of("ART-2026-000000")


def test_a_kept_id_beyond_the_counter_is_never_handed_out_again(cli, tmp_path, bag):
    """A bag's id is kept when free. Its number lies in a shard beyond the counter's, so the
    counter must move past it: otherwise the 1,000th add would overwrite the ingested record."""
    record = read_record(bag)
    record["id"] = "ART-2026-001000"
    write_record(bag, record)
    root = holding_one(cli, tmp_path)
    assert cli("--root", root, "ingest", bag).code == 0
    article = tmp_path / "next.txt"
    article.write_text("The next article of the receiving archive.\n", encoding="utf-8")
    added = cli("--root", root, "add", article, "--title", "Next")
    assert added.code == 0, added
    assert int(added.out.strip().rsplit("-", 1)[1]) > 1000, added.out


# --- bullet 3: a bag of an edited record verifies after ingest --------------------------------


def test_a_bag_of_an_edited_record_verifies_after_ingest(cli, tmp_path, seeded_root):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    for n in range(3):
        assert cli("--root", seeded_root, "edit", record_id, "--set", f"section=Edit {n}").code == 0
    assert cli("--root", seeded_root, "bag", "--all").code == 0
    out = tmp_path / "out"
    assert cli("--root", seeded_root, "deposit", record_id, "--format", "tar", "--to", out).code == 0
    dest = fresh(cli, tmp_path)
    assert cli("--root", dest, "ingest", out / f"{record_id}_v1.tar").code == 0
    result = cli("--root", dest, "verify")
    assert result.code == 0, result
    assert "all well" in result.out
    shown = json.loads(cli("--root", dest, "show", record_id, "--json").out)
    assert shown["bags"][0]["record_revision"] == 4
    listed = json.loads(cli("--root", dest, "list", "--json").out)
    assert listed[0]["status"] == "bagged"
    assert "bagged 0, unchanged 1" in cli("--root", dest, "bag", "--all").out


# --- bullet 4: duplicate members, a file and a folder of one name ----------------------------


def _tar_members(path: Path, members: list[tuple[str, bytes | None]], base: Path | None = None) -> Path:
    with tarfile.open(path, "w") as tar:
        if base is not None:
            tar.add(base, arcname="bag")
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def _zip_members(path: Path, members: list[tuple[str, bytes | None]], base: Path | None = None) -> Path:
    import warnings

    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name: that is the point
        if base is not None:
            for file in sorted(base.rglob("*")):
                if file.is_file():
                    archive.write(file, "bag/" + file.relative_to(base).as_posix())
        for name, data in members:
            if data is None:
                archive.writestr(name if name.endswith("/") else name + "/", b"")
            else:
                archive.writestr(name, data)
    return path


CONFLICTS = {
    "duplicate": [("bag/data/extra.txt", b"one"), ("bag/data/extra.txt", b"two")],
    "duplicate-tag-file": [("bag/bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")],
    "file-then-folder": [("bag/data/x", b"file"), ("bag/data/x", None)],
    "folder-then-file": [("bag/data/x", None), ("bag/data/x", b"file")],
    "file-then-child": [("bag/data/x", b"file"), ("bag/data/x/y.txt", b"child")],
    "child-then-file": [("bag/data/x/y.txt", b"child"), ("bag/data/x", b"file")],
}
NAMED = {"duplicate": "bag/data/extra.txt", "duplicate-tag-file": "bag/bagit.txt"}


@pytest.mark.parametrize("kind", ["tar", "zip"])
@pytest.mark.parametrize("case", sorted(CONFLICTS))
def test_conflicting_members_are_refused_naming_the_member(cli, tmp_path, good_bag, kind, case):
    package = tmp_path / f"conflict.{kind}"
    (_tar_members if kind == "tar" else _zip_members)(package, CONFLICTS[case], good_bag)
    err = assert_refused(cli, fresh(cli, tmp_path), package, NAMED.get(case, "bag/data/x"))
    assert "twice" in err or "both a file and a folder" in err, err


# --- bullet 5: zips written by zipfile.writestr ----------------------------------------------


def test_a_zip_written_by_writestr_is_ingested(cli, tmp_path, good_bag):
    package = tmp_path / "writestr.zip"
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(good_bag.rglob("*")):
            if file.is_file():
                archive.writestr("bag/" + file.relative_to(good_bag).as_posix(), file.read_bytes())
    assert all(info.external_attr >> 16 & 0o170000 == 0 for info in zipfile.ZipFile(package).infolist())
    result = cli("--root", fresh(cli, tmp_path), "ingest", package)
    assert result.code == 0, result


@pytest.mark.parametrize("mode", [0o120777, 0o020644, 0o010644])
def test_a_zip_member_typed_as_link_device_or_fifo_is_still_refused(cli, tmp_path, good_bag, mode):
    package = tmp_path / "typed.zip"
    _zip_members(package, [], good_bag)
    with zipfile.ZipFile(package, "a") as archive:
        info = zipfile.ZipInfo("bag/data/special")
        info.create_system = 3
        info.external_attr = mode << 16
        archive.writestr(info, b"/etc/passwd")
    assert_refused(cli, fresh(cli, tmp_path), package, "bag/data/special")


# --- bullet 6: compressed tars have the zip's expansion limit --------------------------------


def _gz_tar_of_zeros(path: Path, sizes: list[int], good_bag: Path) -> Path:
    """A tar.gz holding a valid bag plus members of zeros, written without holding them in memory."""
    with gzip.open(path, "wb", compresslevel=9) as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        tar.add(good_bag, arcname="bag")
        for n, size in enumerate(sizes):
            info = tarfile.TarInfo(f"bag/data/zeros-{n}.bin")
            info.size = size

            class Zeros(io.RawIOBase):
                left = size

                def readable(self) -> bool:
                    return True

                def readinto(self, buffer):
                    count = min(len(buffer), self.left)
                    buffer[:count] = bytes(count)
                    self.left -= count
                    return count

            tar.addfile(info, io.BufferedReader(Zeros()))
    return path


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_tar_gz_bomb_is_refused_before_staging_holds_much(tmp_path, good_bag):
    """128 MiB of zeros in one member (~130 KB compressed). No file may grow past 16 MiB:
    RLIMIT_FSIZE makes the kernel refuse the write (EFBIG) if one does, which the old code hit."""
    import subprocess

    from helpers import ARCHIVE_BIN, run_cli

    bomb = _gz_tar_of_zeros(tmp_path / "bomb.tar.gz", [128 << 20], good_bag)
    assert bomb.stat().st_size < 1 << 20
    root = tmp_path / "dest"
    assert run_cli("init", root, "--org", "Receiver").returncode == 0
    before = snapshot_tree(root)
    proc = subprocess.run([str(ARCHIVE_BIN), "--root", str(root), "ingest", str(bomb)],
                          capture_output=True, timeout=120, preexec_fn=_limit_file_size(16 << 20),
                          env={**os.environ, "ARCHIVE_NO_PROGRESS": "1"})
    err = proc.stderr.decode()
    assert proc.returncode == 1, (proc.returncode, err)
    assert "bag/data/zeros-0.bin" in err and "expands" in err, err
    assert snapshot_tree(root) == before and not any((root / "staging").iterdir())


def test_many_small_members_trip_the_whole_stream_ratio(tmp_path, good_bag):
    """Members of 1 MiB each are under the per-member floor; the stream as a whole is not."""
    from archive.deposit.unpack import Limits, Refused, unpack

    bomb = _gz_tar_of_zeros(tmp_path / "many.tar.gz", [1 << 20] * 64, good_bag)
    staging = tmp_path / "staging"
    staging.mkdir()
    limits = Limits()
    with pytest.raises(Refused) as caught:
        unpack(bomb, staging, limits)
    assert any("the whole archive expands" in r for r in caught.value.reasons), caught.value.reasons
    held = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
    assert held <= limits.max_ratio * bomb.stat().st_size + (2 << 20)


def test_an_ordinary_tar_gz_is_still_accepted(cli, tmp_path, good_bag):
    package = tar_of(good_bag, tmp_path / "bag.tar.gz", mode="w:gz")
    assert cli("--root", fresh(cli, tmp_path), "ingest", package).code == 0


# --- bullet 7: leftovers of a killed ingest ---------------------------------------------------


def test_a_killed_ingest_leftovers_are_cleared_and_the_bag_taken_in(cli, tmp_path, good_bag):
    """A run killed after copying the source and renaming the bag in, but before its commit."""
    record = read_record(good_bag)
    record_id, name = record["id"], record["source"]["filename"]
    root = fresh(cli, tmp_path)
    leftover = root / "sources" / record_id
    leftover.mkdir(parents=True)
    (leftover / name).write_bytes(b"stale half-copied text")
    (leftover / f"{name}.partial").write_bytes(b"stale")
    stale_bag = root / "bags" / record_id / "v1"
    shutil.copytree(good_bag, stale_bag)
    (stale_bag / "data" / "source" / name).write_bytes(b"not what the new bag holds")
    result = cli("--root", root, "ingest", good_bag, "--json")
    assert result.code == 0, result
    assert json.loads(result.out)["id"] == record_id
    assert sorted(p.name for p in leftover.iterdir()) == [name]
    assert (leftover / name).read_bytes() == SEED.read_bytes()
    assert snapshot_tree(stale_bag) == snapshot_tree(good_bag)
    assert cli("--root", root, "verify").code == 0


def test_a_killed_ingest_is_retried_after_a_real_sigkill(cli, tmp_path, good_bag):
    """SIGKILL the CLI at the moment the bag is moved in (before the record is written)."""
    record_id = read_record(good_bag)["id"]
    root = fresh(cli, tmp_path)
    killed = cli("--root", root, "ingest", good_bag, env={"ARCHIVE_TEST_KILL_AT": "ingest-moved-in"})
    assert killed.code == -signal.SIGKILL, killed
    assert (root / "bags" / record_id / "v1").is_dir() and (root / "sources" / record_id).is_dir()
    assert cli("--root", root, "list", "--json").out.strip() in ("[]", "")
    again = cli("--root", root, "ingest", good_bag)
    assert again.code == 0, again
    assert cli("--root", root, "verify").code == 0


# --- bullet 8: validate-bag on a packaged bag -------------------------------------------------


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_validate_bag_on_a_package(cli, tmp_path, good_bag, fmt):
    package = tmp_path / f"bag.{fmt}"
    if fmt == "zip":
        _zip_members(package, [], good_bag)
    else:
        tar_of(good_bag, package, mode="w:gz" if fmt == "tar.gz" else "w")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = cli("validate-bag", package, env={"TMPDIR": str(tmp)})
    assert result.code == 0, result
    assert f"validated the bag inside {package.name}" in result.out
    assert "valid" in result.out
    assert not any(tmp.iterdir())
    as_json = cli("validate-bag", package, "--json", env={"TMPDIR": str(tmp)})
    assert as_json.code == 0 and json.loads(as_json.out)["outcome"] == "success"


def test_validate_bag_on_a_tampered_tar_names_the_file(cli, tmp_path, bag):
    source = bag / "data" / "source" / read_record(bag)["source"]["filename"]
    source.write_bytes(source.read_bytes() + b"forged\n")
    package = tar_of(bag, tmp_path / "tampered.tar")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = cli("validate-bag", package, env={"TMPDIR": str(tmp)})
    assert result.code == 1, result
    assert "data/source/" in result.out and "INVALID" in result.out
    assert "validated the bag inside tampered.tar" in result.out
    assert not any(tmp.iterdir())


def test_validate_bag_on_a_hostile_tar_refuses_and_writes_nothing(cli, tmp_path, good_bag):
    package = _tar_members(tmp_path / "hostile.tar", [("bag/../../escaped.txt", b"x")], good_bag)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = cli("validate-bag", package, env={"TMPDIR": str(tmp)})
    assert result.code == 1, result
    assert "escaped.txt" in result.err and "Traceback" not in result.err and "unexpected" not in result.err
    assert not any(tmp.iterdir()) and not (tmp_path.parent / "escaped.txt").exists()


# --- record_from_outside ----------------------------------------------------------------------


def test_record_from_outside_accepts_a_bagged_record_and_drops_bookkeeping(good_bag):
    raw = read_record(good_bag)
    raw["bags"] = [{"version": 1, "path": "bags/ART-2016-000001/v1", "bagged_at": "2026-01-01T00:00:00Z",
                    "payload_oxum": "1.1"}]
    record = record_from_outside(raw, "record.json")
    assert "bags" not in record and "status" not in record
    assert record["source"] == raw["source"] and record["id"] == raw["id"]
    assert raw["bags"]  # the caller's dict is not changed


@pytest.mark.parametrize("data, needle", [
    ([], "not a JSON object"),
    ("text", "not a JSON object"),
    ({"title": "x"}, "is required"),
])
def test_record_from_outside_refuses_wrong_shapes(data, needle):
    with pytest.raises(ValidationError) as caught:
        record_from_outside(data, "record.json")
    assert any(needle in p and p.startswith("record.json") for p in caught.value.problems), caught.value


@pytest.mark.parametrize("name", ["../x.txt", "/etc/passwd", "a/b.txt", "..", ".x", "-rf",
                                  "a\u2028b.txt", "a\u202eb.txt", "x" * 300 + ".txt", "a\\b.txt"])
@pytest.mark.parametrize("field", ["filename", "text_filename"])
def test_record_from_outside_refuses_unsafe_source_names(good_bag, field, name):
    raw = read_record(good_bag)
    raw["source"][field] = name
    with pytest.raises(ValidationError) as caught:
        record_from_outside(raw, "record.json")
    assert any(f"source.{field}" in p for p in caught.value.problems), caught.value


def test_record_from_outside_refuses_deep_nesting_without_recursion(good_bag):
    raw = read_record(good_bag)
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    raw["subjects"] = deep
    with pytest.raises(ValidationError) as caught:
        record_from_outside(raw, "record.json")
    assert "nested more than" in str(caught.value)


def test_record_from_outside_refuses_a_bad_id(good_bag):
    raw = read_record(good_bag)
    raw["id"] = "../../etc"
    with pytest.raises(ValidationError) as caught:
        record_from_outside(raw, "record.json")
    assert any(p.startswith("record.json: id") for p in caught.value.problems), caught.value


def test_a_fifo_given_as_the_package_is_refused_without_blocking(cli, tmp_path):
    fifo = tmp_path / "incoming.tar"
    os.mkfifo(fifo)
    root = fresh(cli, tmp_path)
    assert_refused(cli, root, fifo, "not a regular file")
    result = cli("validate-bag", fifo)
    assert result.code == 1 and "not a regular file" in result.err, result
