"""The main screen: the table, search as you type, the status filter, refresh, detail tabs, help."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TabbedContent
from tui_helpers import make_app, screen_text, settle

from archive.catalog import NewArticle, add_article
from archive.layout import open_archive
from tui.keys import KEY_ACTIONS
from tui.screens.filter import StatusFilterScreen
from tui.screens.help import HelpScreen
from tui.widgets.record_table import RecordTable


def add_second(root: Path, article: Path) -> str:
    """A second record, in draft. The status is the archive's to set (add refuses a given one),
    so the test puts it there through the store, as a command owning it would."""
    arc = open_archive(root)
    record_id = add_article(arc, NewArticle(article, {"title": "Harbour strike"}))["id"]
    with arc.store.transaction() as tx:
        record = tx.get(record_id)
        record["status"] = "draft"
        tx.update(record)
    return record_id


async def test_table_lists_records_and_detail_shows_the_selected_one(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(RecordTable)
        assert [r["id"] for r in table.rows] == open_archive(seeded_root).store.ids()
        text = screen_text(app)
        assert "Russia's ambassador" in text and "catalogued" in text
        assert "✓ valid" in text  # the Metadata tab, with the record's validation state


async def test_search_as_you_type_narrows_and_clears(seeded_root, article):
    second = add_second(seeded_root, article)
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(RecordTable)
        assert len(table.rows) == 2
        await pilot.press("slash", *"harbour")
        assert isinstance(app.focused, Input)
        assert [r["id"] for r in table.rows] == [second]
        await pilot.press("backspace", *"xx")
        assert table.rows == []
        assert "No records match" in screen_text(app)
        await pilot.press("escape")
        assert len(table.rows) == 2
        await pilot.press("slash", *"karlov assassination")  # subjects are searched too
        assert len(table.rows) == 1 and table.rows[0]["id"] != second


async def test_filter_by_status(seeded_root, article):
    second = add_second(seeded_root, article)
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(RecordTable)
        await pilot.press("f")
        assert isinstance(app.screen, StatusFilterScreen)
        await pilot.press("down", "enter")  # the first status after "all": draft
        assert [r["id"] for r in table.rows] == [second]
        assert "status draft" in screen_text(app)
        await pilot.press("f", "home", "enter")
        assert len(table.rows) == 2


async def test_refresh_shows_changes_made_by_the_cli(seeded_root, cli):
    app = make_app(seeded_root)
    record_id = open_archive(seeded_root).store.ids()[0]
    async with app.run_test(size=(100, 30)) as pilot:
        result = cli("--root", seeded_root, "edit", record_id, "--set", "title=Retitled by the CLI")
        assert result.code == 0, result
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert app.screen.query_one(RecordTable).rows[0]["title"] == "Retitled by the CLI"
        assert "Retitled by the CLI" in screen_text(app)


async def test_history_key_opens_the_events(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("h")
        await pilot.pause(0.1)
        assert app.screen.query_one(TabbedContent).active == "tab-history"
        assert "capture" in screen_text(app)


async def test_text_tab_highlights_search_hits(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", *"ankara", "enter")
        await settle(pilot, app)
        app.screen.query_one(TabbedContent).active = "tab-text"
        await pilot.pause(0.1)
        shown = app.screen.detail.text_shown
        hits = [shown.plain[s.start:s.end] for s in shown.spans if s.style == "reverse"]
        assert hits and all(h.casefold() == "ankara" for h in hits)


async def test_help_lists_every_key_and_closes(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for entry in KEY_ACTIONS:
            assert entry.name in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_every_action_is_in_the_command_palette(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)):
        names = {c.title for c in app.get_system_commands(app.screen)}
        for entry in KEY_ACTIONS:
            if entry.action != "quit":
                assert entry.name in names
        assert "Quit the application" in names or "Quit" in " ".join(names)


async def test_footer_hides_record_keys_while_typing_a_search(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.pause(0.2)
        assert "e Edit" in screen_text(app)
        await pilot.press("slash")
        await pilot.pause(0.1)
        assert "e Edit" not in screen_text(app)


async def test_quit_key(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause(0.1)
        assert app._exit or not app.is_running
