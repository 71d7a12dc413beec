"""The record form: add from a file, edit, live validation, refused saves, unsaved changes, stale edits."""

from __future__ import annotations

from textual.widgets import Input
from tui_helpers import make_app, screen_text, settle

from archive.catalog import edit_record, get_record
from archive.layout import open_archive
from tui.screens.confirm import ChoiceScreen
from tui.screens.main import MainScreen
from tui.screens.pick_file import PickFileScreen
from tui.screens.record_form import RecordFormScreen
from tui.widgets.fields import Editor
from tui.widgets.record_table import RecordTable


async def type_into(pilot, app, selector: str, text: str) -> None:
    """Clear a form field and type into it, as an archivist would."""
    field = app.screen.query_one(selector, Input)
    for _ in range(50):  # focus moves through the message queue, and a list rebuild may move it
        field.focus()
        await pilot.pause()
        if app.focused is field:
            break
    assert app.focused is field, f"focus is on {app.focused!r}, not {selector}"
    await pilot.press("home", "ctrl+k", *text)
    # The form validates on Input.Changed, a message handled after the key events; wait until
    # every widget has drained its queue, or a loaded machine reads the field before it updates.
    await pilot.pause()


async def open_editor(pilot, app) -> RecordFormScreen:
    await settle(pilot, app)
    await pilot.press("e")
    await pilot.pause(0.1)
    assert isinstance(app.screen, RecordFormScreen)
    return app.screen


async def test_edit_with_an_invalid_field_shows_the_message_and_refuses_to_save(seeded_root):
    app = make_app(seeded_root)
    record_id = open_archive(seeded_root).store.ids()[0]
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_editor(pilot, app)
        await type_into(pilot, app, "#f-issued Input", "2016-13-45")
        issued = form.query_one("#f-issued", Editor)
        assert issued.has_class("-invalid")
        assert "not a valid date" in str(issued.query_one(".field-error").render())
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, RecordFormScreen)  # not saved, still editing
        assert get_record(open_archive(seeded_root), record_id)["issued"] == "2016-12-19"
        await type_into(pilot, app, "#f-issued Input", "2016-12")
        assert not issued.has_class("-invalid")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MainScreen)
        saved = get_record(open_archive(seeded_root), record_id)
        assert saved["issued"] == "2016-12" and saved["revision"] == 2


async def test_a_required_field_left_empty_is_named(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_editor(pilot, app)
        await type_into(pilot, app, "#f-title Input", "")
        title = form.query_one("#f-title", Editor)
        assert "is required" in str(title.query_one(".field-error").render())
        assert "problem(s) to fix" in screen_text(app)


async def test_repeatable_fields_are_lists_with_messages_per_entry(seeded_root):
    app = make_app(seeded_root)
    record_id = open_archive(seeded_root).store.ids()[0]
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_editor(pilot, app)
        creators = form.query_one("#f-creators")
        creators.query_one(".list-add").press()
        for _ in range(100):  # the list rebuilds itself and focuses the new entry
            await pilot.pause(0.02)
            if form.query("#f-creators-0") and app.focused is not None \
                    and form.query_one("#f-creators-0") in app.focused.ancestors:
                break
        entry = form.query_one("#f-creators-0", Editor)
        await type_into(pilot, app, "#f-creators-0-given Input", "Ada")
        assert "family name or a literal name" in str(entry.query_children(".field-error").first().render())
        await type_into(pilot, app, "#f-creators-0-family Input", "Lovelace")
        assert not entry.has_class("-invalid")
        # remove the first subject from the list
        subjects = form.query_one("#f-subjects")
        before = len(subjects.query(".list-remove"))
        subjects.query(".list-remove").first().press()
        for _ in range(100):  # the list rebuilds itself without the removed entry
            await pilot.pause(0.02)
            if len(subjects.query(".list-remove")) == before - 1:
                break
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        saved = get_record(open_archive(seeded_root), record_id)
        assert saved["creators"] == [{"family": "Lovelace", "given": "Ada"}]
        assert len(saved["subjects"]) == 4 and saved["subjects"][0] == "Assassination -- Turkey -- Ankara"


async def test_leaving_with_unsaved_changes_asks_first(seeded_root):
    app = make_app(seeded_root)
    record_id = open_archive(seeded_root).store.ids()[0]
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, app)
        await type_into(pilot, app, "#f-title Input", "A changed title")
        await pilot.press("escape")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("escape")  # keep editing
        assert isinstance(app.screen, RecordFormScreen)
        assert app.screen.query_one("#f-title Input", Input).value == "A changed title"
        await pilot.press("ctrl+q")  # even quitting asks
        await pilot.pause(0.1)
        assert isinstance(app.screen, ChoiceScreen) and app.is_running
        app.screen.query_one("#discard").press()
        await pilot.pause(0.1)
    assert get_record(open_archive(seeded_root), record_id)["title"].startswith("Russia's")


async def test_leaving_without_changes_does_not_ask(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, app)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_a_stale_edit_is_refused_and_reload_keeps_what_was_typed(seeded_root):
    app = make_app(seeded_root)
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, app)
        await type_into(pilot, app, "#f-title Input", "My new title")
        edit_record(arc, record_id, assignments=["language=fr"])  # another writer saves first
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ChoiceScreen)
        assert "changed elsewhere" in screen_text(app)
        await pilot.press("enter")  # the default answer: reload, keep my changes
        await pilot.pause(0.3)
        form = app.screen
        assert isinstance(form, RecordFormScreen)
        assert form.query_one("#f-title Input", Input).value == "My new title"
        assert form.query_one("#f-language Input", Input).value == "fr"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
    saved = get_record(open_archive(seeded_root), record_id)
    assert saved["title"] == "My new title" and saved["language"] == "fr" and saved["revision"] == 3


async def test_add_from_a_file(archive_root, article):
    app = make_app(archive_root)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "No records yet" in screen_text(app)
        await pilot.press("a")
        assert isinstance(app.screen, PickFileScreen)
        app.screen.query_one("#path", Input).value = str(article)
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await pilot.pause(0.1)
        form = app.screen
        assert isinstance(form, RecordFormScreen)
        assert form.query_one("#f-title Input", Input).value == ""
        await type_into(pilot, app, "#f-title Input", "Harbour strike")
        await type_into(pilot, app, "#f-issued Input", "2024-03-01")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, MainScreen)
        rows = app.screen.query_one(RecordTable).rows
        assert [r["title"] for r in rows] == ["Harbour strike"]
    record = get_record(open_archive(archive_root), rows[0]["id"])
    assert record["issued"] == "2024-03-01" and record["source"]["filename"] == "harbour-strike.txt"


async def test_add_refuses_a_folder_in_plain_words(archive_root, article):
    app = make_app(archive_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        app.screen.query_one("#path", Input).value = str(article.parent)
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, PickFileScreen)
        assert "is a folder" in screen_text(app)
