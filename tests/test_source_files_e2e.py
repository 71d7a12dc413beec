"""Issue 10, a source as a set of files with roles, end to end on real archives and bags: a record
made of an HTML page, its extracted text, a WARC and a requisite is added through the library (as
capture will), bagged, verified, tampered with in sources/ and in the bag (verify names the file
and its role), ingested into a second archive, refused when its record.json is hostile, and old
single-file records keep verifying and bag the same bytes."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from helpers import snapshot_tree
from test_trust_ingest import assert_refused, fresh, read_record, write_record

from archive.catalog import SourcePart, add_source_set
from archive.errors import ArchiveError
from archive.ids import format_id
from archive.layout import open_archive

HTML = Path(__file__).parent / "fixtures" / "html" / "jsonld-newsarticle.html"
WARC_BYTES = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n\r\n" + bytes(range(256)) * 64)
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)


def capture_like(root: Path, tmp_path: Path) -> dict:
    """What capture will do: the page as received, its WARC and a requisite, in one record."""
    warc = tmp_path / "spool" / "exchange.warc.gz"
    warc.parent.mkdir(exist_ok=True)
    warc.write_bytes(WARC_BYTES)
    image = tmp_path / "spool" / "logo.png"
    image.write_bytes(PNG_BYTES)
    return add_source_set(open_archive(root), HTML, [
        SourcePart("warc", path=warc, filename="page.warc.gz"),
        SourcePart("requisite", path=image),
    ], {"url": "https://courier.example.org/news/2019/03/harbour-wall"}, filename="page.html")


def roles(record: dict) -> dict[str, dict]:
    return {entry["role"] + (":" + entry["filename"] if entry["role"] == "requisite" else ""): entry
            for entry in record["source"]["files"]}


def test_a_multi_file_record_is_bagged_verified_and_tampering_is_named_with_its_role(
        archive_root, cli, tmp_path):
    record = capture_like(archive_root, tmp_path)
    rid = record["id"]
    files = roles(record)
    assert set(files) == {"original", "text", "warc", "requisite:logo.png"}
    assert files["warc"]["sha256"] == hashlib.sha256(WARC_BYTES).hexdigest()
    assert files["warc"]["size"] == len(WARC_BYTES) and files["warc"]["media_type"] == "application/warc"
    assert files["requisite:logo.png"]["media_type"] == "image/png"
    text = (archive_root / "sources" / rid / files["text"]["filename"]).read_bytes()
    assert files["text"]["sha256"] == hashlib.sha256(text).hexdigest() and b"harbour wall" in text
    assert sorted(p.name for p in (archive_root / "sources" / rid).iterdir()) == sorted(
        e["filename"] for e in files.values())

    assert cli("--root", archive_root, "bag", rid).code == 0
    bag = archive_root / "bags" / rid / "v1"
    manifest = (bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    for entry in files.values():
        payload = bag / "data" / "source" / entry["filename"]
        assert payload.read_bytes() == (archive_root / "sources" / rid / entry["filename"]).read_bytes()
        assert f"{entry['sha256']}  data/source/{entry['filename']}" in manifest
    assert cli("--root", archive_root, "verify").code == 0

    working = archive_root / "sources" / rid / "page.warc.gz"
    middle = len(WARC_BYTES) // 2
    flipped = WARC_BYTES[:middle] + bytes([WARC_BYTES[middle] ^ 1]) + WARC_BYTES[middle + 1:]
    working.write_bytes(flipped)  # same size: only a full check can see it
    found = cli("--root", archive_root, "verify")
    assert found.code == 1, found
    assert f"sources/{rid}/page.warc.gz: the warc file:" in found.out + found.err, found
    working.write_bytes(WARC_BYTES)
    assert cli("--root", archive_root, "verify").code == 0

    (bag / "data" / "source" / "logo.png").write_bytes(PNG_BYTES + b"x")
    found = cli("--root", archive_root, "verify", rid)
    assert found.code == 1, found
    assert "data/source/logo.png: the source's requisite file:" in found.out + found.err, found

    shown = cli("--root", archive_root, "show", rid)
    assert f"source.files[2]: warc page.warc.gz (application/warc, {len(WARC_BYTES)} bytes)" in shown.out


def test_a_bag_with_files_is_ingested_whole_into_a_second_archive(archive_root, cli, tmp_path):
    record = capture_like(archive_root, tmp_path)
    assert cli("--root", archive_root, "bag", record["id"]).code == 0
    dest = fresh(cli, tmp_path)
    taken = cli("--root", dest, "ingest", archive_root / "bags" / record["id"] / "v1")
    assert taken.code == 0, taken
    shown = json.loads(cli("--root", dest, "show", record["id"], "--json").out)
    assert shown["source"]["files"] == record["source"]["files"]
    for entry in record["source"]["files"]:
        held = (dest / "sources" / record["id"] / entry["filename"]).read_bytes()
        assert hashlib.sha256(held).hexdigest() == entry["sha256"]
    assert cli("--root", dest, "verify").code == 0


@pytest.fixture
def files_bag(archive_root, cli, tmp_path) -> Path:
    record = capture_like(archive_root, tmp_path)
    assert cli("--root", archive_root, "bag", record["id"]).code == 0
    target = tmp_path / "incoming" / "bag"
    shutil.copytree(archive_root / "bags" / record["id"] / "v1", target)
    return target


@pytest.mark.parametrize(("change", "needles"), [
    (lambda files: files[2].update(filename="../../x"), ["source.files[2].filename", "'../../x'"]),
    (lambda files: files[2].update(filename="other.warc.gz"),
     ["other.warc.gz is not a file in the bag's data/source/"]),
    (lambda files: files[2].update(sha256="0" * 64), ["page.warc.gz: its sha256 differs", "warc"]),
    (lambda files: files[3].update(filename="page.html"), ["is already the name of files[0]"]),
])
def test_a_hostile_files_list_is_refused_with_its_reasons(cli, tmp_path, files_bag, change, needles):
    record = read_record(files_bag)
    record["source"]["files"].sort(key=lambda e: ["original", "text", "warc", "requisite"].index(e["role"]))
    change(record["source"]["files"])
    write_record(files_bag, record)
    err = assert_refused(cli, fresh(cli, tmp_path), files_bag, *needles)
    assert all(line.startswith("archive: error:") for line in err.strip().splitlines()), err


def test_a_file_of_the_set_missing_from_the_bag_is_refused(cli, tmp_path, files_bag):
    (files_bag / "data" / "source" / "logo.png").unlink()
    from test_trust_ingest import rebag

    rebag(files_bag)
    assert_refused(cli, fresh(cli, tmp_path), files_bag, "logo.png is not a file in the bag's data/source/")


def test_add_source_set_refuses_clashing_names_and_leaves_the_archive_as_it_was(archive_root, tmp_path):
    warc = tmp_path / "page.html.warc"
    warc.write_bytes(WARC_BYTES)
    before = snapshot_tree(archive_root)
    with pytest.raises(ArchiveError, match="two files of the source would be named"):
        add_source_set(open_archive(archive_root), HTML,
                       [SourcePart("warc", path=warc, filename="PAGE.HTML")], filename="page.html")
    with pytest.raises(ArchiveError, match="role 'original'"):
        add_source_set(open_archive(archive_root), HTML, [SourcePart("original", path=warc)])
    with pytest.raises(ArchiveError, match="one extracted text, not several"):
        add_source_set(open_archive(archive_root), HTML, [SourcePart("text", data=b"a", filename="a.txt"),
                                                          SourcePart("text", data=b"b", filename="b.txt")])
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    with pytest.raises(ArchiveError, match="empty"):
        add_source_set(open_archive(archive_root), HTML, [SourcePart("warc", path=empty)])
    assert snapshot_tree(archive_root) == before


def make_old_style(root: Path, record_id: str) -> dict:
    """The record as the archive wrote it before source.files: the same top-level fields and
    text_filename, no files (the store holds what add wrote until then, byte for byte the same)."""
    arc = open_archive(root)
    with arc.store.transaction() as tx:
        record = tx.get(record_id)
        del record["source"]["files"]
        tx.update(record)
    return arc.store.get(record_id)


def test_old_single_file_records_and_their_bags_keep_verifying_and_rebag_the_same_bytes(
        archive_root, cli, tmp_path):
    added = cli("--root", archive_root, "add", HTML)
    assert added.code == 0, added
    rid = added.out.strip()
    plain = tmp_path / "plain.txt"
    plain.write_text("A plain article, one file as it always was.\n", encoding="utf-8")
    other = cli("--root", archive_root, "add", plain)
    assert other.code == 0, other
    old = make_old_style(archive_root, rid)
    make_old_style(archive_root, other.out.strip())
    assert "files" not in old["source"] and old["source"]["text_filename"]
    assert cli("--root", archive_root, "bag", "--all").code == 0
    v1 = archive_root / "bags" / rid / "v1"
    assert "files" not in read_record(v1)["source"]
    bags_before = snapshot_tree(archive_root / "bags")

    assert cli("--root", archive_root, "verify").code == 0
    shown = cli("--root", archive_root, "show", rid)
    assert f"source.files[0]: original {old['source']['filename']} (text/html" in shown.out
    assert f"source.files[1]: text {old['source']['text_filename']} (text/plain)" in shown.out

    (archive_root / "sources" / rid / old["source"]["text_filename"]).write_text("changed", encoding="utf-8")
    found = cli("--root", archive_root, "verify", rid)
    assert found.code == 1 and "the text file:" in found.out + found.err, found
    shutil.copyfile(v1 / "data" / "source" / old["source"]["text_filename"],
                    archive_root / "sources" / rid / old["source"]["text_filename"])

    assert cli("--root", archive_root, "edit", rid, "--set", "title=Retitled").code == 0
    assert cli("--root", archive_root, "bag", rid).code == 0
    v2 = archive_root / "bags" / rid / "v2"
    for name in (old["source"]["filename"], old["source"]["text_filename"]):
        assert (v2 / "data" / "source" / name).read_bytes() == (v1 / "data" / "source" / name).read_bytes()
    assert sorted(p.name for p in (v2 / "data" / "source").iterdir()) == sorted(
        p.name for p in (v1 / "data" / "source").iterdir())
    assert cli("--root", archive_root, "verify").code == 0
    after = snapshot_tree(archive_root / "bags")
    assert {k: v for k, v in after.items() if "/v2/" not in k} == bags_before

    dest = fresh(cli, tmp_path)
    taken = cli("--root", dest, "ingest", v1)
    assert taken.code == 0, taken
    assert cli("--root", dest, "verify").code == 0


def test_what_a_killed_multi_file_add_left_is_reported_then_cleared_by_the_next_add(
        archive_root, cli, tmp_path):
    """A run killed while copying leaves sources/<next id>/ with no record (whole files and a
    ``.partial``): verify reports it, and the next add, which reserves the same id, clears it."""
    next_id = format_id(open_archive(archive_root).settings.id_prefix, 1)
    stale = archive_root / "sources" / next_id
    stale.mkdir(parents=True)
    (stale / "page.html").write_bytes(HTML.read_bytes())
    (stale / "page.warc.gz.partial").write_bytes(WARC_BYTES[:100])
    (stale / "stale-other.png").write_bytes(PNG_BYTES)
    found = cli("--root", archive_root, "verify")
    assert f"sources/{next_id}" in found.out + found.err, found
    record = capture_like(archive_root, tmp_path)
    assert record["id"] == next_id
    assert sorted(p.name for p in stale.iterdir()) == sorted(e["filename"] for e in record["source"]["files"])
    assert cli("--root", archive_root, "verify").code == 0


def test_a_text_the_caller_extracted_is_the_records_text(archive_root, cli, tmp_path):
    text = tmp_path / "own.txt"
    text.write_text("The caller's own extraction of the page, in UTF-8: é.\n", encoding="utf-8")
    record = add_source_set(open_archive(archive_root), HTML, [SourcePart("text", path=text)])
    [entry] = [e for e in record["source"]["files"] if e["role"] == "text"]
    assert entry["filename"] == "own.txt" and entry["encoding"] == "utf-8"
    assert entry["sha256"] == hashlib.sha256(text.read_bytes()).hexdigest()
    assert record["source"]["text_filename"] == "own.txt"
    assert not (archive_root / "sources" / record["id"] / "jsonld-newsarticle.extracted.txt").exists()
    shown = cli("--root", archive_root, "search", "caller's own extraction", "--text")
    assert record["id"] in shown.out, shown
