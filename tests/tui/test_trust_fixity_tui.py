"""Issue 9 in the TUI: a fast check shows as fast, and a tampered working copy is not shown as text."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TabbedContent
from tui_helpers import make_app, screen_text, settle, wait_for_screen, wait_until

from archive.bagging import bag_records
from archive.catalog import get_record
from archive.fixity.verify import verify_archive
from archive.layout import open_archive
from tui.widgets.record_table import RecordTable


def bagged(root: Path) -> str:
    arc = open_archive(root)
    [record_id] = arc.store.ids()
    bag_records(arc, [record_id])
    return record_id


async def test_a_fast_check_is_marked_fast_and_a_full_one_is_not(seeded_root):
    bagged(seeded_root)
    assert verify_archive(open_archive(seeded_root), fast=True, jobs=1).ok
    app = make_app(seeded_root)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        assert app.screen.query_one(RecordTable).rows[0]["fixity_mode"] == "fast"
        assert "✓ fast 20" in screen_text(app)
        app.screen.query_one(TabbedContent).active = "tab-bags"
        await wait_until(lambda: "success fast" in screen_text(app), pilot, "the Bags tab")
        assert "last full check never" in screen_text(app)
    assert verify_archive(open_archive(seeded_root), jobs=1).ok
    app = make_app(seeded_root)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "✓ 20" in text and "fast" not in text


async def test_a_tampered_working_copy_is_refused_in_the_text_tab(seeded_root):
    record_id = bagged(seeded_root)
    record = get_record(open_archive(seeded_root), record_id)
    source = seeded_root / "sources" / record_id / record["source"]["filename"]
    with open(source, "ab") as handle:
        handle.write(b"INJECTED PARAGRAPH\n")
    app = make_app(seeded_root)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        app.screen.query_one(TabbedContent).active = "tab-text"
        await wait_until(lambda: "does not match" in screen_text(app), pilot, "the Text tab's refusal")
        text = screen_text(app)
        assert "INJECTED" not in text
        assert "does not match" in text


async def test_verify_from_the_app_names_a_tampered_working_copy_and_refuses_to_export_into_the_archive(
        seeded_root):
    from helpers import snapshot_tree
    from textual.widgets import Input

    from tui.screens.verify_results import SavePathScreen, VerifyResultsScreen

    record_id = bagged(seeded_root)
    record = get_record(open_archive(seeded_root), record_id)
    source = seeded_root / "sources" / record_id / record["source"]["filename"]
    with open(source, "ab") as handle:
        handle.write(b"INJECTED PARAGRAPH\n")
    app = make_app(seeded_root)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await wait_for_screen(pilot, VerifyResultsScreen, "the verify results", focused=False)
        await settle(pilot, app)
        await wait_until(lambda: "1 working copy failed" in screen_text(app), pilot, "the failed copy")
        text = screen_text(app)
        assert "1 working copy failed" in text and f"sources/{record_id}/{source.name}" in text
        before = snapshot_tree(seeded_root)
        await pilot.press("e")
        await wait_for_screen(pilot, SavePathScreen, "the save dialog")
        app.screen.query_one(Input).value = str(seeded_root / "catalog" / "records" / "000000.json")
        await pilot.press("enter")

        def notes() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await wait_until(lambda: any("catalog/" in n and "only the archive itself writes" in n
                                     for n in notes()), pilot, "the refusal to write into the archive")
        await wait_for_screen(pilot, VerifyResultsScreen, "the results again", focused=False)
        assert snapshot_tree(seeded_root) == before
