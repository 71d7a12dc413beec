"""The citation tab formats with the style and locale chosen, exactly as citeproc-js does."""

from __future__ import annotations

import json
import time
from pathlib import Path

from textual.widgets import Select, Static, TabbedContent
from tui_helpers import make_app, settle

FIXTURES = Path(__file__).parents[1] / "fixtures" / "citations"


def golden(record_id: str, style: str, locale: str) -> str:
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    for entry in expected["entries"]:
        if (entry["record"], entry["style"], entry["locale"]) == (record_id, style, locale):
            return entry["text"]
    raise AssertionError(f"no golden string for {record_id} {style} {locale}")


async def shown_citation(pilot, app, wanted: str) -> str:
    """Wait until the citation tab shows ``wanted`` (formatting is synchronous but events queue)."""
    static = app.screen.query_one("#citation", Static)
    deadline = time.monotonic() + 120  # only guards a hang
    while time.monotonic() < deadline:
        await pilot.pause()
        text = str(static.render())
        if wanted in text:
            return text
    return str(static.render())


async def test_the_citation_tab_uses_the_chosen_style_and_locale(seeded_root):
    # The seed record cites like golden record ART-2020-000003 (same type, title, date, language).
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.query_one(TabbedContent).active = "tab-citation"
        apa = golden("ART-2020-000003", "apa", "en-US")
        assert apa in await shown_citation(pilot, app, apa)
        app.screen.query_one("#citation-style", Select).value = "mla"
        app.screen.query_one("#citation-locale", Select).value = "fr-FR"
        mla_fr = golden("ART-2020-000003", "mla", "fr-FR")
        assert mla_fr in await shown_citation(pilot, app, mla_fr)
