"""Formatted citations equal citeproc-js's own, character for character (the golden collection).

tests/fixtures/citations/records.json holds 44 records in the archive's format covering 0-21
authors, organisations, particles, non-ASCII and hyphenated names, every date precision, access
dates, URLs, DOIs, pages, volume/issue, editors/translators and every record type.
expected.json is what citeproc-js under node made of their CSL-JSON (regenerate.py): every record
in six styles in en-US, the first ten also in en-GB, de-DE and fr-FR, and one whole bibliography
per style (sorting and disambiguation). The tests need no node: the archive runs citeproc-js in
its embedded V8 and must give the same strings.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from archive.citation import STYLES, format_bibliography, to_csl_json
from archive.citation.formatted import bibliography_items, load_style

FIXTURES = Path(__file__).parent / "fixtures" / "citations"
RECORDS = {r["id"]: r for r in json.loads((FIXTURES / "records.json").read_text(encoding="utf-8"))}
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
ARCHIVE = EXPECTED["archive_name"]
RECORD_TYPES = ("article-newspaper", "article-magazine", "post-weblog", "webpage", "article")


def _runs() -> dict[tuple[str, str], list[dict]]:
    runs: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for entry in EXPECTED["entries"]:
        runs[entry["style"], entry["locale"]].append(entry)
    return dict(runs)


RUNS = _runs()


def test_the_collection_is_as_large_and_varied_as_promised():
    assert len(RECORDS) >= 40
    assert {style for style, _ in RUNS} == set(STYLES) and len(STYLES) == 6
    assert {locale for _, locale in RUNS} == {"en-US", "en-GB", "de-DE", "fr-FR"}
    assert all(len(RUNS[style, "en-US"]) == len(RECORDS) for style in STYLES)
    assert {r["type"] for r in RECORDS.values()} == set(RECORD_TYPES)
    authors = {
        sum(c.get("role", "author") == "author" for c in r.get("creators", [])) for r in RECORDS.values()
    }
    assert {0, 1, 2, 3} <= authors and max(authors) >= 8
    fields = {key for r in RECORDS.values() for key in r}
    assert {"url", "accessed", "identifiers", "page", "volume", "issue", "bags", "archived_url"} <= fields
    dates = {len(r["issued"].split("-")) for r in RECORDS.values() if "issued" in r}
    assert dates == {1, 2, 3} and any("issued" not in r for r in RECORDS.values())
    creators = [c for r in RECORDS.values() for c in r.get("creators", [])]
    assert any("literal" in c for c in creators), "an organisation as author"
    families = [c["family"] for c in creators if "family" in c]
    assert any(f[:1].islower() or f.startswith(("Di ", "De ")) for f in families), "a name particle"
    assert any(not (c.get("family", "") + c.get("given", "")).isascii() for c in creators), "a non-ASCII name"
    assert any("-" in c.get("given", "") for c in creators), "a hyphenated given name"
    schemes = {i["scheme"] for r in RECORDS.values() for i in r.get("identifiers", [])}
    assert "doi" in schemes


def test_the_mapping_still_gives_the_csl_json_the_goldens_were_made_from():
    """A mapping change must come with regenerated goldens (regenerate.py), not slip past them."""
    assert [to_csl_json(RECORDS[i["id"]], archive_name=ARCHIVE) for i in EXPECTED["csl"]] == EXPECTED["csl"]


@pytest.mark.slow
@pytest.mark.parametrize(("style", "locale"), sorted(RUNS), ids=lambda v: v)
def test_each_entry_is_citeproc_js_exactly(style, locale):
    """One record at a time, as ``format_citation`` and the TUI format it."""
    chosen = load_style(style)
    mismatches = []
    for entry in RUNS[style, locale]:
        item = to_csl_json(RECORDS[entry["record"]], archive_name=ARCHIVE)
        got = bibliography_items(chosen, locale, [item])
        text = got[0][1] if got else ""
        if text != entry["text"]:
            mismatches.append(f"{entry['record']}:\n  want {entry['text']!r}\n  got  {text!r}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.slow
@pytest.mark.parametrize("bibliography", EXPECTED["bibliographies"], ids=lambda b: b["style"])
def test_a_whole_bibliography_is_sorted_and_disambiguated_as_citeproc_js_does(bibliography):
    records = [RECORDS[record_id] for record_id in RECORDS]
    style, locale = bibliography["style"], bibliography["locale"]
    got = format_bibliography(records, style, locale=locale, archive_name=ARCHIVE)
    assert got == bibliography["texts"]
