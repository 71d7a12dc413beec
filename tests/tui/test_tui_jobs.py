"""Long work from the app: bag, verify (with a tampered file, and cancelled), deposit, export."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.widgets import Input, Select, Static
from tui_helpers import (
    block_until_cancelled,
    focus,
    make_app,
    screen_text,
    settle,
    wait_for_screen,
    wait_for_text,
    wait_until,
)

from archive.bagging import bag_records
from archive.catalog import NewArticle, add_article, get_record
from archive.layout import open_archive
from tui import library
from tui.screens.deposit import DepositScreen
from tui.screens.export import ExportScreen
from tui.screens.main import MainScreen
from tui.screens.verify_results import SavePathScreen, VerifyResultsScreen
from tui.widgets.record_table import RecordTable


def bagged_archive(root: Path, extra: Path | None = None) -> list[str]:
    arc = open_archive(root)
    if extra is not None:
        add_article(arc, NewArticle(extra, {"title": "Harbour strike"}))
    ids = arc.store.ids()
    bag_records(arc, ids)
    return ids


def tamper(root: Path, record_id: str) -> str:
    record = get_record(open_archive(root), record_id)
    payload = root / record["bags"][-1]["path"] / "data" / "source" / record["source"]["filename"]
    with open(payload, "ab") as handle:
        handle.write(b"tampered\n")
    return payload.name


async def test_bag_the_selected_record(seeded_root):
    app = make_app(seeded_root)
    record_id = open_archive(seeded_root).store.ids()[0]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("b")
        table = app.screen.query_one(RecordTable)
        await wait_until(lambda: table.rows[0]["status"] == "bagged", pilot, "the record to be bagged")
        await settle(pilot, app)
        assert table.rows[0]["bag_version"] == 1
        await wait_for_text(pilot, "· not checked")
    assert get_record(open_archive(seeded_root), record_id)["bags"][0]["version"] == 1


async def test_verify_names_the_tampered_file_and_marks_the_failure(seeded_root, tmp_path):
    [record_id] = bagged_archive(seeded_root)
    name = tamper(seeded_root, record_id)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await wait_for_screen(pilot, VerifyResultsScreen, "the verify results")
        await wait_for_text(pilot, "failure 1")
        text = screen_text(app)
        assert "✗ FAILED" in text and "changed" in text and name in text
        await pilot.press("e")
        save = await wait_for_screen(pilot, SavePathScreen)
        target = tmp_path / "report.json"
        save.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for_screen(pilot, VerifyResultsScreen, "the results again", focused=False)
        # The dialog is popped first; the report is written by its result callback, run next.
        await wait_until(target.exists, pilot, "the report to be written")
        assert '"outcome": "failure"' in target.read_text(encoding="utf-8")
        await pilot.press("escape")
        await wait_for_screen(pilot, MainScreen, focused=False)
        await settle(pilot, app)
        table = app.screen.query_one(RecordTable)
        await wait_until(lambda: table.rows[0]["fixity_outcome"] == "failure", pilot, "the failure listed")
        await wait_for_text(pilot, "✗ 20")  # a mark before the date, not colour alone


async def test_escape_cancels_a_long_verify(seeded_root, article, monkeypatch):
    bagged_archive(seeded_root, article)
    real = library.verify_archive
    first_bag_done = threading.Event()

    def slow_verify(arc, **kwargs):
        """The real verification, held after the first bag until the app cancels it."""
        progress, cancel = kwargs["progress"], kwargs["cancel"]

        def gated(step):
            progress(step)
            if step.done >= 1:
                first_bag_done.set()
                block_until_cancelled(cancel, "the verify")

        return real(arc, **{**kwargs, "progress": gated})

    monkeypatch.setattr(library, "verify_archive", slow_verify)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("V")
        await wait_until(first_bag_done.is_set, pilot, "the first bag to be verified")
        await wait_for_text(pilot, "Esc cancels")
        table = app.screen.query_one(RecordTable)
        await pilot.press("down")  # the table still moves while verify runs
        await wait_until(lambda: table.cursor_row == 1, pilot, "the cursor to move while verifying")
        await pilot.press("escape")
        results = await wait_for_screen(pilot, VerifyResultsScreen, "the verify results")
        assert results.data["cancelled"] is True
        assert results.data["totals"]["checked"] < 2
        await wait_for_text(pilot, "Cancelled before every bag was checked")


async def test_export_the_citation(seeded_root, tmp_path):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("x")
        export = await wait_for_screen(pilot, ExportScreen)
        export.query_one("#export-format", Select).value = "bibtex"
        path = export.query_one("#export-path", Input)
        # The format's change handler rewrites the path: wait for it before typing ours.
        await wait_until(lambda: path.value == export.default_path("bibtex"), pilot, "the .bib default path")
        target = tmp_path / "cite.bib"
        path.value = str(target)
        await focus(pilot, path)
        await pilot.press("enter")
        await wait_for_screen(pilot, MainScreen, "the dialog to close", focused=False)
    assert target.read_text(encoding="utf-8").lstrip().startswith("@")


async def test_export_to_a_missing_folder_is_refused_in_plain_words(seeded_root, tmp_path):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("x")
        export = await wait_for_screen(pilot, ExportScreen)
        path = export.query_one("#export-path", Input)
        path.value = str(tmp_path / "nowhere" / "c.bib")
        await focus(pilot, path)
        await pilot.press("enter")
        await wait_for_text(pilot, "No folder")
        assert isinstance(app.screen, ExportScreen)


async def deposit_finished(pilot, app) -> None:
    """The button's handler starts a worker on the next message, which ends by showing its
    outcome: wait until the outcome line holds something other than nothing or "Depositing…"."""
    outcome = app.screen.query_one("#deposit-outcome", Static)
    await wait_until(lambda: str(outcome.render()).strip() not in ("", "Depositing…"), pilot,
                     "the deposit's outcome")
    await app.workers.wait_for_complete()


async def test_deposit_writes_the_bag_and_shows_the_outcome(seeded_root, tmp_path):
    [record_id] = bagged_archive(seeded_root)
    app = make_app(seeded_root)
    target = tmp_path / "out"
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        await wait_for_screen(pilot, DepositScreen)
        app.screen.query_one("#deposit-format", Select).value = "zip"
        app.screen.query_one("#deposit-to", Input).value = str(target)
        app.screen.query_one("#deposit").press()
        await deposit_finished(pilot, app)
        await wait_for_text(pilot, f"✓ {record_id} v1")
        await pilot.press("escape")
        await wait_for_screen(pilot, MainScreen, focused=False)
        await settle(pilot, app)
        table = app.screen.query_one(RecordTable)
        await wait_until(lambda: table.rows[0]["status"] == "deposited", pilot, "the record deposited")
    assert (target / f"{record_id}_v1.zip").is_file()


async def test_deposit_of_an_unbagged_record_is_refused_with_the_reason(seeded_root, tmp_path):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        await wait_for_screen(pilot, DepositScreen)
        app.screen.query_one("#deposit-to", Input).value = str(tmp_path / "out")
        app.screen.query_one("#deposit").press()
        await deposit_finished(pilot, app)
        await wait_for_text(pilot, "has no bag yet")
        assert "not deposited" in screen_text(app)
