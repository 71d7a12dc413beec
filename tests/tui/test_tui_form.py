"""The record form: add from a file, edit, live validation, refused saves, unsaved changes, stale edits."""

from __future__ import annotations

from textual.widgets import Input
from tui_helpers import focus, make_app, settle, wait_for_notice, wait_for_screen, wait_for_text, wait_until

from archive import schema
from archive.catalog import edit_record, get_record
from archive.layout import open_archive
from tui.screens.confirm import ChoiceScreen
from tui.screens.main import MainScreen
from tui.screens.pick_file import PickFileScreen
from tui.screens.record_form import RecordFormScreen
from tui.widgets.fields import Editor
from tui.widgets.record_table import RecordTable


async def type_into(pilot, app, selector: str, text: str) -> None:
    """Clear a form field and type into it, as an archivist would; return once the form has
    validated what was typed."""
    form = app.screen
    field = form.query_one(selector, Input)
    await focus(pilot, field)
    await pilot.press("home", "ctrl+k", *text)
    await wait_until(lambda: field.value == text, pilot, f"{selector} to hold {text!r}")
    # The form validates on Input.Changed, a message handled after the key events: wait until the
    # problems it shows are those of what the fields now hold.
    await wait_until(lambda: validated(form), pilot, f"the form to validate {selector}")


def validated(form: RecordFormScreen) -> bool:
    """Whether the problems the form shows are those of the values its fields hold now."""
    found = schema.field_problems(form.assembled())
    return form.problems == {p: r for p, r in found.items() if p.split(".")[0].split("[")[0] in form.fields}


async def open_editor(pilot, app) -> RecordFormScreen:
    await settle(pilot, app)
    await pilot.press("e")
    return await wait_for_screen(pilot, RecordFormScreen)


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
        await wait_for_notice(pilot, "Not saved: fix the problems")
        assert isinstance(app.screen, RecordFormScreen)  # not saved, still editing
        assert get_record(open_archive(seeded_root), record_id)["issued"] == "2016-12-19"
        await type_into(pilot, app, "#f-issued Input", "2016-12")
        assert not issued.has_class("-invalid")
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, MainScreen, "the saved form to close")
        await settle(pilot, app)
        saved = get_record(open_archive(seeded_root), record_id)
        assert saved["issued"] == "2016-12" and saved["revision"] == 2


async def test_a_required_field_left_empty_is_named(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_editor(pilot, app)
        await type_into(pilot, app, "#f-title Input", "")
        title = form.query_one("#f-title", Editor)
        assert "is required" in str(title.query_one(".field-error").render())
        await wait_for_text(pilot, "problem(s) to fix")


async def test_repeatable_fields_are_lists_with_messages_per_entry(seeded_root):
    app = make_app(seeded_root)
    record_id = open_archive(seeded_root).store.ids()[0]
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_editor(pilot, app)
        creators = form.query_one("#f-creators")
        creators.query_one(".list-add").press()
        await wait_until(lambda: form.query("#f-creators-0") and app.focused is not None
                         and form.query_one("#f-creators-0") in app.focused.ancestors,
                         pilot, "the list to add a creator and focus it")
        entry = form.query_one("#f-creators-0", Editor)
        await type_into(pilot, app, "#f-creators-0-given Input", "Ada")
        assert "family name or a literal name" in str(entry.query_children(".field-error").first().render())
        await type_into(pilot, app, "#f-creators-0-family Input", "Lovelace")
        assert not entry.has_class("-invalid")
        # remove the first subject from the list
        subjects = form.query_one("#f-subjects")
        before = len(subjects.query(".list-remove"))
        subjects.query(".list-remove").first().press()
        await wait_until(lambda: len(subjects.query(".list-remove")) == before - 1, pilot,
                         "the list to drop the removed subject")
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, MainScreen, "the saved form to close")
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
        await wait_for_screen(pilot, ChoiceScreen, "the unsaved-changes question")
        await pilot.press("escape")  # keep editing
        await wait_for_screen(pilot, RecordFormScreen, "the form again", focused=False)
        assert app.screen.query_one("#f-title Input", Input).value == "A changed title"
        await pilot.press("ctrl+q")  # even quitting asks
        await wait_for_screen(pilot, ChoiceScreen, "the unsaved-changes question on quitting")
        assert app.return_code is None
        app.screen.query_one("#discard").press()
        await wait_until(lambda: app.return_code is not None, pilot, "the app to quit after discarding")
    assert get_record(open_archive(seeded_root), record_id)["title"].startswith("Russia's")


async def test_leaving_without_changes_does_not_ask(seeded_root):
    app = make_app(seeded_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, app)
        await pilot.press("escape")
        await wait_for_screen(pilot, MainScreen, "the form to close without asking")


async def test_a_stale_edit_is_refused_and_reload_keeps_what_was_typed(seeded_root):
    app = make_app(seeded_root)
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, app)
        await type_into(pilot, app, "#f-title Input", "My new title")
        edit_record(arc, record_id, assignments=["language=fr"])  # another writer saves first
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, ChoiceScreen, "the stale-edit question")
        await wait_for_text(pilot, "changed elsewhere")
        await pilot.press("enter")  # the default answer: reload, keep my changes
        form = await wait_for_screen(pilot, RecordFormScreen, "the form again", focused=False)

        def reloaded() -> bool:  # the reload recomposes twice: the fresh record, then my changes on top
            fields = {name: form.query(f"#f-{name} Input") for name in ("title", "language")}
            return all(fields.values()) and (form.baseline or {}).get("language") == "fr" and \
                fields["title"].first(Input).value == "My new title" and \
                fields["language"].first(Input).value == "fr"

        await wait_until(reloaded, pilot, "the reloaded form: their language, my title")
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, MainScreen, "the saved form to close")
        await settle(pilot, app)
    saved = get_record(open_archive(seeded_root), record_id)
    assert saved["title"] == "My new title" and saved["language"] == "fr" and saved["revision"] == 3


async def test_add_from_a_file(archive_root, article):
    app = make_app(archive_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "No records yet")
        await pilot.press("a")
        await pick(pilot, app, article)
        form = await wait_for_screen(pilot, RecordFormScreen)
        assert form.query_one("#f-title Input", Input).value == ""
        await type_into(pilot, app, "#f-title Input", "Harbour strike")
        await type_into(pilot, app, "#f-issued Input", "2024-03-01")
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, MainScreen, "the saved form to close")
        await settle(pilot, app)
        table = app.screen.query_one(RecordTable)
        await wait_until(lambda: [r["title"] for r in table.rows] == ["Harbour strike"], pilot,
                         "the new record listed")
        rows = table.rows
    record = get_record(open_archive(archive_root), rows[0]["id"])
    assert record["issued"] == "2024-03-01" and record["source"]["filename"] == "harbour-strike.txt"


async def test_add_refuses_a_folder_in_plain_words(archive_root, article):
    app = make_app(archive_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        await pick(pilot, app, article.parent)
        await wait_for_text(pilot, "is a folder")
        assert isinstance(app.screen, PickFileScreen)


async def pick(pilot, app, path) -> None:
    """Type a path into the file picker and press Enter (once the focus is in the path box)."""
    screen = await wait_for_screen(pilot, PickFileScreen)
    box = screen.query_one("#path", Input)
    box.value = str(path)
    await focus(pilot, box)
    await pilot.press("enter")
