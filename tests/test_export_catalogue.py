"""Whole-catalogue export: one CSV row or one JSON line per record."""

from __future__ import annotations

import csv
import io
import json

from helpers import SEED_SHA256
from test_citation_formats import NEWS

from archive.citation import to_csv


def _add_second(root, cli, tmp_path) -> None:
    other = tmp_path / "second.txt"
    other.write_text("A second article, about a harbour wall that gave way.\n", encoding="utf-8")
    added = cli(
        "--root",
        root,
        "add",
        other,
        "--title",
        "Harbour wall",
        "--creator",
        "Marsh, Eleanor",
        "--creator",
        "Reed, Tom",
    )
    assert added.code == 0, added


def test_csv_has_one_row_per_record(seeded_root, cli, tmp_path):
    _add_second(seeded_root, cli, tmp_path)
    result = cli("--root", seeded_root, "export", "--all", "--format", "csv")
    assert result.code == 0, result
    rows = list(csv.DictReader(io.StringIO(result.out, newline="")))
    assert len(rows) == 2
    seed, second = rows
    assert seed["title"] == "Russia's ambassador to Turkey shot dead at an Ankara art gallery"
    assert seed["source_sha256"] == SEED_SHA256
    assert seed["references"] == (
        "The Daily Beast (publication); Los Angeles Times (publication); The New York Times (publication)"
    )
    assert seed["subjects"].startswith("Karlov, Andrey Gennadyevich, 1954-2016 -- Assassination; ")
    assert seed["issued"] == "2016-12-19" and seed["status"] == "catalogued"
    assert second["creators"] == "Marsh, Eleanor; Reed, Tom"


def test_jsonl_has_one_full_record_per_line(seeded_root, cli, tmp_path):
    _add_second(seeded_root, cli, tmp_path)
    out = tmp_path / "catalogue.jsonl"
    result = cli("--root", seeded_root, "export", "--all", "--format", "jsonl", "--out", out)
    assert result.code == 0, result
    lines = out.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["title"] for r in records] == [
        "Russia's ambassador to Turkey shot dead at an Ankara art gallery",
        "Harbour wall",
    ]
    shown = json.loads(cli("--root", seeded_root, "show", records[0]["id"], "--json").out)
    shown.pop("copies")  # show adds the record's good copies, counted from it and archive.toml
    assert records[0] == shown


def test_status_filter(seeded_root, cli, tmp_path):
    _add_second(seeded_root, cli, tmp_path)
    ids = [r["id"] for r in json.loads(cli("--root", seeded_root, "list", "--json").out)]
    assert cli("--root", seeded_root, "deaccession", ids[1], "--reason", "duplicate").code == 0
    result = cli("--root", seeded_root, "export", "--all", "--format", "jsonl", "--status", "deaccessioned")
    assert [json.loads(line)["id"] for line in result.out.splitlines()] == [ids[1]]


def test_empty_catalogue_is_an_error_for_citations(archive_root, cli):
    """A csv or jsonl of nothing is a valid file (see test_trust_import.py); a bibliography of
    nothing is never what was wanted."""
    result = cli("--root", archive_root, "export", "--all", "--format", "ris")
    assert result.code == 1
    assert result.err.strip() == "archive: error: no records to export"


def test_csv_flattens_lists_bags_and_identifiers():
    [row] = list(csv.DictReader(io.StringIO(to_csv([NEWS]), newline="")))
    assert row["identifiers"] == "issn:1234-5678; doi:10.5555/x.1"
    assert (row["bag_version"], row["bag_path"]) == ("2", "bags/ART-2019-000007/v2")
    assert row["keywords"] == "storm; harbour"
