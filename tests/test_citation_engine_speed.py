"""The engine's speed-ups change no character: each is checked against citeproc-js run the plain way.

- Locales are given to citeproc-js only when an engine asks for them (bridge.js ``withLocales``)
  instead of all sixty up front; an engine whose locale falls back to another (de-AT reads de-DE,
  pt-BR reads pt-PT) gets it on a second try and formats exactly as with every locale given.
"""

from __future__ import annotations

import json

import pytest
from test_citation_golden import RECORDS

from archive.citation import LOCALES, STYLES
from archive.citation.citeproc_js import CiteprocJS, locale_files
from archive.citation.csl import to_csl_json
from archive.citation.formatted import load_style


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return [to_csl_json(r, archive_name="Test Archive") for r in RECORDS.values()]


@pytest.mark.parametrize(
    "style, lang", [("apa", "de-AT"), ("chicago-author-date", "pt-BR"), ("mla", "en-GB")]
)
def test_locales_given_on_demand_format_as_all_locales_given_up_front(items, style, lang):
    xml = load_style(style).xml
    every = CiteprocJS()
    lazy = CiteprocJS()
    try:
        every._give_locales(list(locale_files()))
        expected = every.bibliography(every.add_style(xml), lang, True, items)
        got = lazy.bibliography(lazy.add_style(xml), lang, True, items)
        assert got == expected
        assert lazy.each(lazy.add_style(xml), lang, True, items) == every.each(
            every.add_style(xml), lang, True, items
        )
        assert "en-US" in lazy._locales and len(lazy._locales) <= 4  # only what the engine asked for
    finally:
        every.close()
        lazy.close()


def test_a_fallback_locale_is_fetched_on_a_second_try(items):
    lazy = CiteprocJS()
    try:
        lazy.bibliography(lazy.add_style(load_style("apa").xml), "de-AT", True, items[:2])
        assert {"en-US", "de-AT", "de-DE"} <= lazy._locales
    finally:
        lazy.close()


# A bibliography formatted in two parts (archive/citation/parallel.py): the parts, each on its own
# engine, put back in order, against citeproc-js formatting the whole list at once, in every style
# offered, on the golden collection, the speed bench's first 500 records (many surnames and years) and
# the export bench's first 500 (eight surnames over 36 years: year-suffix groups).


def _bench_records() -> list[dict]:
    import bench_citations

    return bench_citations.many_records(500)


def _catalogue_records() -> list[dict]:
    import random
    from types import SimpleNamespace

    from catalog_fixture import make_record

    rng = random.Random(7)
    arc = SimpleNamespace(settings=SimpleNamespace(id_prefix="ART"))
    return [make_record(arc, sequence, rng) for sequence in range(1, 501)]


RECORD_SETS = {
    "golden": lambda: list(RECORDS.values()),
    "bench": _bench_records,
    "catalogue": _catalogue_records,
}


@pytest.fixture(scope="module")
def bench_path():
    import sys
    from pathlib import Path

    folder = str(Path(__file__).resolve().parents[1] / "bench")
    sys.path.insert(0, folder)
    yield
    sys.path.remove(folder)


@pytest.mark.parametrize("records", sorted(RECORD_SETS))
@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_bibliography_in_two_parts_is_the_whole_bibliography(bench_path, style, records):
    from archive.citation import parallel
    from archive.citation.formatted import _engine_call, _in_parts

    chosen = load_style(style)
    items = [to_csl_json(r, archive_name="Test Archive") for r in RECORD_SETS[records]()]
    if style not in parallel.PROVEN_STYLES:
        assert not parallel.can_split(style, chosen.xml, 10_000)
        return
    assert parallel.can_split(style, chosen.xml, len(items)) == (len(items) >= parallel.MIN_ITEMS)
    sizes = sorted(len(part) for part in parallel.split(items, chosen.xml))
    assert len(sizes) == 2 and sizes[0] >= len(items) // 4, sizes  # both engines get real work
    for lang in LOCALES if records == "golden" else ["en-US"]:
        whole = _engine_call(chosen, lambda cite, key, lang=lang: cite.bibliography(key, lang, True, items))
        assert _in_parts(chosen, lang, items) == whole, lang


def test_a_style_that_leaves_an_entry_out_is_formatted_whole():
    """citeproc-js names every item in makeBibliography's ids but returns only the entries that
    print, so with one left out (chicago-note-bibliography drops an authorless, placeless item) no
    entry's id is known: the parts are not used and the whole list is formatted instead."""
    from archive.citation.formatted import _engine_call, _in_parts

    chosen = load_style("chicago-note-bibliography")
    items = [to_csl_json(r, archive_name="Test Archive") for r in RECORDS.values()]
    whole = _engine_call(chosen, lambda cite, key: cite.bibliography(key, "en-US", True, items))
    assert len(whole) < len(items)  # the collection holds such an item
    assert _in_parts(chosen, "en-US", items) is None


# The engine is built without the style's citation <sort> (bridge.js styleForEngine): what that
# builds, citation_sort, is read only when in-text citation clusters are processed, which the
# archive never asks for. Built both ways, every other part of the engine's state is the same.
SNAPSHOT_JS = """
function archiveSnapshot(xml, stripped) {
    var locale = archiveTestLocale;
    var sys = {retrieveLocale: function () { return locale; }, retrieveItem: function () { return null; }};
    var engine = new CSL.Engine(sys, stripped ? archiveCite.styleForEngine(xml) : xml, "en-US", true);
    var seen = [];
    function plain(key, value) {
        if (typeof value === "function") { return "function"; }
        if (value instanceof RegExp) { return String(value); }
        if (value && typeof value === "object") {
            if (seen.indexOf(value) >= 0) { return "seen"; }
            seen.push(value);
            if (!Array.isArray(value)) {
                var sorted = {};
                Object.keys(value).sort().forEach(function (k) { sorted[k] = value[k]; });
                return sorted;
            }
        }
        return value;
    }
    var opt = Object.assign({}, engine.opt);
    delete opt.sort_citations;  // set when the citation sort is built; nothing reads it
    var parts = {
        opt: opt, citation: engine.citation.opt, bibliography: engine.bibliography.opt,
        bibliography_sort: engine.bibliography_sort.opt, build: engine.build, locale: engine.locale,
        macros: Object.keys(engine.macros).sort().map(function (name) {
            return [name, engine.macros[name].length];
        }),
        tokens: [engine.citation.tokens.length, engine.bibliography.tokens.length,
                 engine.bibliography_sort.tokens.length, engine.intext.tokens.length]
    };
    var out = {};
    for (var name in parts) { seen = []; out[name] = JSON.stringify(parts[name], plain); }
    out.citationSortTokens = engine.citation_sort.tokens.length;
    return JSON.stringify(out);
}
"""


@pytest.mark.parametrize("style", sorted(STYLES))
def test_an_engine_built_without_the_citation_sort_is_otherwise_the_same(style):
    cite = CiteprocJS()
    try:
        cite._ctx.eval(SNAPSHOT_JS)
        en_us = locale_files()["en-US"].read_text(encoding="utf-8")
        cite._ctx.eval(f"var archiveTestLocale = {json.dumps(en_us)};")
        xml = load_style(style).xml
        whole = json.loads(cite._ctx.call("archiveSnapshot", xml, False))
        stripped = json.loads(cite._ctx.call("archiveSnapshot", xml, True))
        assert stripped.pop("citationSortTokens") == 0
        has_sort = whole.pop("citationSortTokens") > 0
        assert has_sort == (style in {"apa", "harvard", "ieee"})  # the styles with a citation <sort>
        assert stripped == whole
    finally:
        cite.close()
