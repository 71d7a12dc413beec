"""The engine's speed-ups change no character: each is checked against citeproc-js run the plain way.

- Locales are given to citeproc-js only when an engine asks for them (bridge.js ``withLocales``)
  instead of all sixty up front; an engine whose locale falls back to another (de-AT reads de-DE,
  pt-BR reads pt-PT) gets it on a second try and formats exactly as with every locale given.
"""

from __future__ import annotations

import pytest
from test_citation_golden import RECORDS

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
