"""Issue 12: references an archivist confirmed travel with the record: into the bag's record.json
and into the catalogue exports (csv in a readable cell, jsonl as the list itself)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest


@pytest.fixture
def confirmed_root(archive_root: Path, cli, seed_copy: Path) -> tuple[Path, str]:
    """The seed added with detected references, the first of them confirmed by an edit."""
    added = cli("--root", archive_root, "add", seed_copy, "--detect-references")
    assert added.code == 0, added
    record_id = added.out.strip()
    edited = cli("--root", archive_root, "edit", record_id, "--set", "references[0].confirmed=true")
    assert edited.code == 0, edited
    return archive_root, record_id


def _record(root: Path, cli, record_id: str) -> dict:
    shown = cli("--root", root, "show", record_id, "--json")
    assert shown.code == 0, shown
    return json.loads(shown.out)


def test_confirmed_references_are_in_the_bags_record_json(confirmed_root, cli):
    root, record_id = confirmed_root
    bagged = cli("--root", root, "bag", "--all")
    assert bagged.code == 0, bagged
    record_json = root / "bags" / record_id / "v1" / "data" / "metadata" / "record.json"
    in_bag = json.loads(record_json.read_text(encoding="utf-8"))["references"]
    assert in_bag == _record(root, cli, record_id)["references"]
    assert in_bag[0] == {"name": "The Daily Beast", "kind": "publication", "mentions": 2,
                         "url": "https://www.thedailybeast.com/", "confirmed": True}
    assert [r["confirmed"] for r in in_bag[1:]] == [False] * (len(in_bag) - 1)


def test_csv_shows_each_reference_with_its_kind_and_whether_it_is_confirmed(confirmed_root, cli):
    root, record_id = confirmed_root
    result = cli("--root", root, "export", record_id, "--format", "csv")
    assert result.code == 0, result
    [row] = list(csv.DictReader(io.StringIO(result.out, newline="")))
    assert row["references"] == (
        "The Daily Beast (publication); The New York Times (publication, unconfirmed); "
        "Los Angeles Times (publication, unconfirmed); Maria Zakharova (person, unconfirmed)"
    )


def test_jsonl_holds_the_references_as_a_list(confirmed_root, cli, tmp_path):
    root, record_id = confirmed_root
    out = tmp_path / "catalogue.jsonl"
    result = cli("--root", root, "export", "--all", "--format", "jsonl", "--out", out)
    assert result.code == 0, result
    [line] = out.read_text(encoding="utf-8").splitlines()
    references = json.loads(line)["references"]
    assert references == _record(root, cli, record_id)["references"]
    assert [(r["name"], r["kind"], r["confirmed"]) for r in references][:2] == [
        ("The Daily Beast", "publication", True), ("The New York Times", "publication", False),
    ]
