"""Adding HTML and Markdown: metadata extracted from each source, the original kept byte for byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import stored_record

HTML = Path(__file__).parent / "fixtures" / "html"


def _add(cli, root: Path, path: Path, *extra: str) -> dict:
    added = cli("--root", root, "add", path, *extra)
    assert added.code == 0, added
    return stored_record(root, added.out.strip())


def _extracted(record: dict) -> list[str]:
    return record["provenance"].get("extracted_fields", [])


def test_jsonld_news_article(archive_root, cli):
    record = _add(cli, archive_root, HTML / "jsonld-newsarticle.html")
    assert record["type"] == "article-newspaper"
    assert record["title"] == "Harbour wall gives way in overnight storm"
    assert record["creators"] == [
        {"family": "Marsh", "given": "Eleanor", "role": "author"},
        {"family": "Reed", "given": "Tom", "role": "author"},
    ]
    assert record["container_title"] == "The Coastal Courier"
    assert record["publisher"] == "Coastal Media Group"
    assert record["issued"] == "2019-03-14"
    assert record["language"] == "en-GB"
    assert record["url"] == "https://courier.example.org/news/2019/03/harbour-wall"
    assert "2019-03-15" in record["provenance"]["notes"]
    assert _extracted(record) == sorted(
        ["container_title", "creators", "issued", "language", "publisher", "title", "type", "url"]
    )


def test_original_bytes_kept_and_main_text_beside_them(archive_root, cli):
    record = _add(cli, archive_root, HTML / "jsonld-newsarticle.html")
    folder = archive_root / "sources" / record["id"]
    original = folder / record["source"]["filename"]
    assert original.read_bytes() == (HTML / "jsonld-newsarticle.html").read_bytes()
    assert record["source"]["media_type"] == "text/html"
    text = (folder / record["source"]["text_filename"]).read_text(encoding="utf-8")
    assert "A forty-metre section of the old harbour wall collapsed" in text
    assert "Copyright 2019" not in text and "Sport" not in text
    assert "<p>" not in text
    shown = cli("--root", archive_root, "show", record["id"], "--text")
    assert shown.out.startswith("<!DOCTYPE html>")


def test_opengraph(archive_root, cli):
    record = _add(cli, archive_root, HTML / "opengraph.html")
    assert record["title"] == "La bibliothèque municipale rouvre ses portes"
    assert record["container_title"] == "Le Petit Quotidien"
    assert record["creators"] == [{"family": "Dubois", "given": "Claire", "role": "author"}]
    assert record["issued"] == "2021-06-02"
    assert record["language"] == "fr"
    assert record["url"] == "https://quotidien.example.fr/culture/bibliotheque-rouvre"
    assert "2021-06-03" in record["provenance"]["notes"]


def test_citation_meta_tags(archive_root, cli):
    record = _add(cli, archive_root, HTML / "citation-meta.html")
    assert record["creators"] == [
        {"family": "O'Brien", "given": "Siobhan", "role": "author"},
        {"family": "Keane", "given": "Patrick", "role": "author"},
    ]
    assert record["container_title"] == "Archives Quarterly Review"
    assert record["publisher"] == "Society of County Archivists"
    assert record["issued"] == "2018-09-01"
    assert (record["volume"], record["issue"], record["page"]) == ("42", "3", "115-131")
    assert record["identifiers"] == [{"scheme": "doi", "value": "10.5555/aqr.2018.42.3.115"}]
    assert record["url"] == "https://aqr.example.org/42/3/115"
    assert "identifiers" in _extracted(record) and "page" in _extracted(record)


def test_typed_fields_win_and_are_not_marked_extracted(archive_root, cli):
    record = _add(cli, archive_root, HTML / "opengraph.html", "--title", "Typed title", "--language", "fr-FR")
    assert (record["title"], record["language"]) == ("Typed title", "fr-FR")
    assert "title" not in _extracted(record) and "language" not in _extracted(record)
    assert "container_title" in _extracted(record)


def test_page_without_metadata(archive_root, cli):
    record = _add(cli, archive_root, HTML / "no-metadata.html")
    assert record["title"] == "No metadata"
    assert record["type"] == "webpage"
    assert _extracted(record) == ["title", "type"]
    for absent in ("creators", "issued", "url", "language", "container_title"):
        assert absent not in record
    text = (archive_root / "sources" / record["id"] / record["source"]["text_filename"]).read_text()
    assert text.startswith("The river rose two metres overnight")


def test_malformed_page_still_gives_text_and_what_metadata_it_has(archive_root, cli):
    record = _add(cli, archive_root, HTML / "malformed.html")
    assert record["title"] == "Broken page"
    assert record["creators"] == [{"family": "Lowe", "given": "Sam", "role": "author"}]
    text = (archive_root / "sources" / record["id"] / record["source"]["text_filename"]).read_text()
    assert "prize marrow weighed eleven kilograms" in text
    assert "late frost" in text


def test_bad_values_in_metadata_are_dropped_not_fatal(archive_root, cli, tmp_path):
    page = tmp_path / "sloppy.html"
    page.write_text(
        '<html lang="not a language!"><head><title>Sloppy</title>'
        '<link rel="canonical" href="/relative/path">'
        '<script type="application/ld+json">{"@type": "NewsArticle", broken</script>'
        "</head><body><p>Enough words here to make a paragraph of real text for the extractor.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    record = _add(cli, archive_root, page)
    assert record["title"] == "Sloppy"
    assert "language" not in record and "url" not in record


def test_same_html_twice_is_refused_naming_the_holder(archive_root, cli, tmp_path):
    first = _add(cli, archive_root, HTML / "opengraph.html")
    copy = tmp_path / "copy.html"
    shutil.copyfile(HTML / "opengraph.html", copy)
    again = cli("--root", archive_root, "add", copy)
    assert again.code == 1
    assert again.err.startswith("archive: error: copy.html: the same text")
    assert first["id"] in again.err and "--allow-duplicate" in again.err
    forced = cli("--root", archive_root, "add", copy, "--allow-duplicate")
    assert forced.code == 0, forced


def test_detect_references_reads_the_extracted_text(archive_root, cli):
    record = _add(cli, archive_root, HTML / "jsonld-newsarticle.html", "--detect-references")
    names = {r["name"]: r["kind"] for r in record["references"]}
    assert names == {"Met Office": "organisation", "Margaret Holt": "person"}


def test_markdown_front_matter_maps_to_fields(archive_root, cli, tmp_path):
    note = tmp_path / "mill-fire.md"
    note.write_text(
        "---\n"
        "title: Fire at the old mill\n"
        "author: [Ruth Evans, 'Okoro, Chidi']\n"
        "date: 2022-08-09\n"
        "publication: Valley Weekly\n"
        "type: article-newspaper\n"
        "tags: [fire, mill]\n"
        "lang: en\n"
        "link: https://valley.example.org/mill-fire\n"
        "colour: blue\n"
        "---\n"
        "The old mill burned for six hours, the fire service said.\n",
        encoding="utf-8",
    )
    record = _add(cli, archive_root, note)
    assert record["title"] == "Fire at the old mill"
    assert record["creators"] == [
        {"family": "Evans", "given": "Ruth", "role": "author"},
        {"family": "Okoro", "given": "Chidi", "role": "author"},
    ]
    assert (record["issued"], record["container_title"], record["type"]) == (
        "2022-08-09",
        "Valley Weekly",
        "article-newspaper",
    )
    assert (record["keywords"], record["language"]) == (["fire", "mill"], "en")
    assert record["url"] == "https://valley.example.org/mill-fire"
    assert "colour" not in json.dumps(record)
    assert "text_filename" not in record["source"]
    assert set(_extracted(record)) == {
        "container_title",
        "creators",
        "issued",
        "keywords",
        "language",
        "title",
        "type",
        "url",
    }


@pytest.mark.parametrize("front", ["---\ntitle: [unclosed\n---\nBody text.\n", "No front matter here.\n"])
def test_markdown_without_usable_front_matter_still_adds(archive_root, cli, tmp_path, front):
    note = tmp_path / "plain-note.md"
    note.write_text(front, encoding="utf-8")
    record = _add(cli, archive_root, note)
    assert record["title"] == "Plain note"
    if front.startswith("---"):
        assert "front matter could not be read" in record["provenance"]["notes"]


def test_import_folder_of_html_and_markdown(archive_root, cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("opengraph.html", "citation-meta.html"):
        shutil.copyfile(HTML / name, folder / name)
    (folder / "note.md").write_text("---\ntitle: A note\n---\nText.\n", encoding="utf-8")
    result = cli("--root", archive_root, "import", folder, "--json")
    assert result.code == 0, result
    assert len(json.loads(result.out)["added"]) == 3
    titles = {r["title"] for r in json.loads(cli("--root", archive_root, "list", "--json").out)}
    assert titles == {
        "A note",
        "A ledger of the 1847 famine relief committee",
        "La bibliothèque municipale rouvre ses portes",
    }


def test_a_page_in_its_declared_legacy_charset_is_kept_and_read(archive_root, cli, tmp_path):
    page = tmp_path / "caf\u00e9-1998.html"
    html = (
        '<html lang="fr"><head><meta http-equiv="Content-Type" content="text/html; '
        'charset=windows-1252"><title>Le caf\u00e9 ferme ses portes</title>'
        '<meta name="author" content="Claire Dubois"></head><body><article>'
        "<h1>Le caf\u00e9 ferme ses portes</h1>"
        + "<p>\u201cC\u2019est la fin d\u2019une \u00e9poque\u201d, dit le patron du caf\u00e9 "
        "de la place, ouvert depuis 1952 et fr\u00e9quent\u00e9 par trois g\u00e9n\u00e9rations.</p>" * 4
        + "</article></body></html>"
    )
    raw = html.encode("cp1252")
    page.write_bytes(raw)
    record = _add(cli, archive_root, page)
    assert record["source"]["encoding"] == "windows-1252"
    assert record["title"] == "Le caf\u00e9 ferme ses portes"
    stored = archive_root / "sources" / record["id"] / record["source"]["filename"]
    assert stored.read_bytes() == raw  # byte for byte, not converted
    extracted = (stored.parent / record["source"]["text_filename"]).read_text(encoding="utf-8")
    assert "\u201cC\u2019est la fin d\u2019une \u00e9poque\u201d" in extracted


def test_legacy_bytes_are_refused_in_plain_text_and_in_pages_that_declare_none(archive_root, cli,
                                                                             tmp_path):
    text = tmp_path / "note.txt"
    text.write_bytes("Le caf\u00e9".encode("cp1252"))
    page = tmp_path / "undeclared.html"
    page.write_bytes("<html><body><p>Le caf\u00e9</p></body></html>".encode("cp1252"))
    for path in (text, page):
        result = cli("--root", archive_root, "add", path)
        assert result.code == 1 and "not UTF-8 text" in result.err, result
