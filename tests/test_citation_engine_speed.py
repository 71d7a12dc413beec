"""The engine's speed-ups change no character: each is checked against citeproc-js run the plain way.

- Locales are given to citeproc-js only when an engine asks for them (bridge.js ``withLocales``)
  instead of all sixty up front; an engine whose locale falls back to another (de-AT reads de-DE,
  pt-BR reads pt-PT) gets it on a second try and formats exactly as with every locale given.
"""

from __future__ import annotations

import json

import pytest
from test_citation_golden import RECORDS

from archive.citation import STYLES
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
