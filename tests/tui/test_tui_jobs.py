"""Long work from the app: bag, verify (with a tampered file, and cancelled), deposit, export."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from textual.widgets import Input, Select
from tui_helpers import make_app, screen_text, settle

from archive.bagging import bag_records
from archive.catalog import NewArticle, add_article, get_record
from archive.layout import open_archive
from tui import library
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
        await settle(pilot, app)
        row = app.screen.query_one(RecordTable).rows[0]
        assert row["bag_version"] == 1 and row["status"] == "bagged"
        assert "· not checked" in screen_text(app)
    assert get_record(open_archive(seeded_root), record_id)["bags"][0]["version"] == 1


async def test_verify_names_the_tampered_file_and_marks_the_failure(seeded_root, tmp_path):
    [record_id] = bagged_archive(seeded_root)
    name = tamper(seeded_root, record_id)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await settle(pilot, app)
        assert isinstance(app.screen, VerifyResultsScreen)
        text = screen_text(app)
        assert "✗ FAILED" in text and "changed" in text and name in text
        assert "failure 1" in text
        await pilot.press("e")
        assert isinstance(app.screen, SavePathScreen)
        target = tmp_path / "report.json"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert '"outcome": "failure"' in target.read_text(encoding="utf-8")
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, MainScreen)
        row = app.screen.query_one(RecordTable).rows[0]
        assert row["fixity_outcome"] == "failure"
        assert "✗ 20" in screen_text(app)  # a mark before the date, not colour alone


async def test_escape_cancels_a_long_verify(seeded_root, article, monkeypatch):
    bagged_archive(seeded_root, article)
    real = library.verify_archive
    first_bag_done = threading.Event()

    def slow_verify(arc, **kwargs):
        """The real verification, held after the first bag until the app cancels it."""
        progress, cancel = kwargs["progress"], kwargs["cancel"]

        def gated(*args):
            progress(*args)
            if args[0] >= 1:
                first_bag_done.set()
                deadline = time.monotonic() + 10
                while not cancel() and time.monotonic() < deadline:
                    time.sleep(0.01)

        return real(arc, **{**kwargs, "progress": gated})

    monkeypatch.setattr(library, "verify_archive", slow_verify)
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("V")
        for _ in range(200):
            if first_bag_done.is_set():
                break
            await pilot.pause(0.05)
        assert "Esc cancels" in screen_text(app)
        await pilot.press("down")  # the table still moves while verify runs
        assert app.screen.query_one(RecordTable).cursor_row == 1
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, VerifyResultsScreen)
        assert app.screen.data["cancelled"] is True
        assert app.screen.data["totals"]["checked"] < 2
        assert "Cancelled before every bag was checked" in screen_text(app)


async def test_export_the_citation(seeded_root, tmp_path):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("x")
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#export-format", Select).value = "bibtex"
        await pilot.pause(0.1)
        target = tmp_path / "cite.bib"
        app.screen.query_one("#export-path", Input).value = str(target)
        app.screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, MainScreen)
    assert target.read_text(encoding="utf-8").lstrip().startswith("@")


async def test_export_to_a_missing_folder_is_refused_in_plain_words(seeded_root, tmp_path):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("x")
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "nowhere" / "c.bib")
        app.screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, ExportScreen)
        assert "No folder" in screen_text(app)


async def deposit_finished(pilot, app) -> None:
    """The button's handler starts a worker on the next message; wait for it, then for its outcome."""
    for _ in range(200):
        await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        if not app.screen.has_class("-running") and "Depositing" not in screen_text(app):
            return
    raise AssertionError("the deposit never finished")


async def test_deposit_writes_the_bag_and_shows_the_outcome(seeded_root, tmp_path):
    from tui.screens.deposit import DepositScreen

    [record_id] = bagged_archive(seeded_root)
    app = make_app(seeded_root)
    target = tmp_path / "out"
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        assert isinstance(app.screen, DepositScreen)
        app.screen.query_one("#deposit-format", Select).value = "zip"
        app.screen.query_one("#deposit-to", Input).value = str(target)
        app.screen.query_one("#deposit").press()
        await deposit_finished(pilot, app)
        assert f"✓ {record_id} v1" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen.query_one(RecordTable).rows[0]["status"] == "deposited"
    assert (target / f"{record_id}_v1.zip").is_file()


async def test_deposit_of_an_unbagged_record_is_refused_with_the_reason(seeded_root, tmp_path):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        app.screen.query_one("#deposit-to", Input).value = str(tmp_path / "out")
        app.screen.query_one("#deposit").press()
        await deposit_finished(pilot, app)
        assert "not deposited" in screen_text(app) and "has no bag yet" in screen_text(app)
