"""Issue 10: a TUI worker that catches an exception logs it, with the traceback for a bug, besides
showing it in plain words."""

from __future__ import annotations

import logging
from pathlib import Path

from textual.widgets import Input, Static
from tui_helpers import make_app, settle, wait_for_notice, wait_for_screen, wait_until

from tui import library
from tui.screens.deposit import DepositScreen


def _logged(caplog, text: str) -> logging.LogRecord:
    """The one record whose message names ``text``; a bug's record carries its traceback."""
    found = [r for r in caplog.records if r.name.startswith("tui.") and text in r.getMessage()]
    assert len(found) == 1, [r.getMessage() for r in caplog.records]
    return found[0]


async def test_a_job_worker_logs_the_traceback_of_an_unexpected_failure(seeded_root, monkeypatch, caplog):
    def broken(arc, **kwargs):
        raise RuntimeError("boom in verify")

    monkeypatch.setattr(library, "verify_archive", broken)
    caplog.set_level(logging.INFO, logger="tui")
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("V")
        await wait_for_notice(pilot, "Verifying stopped on an unexpected problem: boom in verify")
        await app.workers.wait_for_complete()
    record = _logged(caplog, "Verifying")
    assert record.levelno == logging.ERROR
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert "boom in verify" in caplog.text and "Traceback" in caplog.text


async def test_a_job_worker_logs_an_archive_error_it_shows(seeded_root, monkeypatch, caplog):
    from archive.errors import ArchiveError

    def refused(arc, **kwargs):
        raise ArchiveError("the catalogue is locked by another process")

    monkeypatch.setattr(library, "verify_archive", refused)
    caplog.set_level(logging.INFO, logger="tui")
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("V")
        await wait_for_notice(pilot, "the catalogue is locked by another process")
        await app.workers.wait_for_complete()
    record = _logged(caplog, "locked by another process")
    assert record.levelno == logging.WARNING


async def test_the_deposit_worker_logs_the_traceback_of_an_unexpected_failure(
        seeded_root, tmp_path, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom in deposit")

    monkeypatch.setattr(library, "deposit_records", broken)
    caplog.set_level(logging.INFO, logger="tui")
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        await wait_for_screen(pilot, DepositScreen)
        app.screen.query_one("#deposit-to", Input).value = str(tmp_path / "out")
        app.screen.query_one("#deposit").press()
        outcome = app.screen.query_one("#deposit-outcome", Static)
        await wait_until(lambda: "boom in deposit" in str(outcome.render()), pilot, "the deposit's outcome")
        await app.workers.wait_for_complete()
    record = _logged(caplog, "deposit")
    assert record.levelno == logging.ERROR
    assert record.exc_info and record.exc_info[0] is RuntimeError


def test_the_tui_logs_to_a_file_under_the_archive_only_when_something_is_logged(archive_root):
    from tui.__main__ import _log_to_file

    logger = logging.getLogger("tui")
    before = list(logger.handlers)
    _log_to_file(archive_root)
    try:
        [handler] = [h for h in logger.handlers if h not in before]
        path = Path(handler.baseFilename)
        assert path.parent == (archive_root / "logs").resolve() and not path.exists()
        try:
            raise RuntimeError("boom in a worker")
        except RuntimeError:
            logging.getLogger("tui.screens.main").exception("Bagging stopped on an unexpected problem")
        handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "Bagging stopped on an unexpected problem" in text
        assert "Traceback" in text and "RuntimeError: boom in a worker" in text
    finally:
        for extra in [h for h in logger.handlers if h not in before]:
            logger.removeHandler(extra)
            extra.close()
