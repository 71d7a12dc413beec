"""Reference detection on the seed and on texts with known answers, and the CLI around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SEED

from archive.references import detect_references

TEXTS = Path(__file__).parent / "fixtures" / "texts"

EXPECTED = {
    "flood-reuters.txt": {
        ("Reuters", "publication", 2), ("Anna Kowalski", "person", 1),
        ("Environment Agency", "organisation", 1),
    },
    "budget-ministry.txt": {
        ("Ministry of Finance", "organisation", 1), ("Financial Times", "publication", 1),
        ("Institute for Fiscal Studies", "organisation", 1),
    },
    "museum-guardian.txt": {
        ("The Guardian", "publication", 2), ("Helen Okafor", "person", 1),
        ("Art Newspaper", "publication", 1),
    },
    "election-nyt-ap.txt": {
        ("Associated Press", "publication", 2), ("The New York Times", "publication", 2),
        ("Maria Lopez", "person", 1),
    },
    "study-report.txt": {
        ("Clean Air Trust", "organisation", 1), ("Annual Air Quality Report", "document", 1),
        ("James Whitfield", "person", 1), ("The Lancet", "publication", 1),
    },
    "quiet-village.txt": set(),
}  # fmt: skip


def _found(text: str) -> set[tuple[str, str, int]]:
    return {(r["name"], r["kind"], r["mentions"]) for r in detect_references(text)}


def test_seed_finds_the_three_publications_with_their_mentions():
    refs = {r["name"]: r for r in detect_references(SEED.read_text(encoding="utf-8"))}
    publications = {n: r["mentions"] for n, r in refs.items() if r["kind"] == "publication"}
    assert publications == {"The Daily Beast": 2, "Los Angeles Times": 1, "The New York Times": 2}
    assert refs["The New York Times"]["url"] == "https://www.nytimes.com/"
    assert not any("Special Forces" in name for name in refs)
    assert set(refs) <= {"The Daily Beast", "Los Angeles Times", "The New York Times", "Maria Zakharova"}
    assert all(r["confirmed"] is False for r in refs.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_texts_with_known_answers(name):
    assert _found((TEXTS / name).read_text(encoding="utf-8")) == EXPECTED[name]


def test_common_words_at_sentence_start_are_not_sources():
    text = "Reports claim the bridge will close. Officials said nothing. He said it was over."
    assert detect_references(text) == []


def test_the_same_source_spelled_differently_is_one_reference():
    text = "According to the NYT, it rained. The New York Times reported floods. NYT said more."
    assert _found(text) == {("The New York Times", "publication", 3)}


def test_most_mentioned_first():
    text = "Bloomberg reported a fall. Jane Ortiz said so. According to Bloomberg, it fell again."
    assert [r["name"] for r in detect_references(text)] == ["Bloomberg", "Jane Ortiz"]


def test_add_with_detect_references_stores_them_unconfirmed(archive_root, cli, seed_copy):
    added = cli("--root", archive_root, "add", seed_copy, "--detect-references")
    assert added.code == 0, added
    record_id = added.out.strip()
    shown = cli("--root", archive_root, "show", record_id, "--json")
    record = json.loads(shown.out)
    names = {r["name"]: r for r in record["references"]}
    assert names["The Daily Beast"]["mentions"] == 2
    assert names["The Daily Beast"]["confirmed"] is False
    assert "references" in record["provenance"]["extracted_fields"]
    listed = cli("--root", archive_root, "references", record_id)
    assert listed.code == 0, listed
    assert "The Daily Beast  publication  2 mentions  unconfirmed" in listed.out


def test_add_without_the_flag_stores_no_references(archive_root, cli, seed_copy):
    added = cli("--root", archive_root, "add", seed_copy)
    record = json.loads(cli("--root", archive_root, "show", added.out.strip(), "--json").out)
    assert "references" not in record
    listed = cli("--root", archive_root, "references", added.out.strip())
    assert "no references" in listed.out


def test_references_shows_the_sidecars_confirmed_ones_and_detect_proposes(seeded_root, cli):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    confirmed = cli("--root", seeded_root, "references", record_id, "--json")
    assert [r["confirmed"] for r in json.loads(confirmed.out)] == [True, True, True]
    proposed = json.loads(cli("--root", seeded_root, "references", record_id, "--detect", "--json").out)
    assert {r["name"] for r in proposed} >= {"The Daily Beast", "Los Angeles Times", "The New York Times"}
    assert all(r["confirmed"] is False for r in proposed)


def test_references_of_an_unknown_record_is_one_line_error(archive_root, cli):
    result = cli("--root", archive_root, "references", "ART-2016-000009")
    assert result.code == 1
    assert result.err.strip() == "archive: error: no record ART-2016-000009"


@pytest.mark.parametrize(("text", "expected"), [
    ("Cancer Research UK said the findings were encouraging.", {("Cancer Research UK", "organisation")}),
    ("Nordbank AG said on Thursday that profit doubled.", {("Nordbank AG", "organisation")}),
    ("Airline Ryanair said it had cancelled 200 flights.", {("Ryanair", "organisation")}),
    ("Lawyers said the campaign group Just Stop Oil said it would appeal.",
     {("Just Stop Oil", "organisation")}),
    ("Pollster Tom Ashdown of Redfield Strategies said turnout would decide it.",
     {("Tom Ashdown", "person")}),
    ("Credit analyst Paul Hennessy of Morningstar DBRS said the buyback was affordable.",
     {("Paul Hennessy", "person")}),
    ("Paediatrician Lena Horvath told Der Spiegel that parents had become complacent.",
     {("Lena Horvath", "person"), ("Der Spiegel", "publication")}),
    ("Alarm Phone, a hotline for migrants in distress, said it had raised the alarm.",
     {("Alarm Phone", "organisation")}),
    ("The World Health Organization and UNICEF said in a joint statement that cases rose.",
     {("World Health Organization", "organisation"), ("UNICEF", "organisation")}),
    ("The Globe and Mail reported the fire.", {("The Globe and Mail", "publication")}),
    ("Downdetector logged more than 10,000 reports.", {("Downdetector", "organisation")}),
    ("El Mercurio reported that the mine had been fined twice.", {("El Mercurio", "publication")}),
])  # fmt: skip
def test_bodies_named_like_people_and_people_named_with_their_bodies(text, expected):
    """A two- or three-word body is no person when a word says so (an acronym, a company's ending
    or trade, a foreign article, the noun before it); a person named "of" a body is the person."""
    assert {(r["name"], r["kind"]) for r in detect_references(text)} == expected
