"""each()'s "alone" engine writes the full engine's entries, character for character.

bridge.js ``each()`` formats one item at a time with an engine built from ``styleAlone(xml)``: the
style without the bibliography's ``<sort>`` and with the citation's ``<layout>`` reduced to the
title (the ``<citation>`` element and its options kept). It is cheaper to build and to run, and is
only right if every entry equals what the full engine (``bibliography()`` of that one item, built
from ``styleForEngine(xml)``, the path ``format_citation``/``format_bibliography`` take) writes.
These tests compare the two on citeproc.js as vendored (``patched=False``, the reference) and as the
archive runs it (patched): every golden record in every offered style and locale, and records
Hypothesis makes the way a bag's data/metadata/citation.json is made (``to_csl_json`` of a record).
bench/check_alone_styles.py sweeps the same comparison over every installed CSL style.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_citation_golden import ARCHIVE, RECORDS

from archive.citation.citeproc_js import CiteprocJS
from archive.citation.csl import to_csl_json
from archive.citation.formatted import load_style
from archive.citation.options import LOCALES, STYLES

ENGINES = {"vendored": False, "patched": True}


@pytest.fixture(scope="module")
def engines():
    """One V8 context per citeproc.js (vendored, patched) for the whole module: an engine per style
    and locale is built once in each and reused, as the archive reuses its one engine."""
    made = {name: CiteprocJS(patched=patched) for name, patched in ENGINES.items()}
    try:
        yield made
    finally:
        for cite in made.values():
            cite.close()


def alone_and_full(cite: CiteprocJS, style: str, locale: str, items: list[dict]) -> tuple[list, list]:
    """``each()`` of all the items in one call, and ``bibliography()`` of each item by itself."""
    key = cite.add_style(load_style(style).xml)
    alone = cite.each(key, locale, True, items)
    full = []
    for item in items:
        entries = cite.bibliography(key, locale, True, [item])
        full.append(entries[0][1] if entries else "")
    return alone, full


def differences(items: list[dict], alone: list[str], full: list[str]) -> list[str]:
    return [f"{item['id']}:\n  full  {want!r}\n  alone {got!r}"
            for item, got, want in zip(items, alone, full, strict=True) if got != want]


GOLDEN_ITEMS = [to_csl_json(r, archive_name=ARCHIVE) for r in RECORDS.values()]


ENGINE_LOCALES = [("patched", locale) for locale in LOCALES] + [("vendored", "en-US")]
"""The archive's engine in every offered locale; the vendored file in en-US only (that the patched
file writes the vendored file's strings is test_citation_engine_speed.py's to show)."""


@pytest.mark.slow
@pytest.mark.parametrize(("engine", "locale"), ENGINE_LOCALES)
@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_golden_record_alone_is_its_one_item_bibliography(engines, engine, style, locale):
    alone, full = alone_and_full(engines[engine], style, locale, GOLDEN_ITEMS)
    assert len(alone) == len(GOLDEN_ITEMS)
    assert not differences(GOLDEN_ITEMS, alone, full)
    assert sum(bool(text) for text in full) >= len(GOLDEN_ITEMS) - 3  # entries, not blanks compared


# Names that share a family name: citeproc-js's name register (NameReg) then decides a name's
# form by what it has seen, which the full engine fills from the citation layout and the sort keys
# before the entry is written and the alone engine does not (bridge.js familiesMeet). Before that
# rule, harvard-cite-them-right wrote "Tanaka, J. and Tanaka, Jiro" alone for the full engine's
# "Tanaka, Jun and Tanaka, Jiro", and austrian-legal "Tanaka/Tanaka, A." for "Tanaka, H./Tanaka, A.".
SHARED_FAMILIES = [
    [{"family": "Tanaka", "given": "Jun"}, {"family": "Tanaka", "given": "Jiro"}],
    [{"family": "Tanaka", "given": "Hiro"}, {"family": "Tanaka", "given": "Aiko"}],
    [{"family": "Smith", "given": "Jun"}, {"family": "Tanaka", "given": "Jiro"},
     {"family": "Tanaka", "given": "Jun", "role": "editor"}],
    [{"family": "Tanaka", "given": "Jun"}, {"family": "Smith", "given": "A."},
     {"family": "Jones", "given": "A."}, {"family": "Tanaka", "given": "Jiro"}],
    [{"family": "van der Berg", "given": "Anna"}, {"family": "Berg", "given": "Bo"}],
    [{"family": "d’Alembert", "given": "Jean"},
     {"family": "Alembert", "given": "Jules", "role": "translator"}],
    [{"family": "Müller", "given": "K."}, {"family": "MÜLLER", "given": "Karl"}, {"literal": "Müller"}],
    # the same given name under one family: one register entry, so the alone engine formats these
    [{"family": "Tanaka", "given": "Jun"}, {"family": "Tanaka", "given": "Jun", "role": "editor"}],
    [{"family": "van der Berg", "given": "Anna"}, {"family": "Berg", "given": "Anna"}],
]
SHARED_ITEMS = [
    to_csl_json({"id": f"ART-2010-{n:06d}", "type": "article", "title": "Working paper on tides",
                 "container_title": "Ocean Letters", "issued": "2010", "creators": creators},
                archive_name=ARCHIVE)
    for n, creators in enumerate(SHARED_FAMILIES, start=1)
]


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("style", sorted({*STYLES, "austrian-legal"}))
def test_names_sharing_a_family_alone_are_their_one_item_bibliography(engines, engine, style):
    for locale in LOCALES:
        alone, full = alone_and_full(engines[engine], style, locale, SHARED_ITEMS)
        assert not differences(SHARED_ITEMS, alone, full), locale


# A name list that reaches et-al-min: the full engine's bibliography keeps as many names as the
# item's citation showed (the registry's disambiguation settings), the alone engine's citation
# shows none (bridge.js etAlMet). Before that rule these two styles cut the golden records' lists
# shorter alone: "DUBOIS, Jean Paul et al." for "DUBOIS, Jean Paul, Anne Marie MARTIN and Seo yeon
# LEE"; "Abbott A., Baker B., Chen C., … Haddad H." for six names before the ellipsis.
@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("style", ["universite-laval-departement-des-sciences-historiques",
                                   "uniwersytet-kardynala-stefana-wyszynskiego-w-warszawie-przypis"])
def test_lists_cut_by_et_al_alone_are_their_one_item_bibliography(engines, engine, style):
    alone, full = alone_and_full(engines[engine], style, "en-US", GOLDEN_ITEMS)
    assert not differences(GOLDEN_ITEMS, alone, full)


# ----- records Hypothesis makes, in the archive's record format -----------------------------------

WORDS = ["Budget", "the", "Ankara", "über", "Ørsted’s", "l’été", "rock'n'roll", "Q&A", "COVID-19",
         "iPhone", "1984", "“quoted”", "'single'", "\"double\"", "A.", "naïve", "Zürich", "李白",
         "Ελλάδα", "São", "e.g.", "d’Orsay", "<i>it</i>", "50%", "x--y"]
ENDINGS = ["", ".", "?", "!", ":", ";", ",", "…", "'", "\"", "’", "”", ")", " ", "\n", "\t", "\x07"]
TITLE = st.one_of(
    st.builds(lambda words, end: " ".join(words) + end, st.lists(st.sampled_from(WORDS), min_size=1,
                                                                  max_size=6), st.sampled_from(ENDINGS)),
    st.text(min_size=1, max_size=20).filter(str.strip),
    st.text(alphabet="ab \n\r\t\x00\x1f\x7f'\"’.,", min_size=1, max_size=12).filter(str.strip),
)
FAMILIES = ["Doe", "Smith", "Tanaka", "Berg", "van der Berg", "de la Cruz", "d’Alembert", "Di Caprio",
            "von Trapp", "Ørsted", "Łukasiewicz", "Müller", "Ngũgĩ", "李", "O'Brien", "García Márquez", "Le"]
GIVENS = ["Jun", "Jiro", "Jane", "Jean-Paul", "Anne-Marie", "J. R. R.", "Seán", "Zoë", "Ōe", "Li", "J.",
          "Karl-Heinz"]
LITERALS = ["World Health Organization", "BBC News", "Staff", "Agence France-Presse", "Reuters",
            "Musée d’Orsay", "The Associated Press"]
PERSON = st.builds(
    lambda family, given, role: {k: v for k, v in (("family", family), ("given", given),
                                                   ("role", role)) if v},
    st.one_of(st.sampled_from(FAMILIES), st.text(min_size=1, max_size=10).filter(str.strip)),
    st.one_of(st.none(), st.sampled_from(GIVENS)),
    st.sampled_from([None, "author", "author", "editor", "translator", "photographer"]),
)
ORGANISATION = st.builds(
    lambda literal, role: {"literal": literal, **({"role": role} if role else {})},
    st.sampled_from(LITERALS), st.sampled_from([None, "author", "editor"]),
)
DATE = st.one_of(
    st.none(),
    st.integers(1800, 2030).map(str),
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1900, 2030), st.integers(1, 12)),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(1900, 2030), st.integers(1, 12),
              st.integers(1, 28)),
)
SHORT = st.one_of(st.none(), st.sampled_from(["1", "12", "3-4", "A1", "e123", "12–15", "iv", "Spring",
                                               "2nd", "101-199", "S2"]))


@st.composite
def records(draw, record_id: str) -> dict:
    """A record as the catalogue holds it, with every field a citation reads drawn or left out."""
    record: dict = {
        "id": record_id,
        "type": draw(st.sampled_from(["article-newspaper", "article-magazine", "post-weblog", "webpage",
                                      "article"])),
        "title": draw(TITLE),
        "creators": draw(st.lists(st.one_of(PERSON, PERSON, ORGANISATION), max_size=10)),
    }
    optional = {
        "subtitle": st.one_of(st.none(), TITLE),
        "container_title": st.one_of(st.none(), st.sampled_from(["The Daily Planet", "Le Monde", "Die Zeit",
                                                                  "Nature", "Ars Technica", "BBC News"])),
        "publisher": st.one_of(st.none(), st.sampled_from(["Planet Media", "Guardian News & Media"])),
        "section": st.one_of(st.none(), st.sampled_from(["World", "Opinion", "Science & Tech"])),
        "page": SHORT, "volume": SHORT, "issue": SHORT, "edition": SHORT,
        "language": st.one_of(st.none(), st.sampled_from(["en", "de", "fr", "en-GB", "tr"])),
        "issued": DATE, "accessed": DATE,
        "url": st.one_of(st.none(), st.sampled_from(["https://planet.example.org/2016/12/19/ankara",
                                                     "http://example.com/a?b=1&c=2#frag"])),
        "archived_url": st.one_of(st.none(), st.just("https://web.archive.org/web/2020/https://x.example/")),
    }
    for name, strategy in optional.items():
        value = draw(strategy)
        if value is not None:
            record[name] = value
    identifiers = draw(st.lists(st.sampled_from([
        {"scheme": "doi", "value": "10.1000/xyz123"}, {"scheme": "doi", "value": "10.5555/a(b)c-d_e"},
        {"scheme": "issn", "value": "0028-0836"}, {"scheme": "isbn", "value": "978-3-16-148410-0"},
    ]), max_size=3, unique_by=lambda i: i["scheme"]))
    if identifiers:
        record["identifiers"] = identifiers
    bags = draw(st.integers(0, 2))
    if bags:
        record["bags"] = [{"version": n + 1} for n in range(bags)]
    return record


@st.composite
def batches(draw) -> tuple[list[dict], str | None]:
    """1-4 items as one each() call gets them; ids from a small pool, so an id can come twice (an
    edited record keeps its id: the engine must forget the first before formatting the second)."""
    ids = draw(st.lists(st.sampled_from(["ART-2020-000001", "ART-2020-000002", "WEB-1999-000123"]),
                        min_size=1, max_size=4))
    archive_name = draw(st.sampled_from([None, "Test Archive", "Archiv für Zeitgeschichte"]))
    items = [to_csl_json(draw(records(record_id)), archive_name=archive_name) for record_id in ids]
    return items, draw(st.sampled_from(LOCALES))


@pytest.mark.slow
@pytest.mark.parametrize("engine", sorted(ENGINES))
@settings(max_examples=25)
@given(batch=batches())
def test_any_record_alone_is_its_one_item_bibliography_in_every_offered_style(engines, engine, batch):
    items, locale = batch
    wrong = []
    for style in sorted(STYLES):
        alone, full = alone_and_full(engines[engine], style, locale, items)
        wrong += [f"{style} {locale} {text}" for text in differences(items, alone, full)]
    assert not wrong, "\n".join(wrong)
