"""The main screen: the table, search as you type, the status filter, refresh, detail tabs, help."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TabbedContent
from tui_helpers import make_app, screen_text, settle, wait_for_screen, wait_for_text, wait_until

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
        await wait_for_text(pilot, "✓ valid")  # the Metadata tab, with the record's validation state
        text = screen_text(app)
        assert "Russia's ambassador" in text and "catalogued" in text


async def search_for(pilot, app, query: str) -> None:
    """Press / and type, as an archivist would; the keys wait for the focus to reach the box
    (focus moves through the message queue, and a letter reaching the table runs its action)."""
    await pilot.press("slash")
    search = app.main_screen.query_one("#search")
    await wait_until(lambda: app.focused is search, pilot, "focus on the search box")
    await pilot.press(*query)


async def typed(pilot, app, query: str, ids: list[str]) -> None:
    """Wait until the search box holds ``query`` and the table lists exactly ``ids``."""
    table = app.main_screen.table
    await wait_until(lambda: app.main_screen.query_text == query and [r["id"] for r in table.rows] == ids,
                     pilot, f"the search {query!r} to list {ids}")


async def test_search_as_you_type_narrows_and_clears(seeded_root, article):
    first = open_archive(seeded_root).store.ids()[0]
    second = add_second(seeded_root, article)
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(RecordTable)
        assert len(table.rows) == 2
        await search_for(pilot, app, "harbour")
        await typed(pilot, app, "harbour", [second])
        assert isinstance(app.focused, Input)
        await pilot.press("backspace", *"xx")
        await typed(pilot, app, "harbouxx", [])
        await wait_for_text(pilot, "No records match")
        await pilot.press("escape")
        await typed(pilot, app, "", [first, second])
        await search_for(pilot, app, "karlov assassination")  # subjects are searched too
        await typed(pilot, app, "karlov assassination", [first])


async def test_filter_by_status(seeded_root, article):
    second = add_second(seeded_root, article)
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(RecordTable)
        await pilot.press("f")
        await wait_for_screen(pilot, StatusFilterScreen)
        await pilot.press("down", "enter")  # the first status after "all": draft
        await wait_until(lambda: [r["id"] for r in table.rows] == [second], pilot, "only the draft record")
        await wait_for_text(pilot, "status draft")
        await pilot.press("f")
        await wait_for_screen(pilot, StatusFilterScreen)
        await pilot.press("home", "enter")
        await wait_until(lambda: len(table.rows) == 2, pilot, "every record listed again")


async def test_refresh_shows_changes_made_by_the_cli(seeded_root, cli):
    app = make_app(seeded_root)
    record_id = open_archive(seeded_root).store.ids()[0]
    async with app.run_test(size=(100, 30)) as pilot:
        result = cli("--root", seeded_root, "edit", record_id, "--set", "title=Retitled by the CLI")
        assert result.code == 0, result
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        table = app.screen.query_one(RecordTable)
        await wait_until(lambda: table.rows[0]["title"] == "Retitled by the CLI", pilot, "the new title")
        await wait_for_text(pilot, "Retitled by the CLI")


async def test_history_key_opens_the_events(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("h")
        tabs = app.screen.query_one(TabbedContent)
        await wait_until(lambda: tabs.active == "tab-history", pilot, "the History tab")
        await wait_until(lambda: "capture" in screen_text(app), pilot, "the capture event on screen")


async def test_text_tab_highlights_search_hits(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await search_for(pilot, app, "ankara")
        await pilot.press("enter")
        await wait_until(lambda: not isinstance(app.focused, Input), pilot, "the search to be submitted")
        await settle(pilot, app)
        tabs = app.screen.query_one(TabbedContent)
        tabs.active = "tab-text"
        await wait_until(lambda: tabs.query_one("ContentSwitcher").current == "tab-text", pilot,
                         "the Text tab to be shown")
        shown = app.screen.detail.text_shown
        hits = [shown.plain[s.start:s.end] for s in shown.spans if s.style == "reverse"]
        assert hits and all(h.casefold() == "ankara" for h in hits)


async def test_help_lists_every_key_and_closes(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpScreen)
        await wait_for_text(pilot, KEY_ACTIONS[0].name)
        text = screen_text(app)
        assert [entry.name for entry in KEY_ACTIONS if entry.name not in text] == []
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, HelpScreen), pilot, "the help screen to close")


async def open_palette_and_run(pilot, app, name: str) -> None:
    """Open the command palette, type ``name``, wait until it is the highlighted hit, run it."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    palette = await wait_for_screen(pilot, CommandPalette)
    await pilot.press(*name)
    hits = palette.query_one(CommandList)

    def highlighted() -> str:
        if hits.highlighted is None or not hits.option_count:
            return ""
        return str(hits.get_option_at_index(hits.highlighted).prompt)

    await wait_until(lambda: highlighted().startswith(name), pilot, f"{name!r} highlighted in the palette")
    await pilot.press("enter")
    await wait_until(lambda: app.screen is not palette, pilot, "the palette to close")


async def test_every_action_is_in_the_command_palette(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        ours = [entry.name for entry in KEY_ACTIONS if entry.action != "quit"]
        # Textual's own commands (Quit, Keys, Theme...) name none of ours: each one must be there.
        assert [name for name in ours if name not in titles] == []


async def test_a_palette_command_runs_its_action(seeded_root, article):
    second = add_second(seeded_root, article)
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await open_palette_and_run(pilot, app, "Filter by status")
        await wait_for_screen(pilot, StatusFilterScreen)
        await pilot.press("down", "enter")  # the first status after "all": draft
        table = app.main_screen.table
        await wait_until(lambda: [r["id"] for r in table.rows] == [second], pilot,
                         "only the draft record listed")
        await open_palette_and_run(pilot, app, "Help: every key")
        await wait_for_screen(pilot, HelpScreen)


async def test_quit_from_the_palette_asks_about_an_unsaved_form(seeded_root):
    """Textual's own palette command "Quit" runs our action_quit, which guards unsaved edits."""
    from tui.screens.confirm import ChoiceScreen
    from tui.screens.record_form import RecordFormScreen

    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        form = await wait_for_screen(pilot, RecordFormScreen)
        title = form.query_one("#f-title Input", Input)
        title.value = "Changed but not saved"
        await wait_until(lambda: form.is_dirty, pilot, "the form to count the change")
        await open_palette_and_run(pilot, app, "Quit")
        await wait_for_screen(pilot, ChoiceScreen, "the unsaved-changes question")
        await wait_for_text(pilot, "not saved")
        assert app.return_code is None


async def test_footer_hides_record_keys_while_typing_a_search(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await wait_until(lambda: "e Edit" in screen_text(app), pilot, "the footer to offer e Edit")
        await pilot.press("slash")
        await wait_until(lambda: "e Edit" not in screen_text(app), pilot,
                         "the footer to hide e Edit while typing a search")
        assert "Refresh" in screen_text(app)  # the one key that still applies


async def test_quit_key(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await wait_until(lambda: app.return_code is not None, pilot, "the app to exit")
        assert app.return_code == 0
