"""The citation tab formats with the style and locale chosen, exactly as citeproc-js does, in a
worker thread, so the UI answers keys while citeproc-js builds a style (0.75-2 s the first time)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from textual.widgets import Select, Static, TabbedContent
from tui_helpers import HANG, make_app, settle, wait_for_text, wait_until

from archive.citation.citeproc_js import ATTRIBUTION
from tui import library

FIXTURES = Path(__file__).parents[1] / "fixtures" / "citations"


def golden(record_id: str, style: str, locale: str) -> str:
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    for entry in expected["entries"]:
        if (entry["record"], entry["style"], entry["locale"]) == (record_id, style, locale):
            return entry["text"]
    raise AssertionError(f"no golden string for {record_id} {style} {locale}")


def citation_shown(app) -> str:
    return str(app.screen.query_one("#citation", Static).render())


async def shown_citation(pilot, app, wanted: str) -> str:
    """Wait until the citation tab shows ``wanted`` (the worker's result arrives as an event)."""
    await wait_until(lambda: wanted in citation_shown(app), pilot, f"the citation {wanted!r}")
    return citation_shown(app)


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


async def test_the_citation_is_formatted_off_the_ui_thread_and_says_so_meanwhile(seeded_root, monkeypatch):
    """While citeproc-js works, the tab says "formatting…", keys still work, and the citation
    replaces the notice when it is ready. The formatter is held until the test lets it go."""
    release = threading.Event()
    real = library.format_citation
    calls: list[str] = []

    def held(*args, **kwargs):
        calls.append(threading.current_thread().name)
        if threading.current_thread() is threading.main_thread():
            raise AssertionError("the citation was formatted on the UI thread")
        assert release.wait(HANG), "the test never released the formatter"
        return real(*args, **kwargs)

    monkeypatch.setattr(library, "format_citation", held)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        tabs = app.screen.query_one(TabbedContent)
        tabs.active = "tab-citation"
        await wait_until(lambda: citation_shown(app) == "formatting…", pilot, "the formatting notice")
        await wait_for_text(pilot, ATTRIBUTION)  # the engine's licence (CPAL Exhibit B) asks for it
        # The UI thread is free: another tab opens and shows its content while the formatter waits.
        tabs.active = "tab-metadata"
        await wait_for_text(pilot, "every field passes the record schema")
        assert citation_shown(app) == "formatting…"
        tabs.active = "tab-citation"
        release.set()
        apa = golden("ART-2020-000003", "apa", "en-US")
        await shown_citation(pilot, app, apa)
        await wait_for_text(pilot, apa[:40])
    assert calls and all(name != threading.main_thread().name for name in calls)


async def test_a_late_citation_for_an_earlier_style_is_not_shown(seeded_root, monkeypatch):
    """Switching style while the first style is still formatting shows only the second's result."""
    first_started, release_first = threading.Event(), threading.Event()
    real = library.format_citation

    def slow_apa(record, style, *args):
        if style == "apa":
            first_started.set()
            assert release_first.wait(HANG), "the test never released the apa formatter"
        return real(record, style, *args)

    monkeypatch.setattr(library, "format_citation", slow_apa)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.query_one(TabbedContent).active = "tab-citation"
        await wait_until(first_started.is_set, pilot, "the apa citation to start formatting")
        app.screen.query_one("#citation-style", Select).value = "mla"
        mla = golden("ART-2020-000003", "mla", "en-US")
        await shown_citation(pilot, app, mla)
        release_first.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert mla in citation_shown(app)
        assert golden("ART-2020-000003", "apa", "en-US") not in citation_shown(app)


async def test_an_edit_of_the_type_from_the_cli_re_renders_the_open_citation_tab(seeded_root, cli):
    """``archive edit --set type=…`` in another process; F5 (or the auto-refresh) re-renders the tab."""
    from archive.citation import format_citation
    from archive.layout import open_archive

    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.query_one(TabbedContent).active = "tab-citation"
        app.screen.query_one("#citation-style", Select).value = "ieee"
        before = golden("ART-2020-000003", "ieee", "en-US")
        await shown_citation(pilot, app, before)
        record_id = open_archive(seeded_root).store.ids()[0]
        assert cli("--root", seeded_root, "edit", record_id, "--set", "type=webpage").code == 0
        edited = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
        after = format_citation(edited, "ieee", archive_name="Test Archive")
        assert after != before  # IEEE cites the seed differently as a web page
        await pilot.press("f5")
        await shown_citation(pilot, app, after)
