"""The record form, for adding an article and for editing a record.

Every editable field of the schema is on it; problems show under the field they name as the
archivist types; saving is refused while any remain; and leaving with unsaved changes asks first.
A save that meets a newer revision (someone else saved meanwhile) offers to reload that version
and apply the archivist's changes on top, so nothing typed is lost.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

from archive import catalog, schema
from archive.catalog import READ_ONLY_FIELDS, NewArticle
from archive.errors import ArchiveError, DuplicateSourceError, StaleRecordError, ValidationError
from tui.screens.confirm import ChoiceScreen
from tui.widgets.fields import MISSING, Editor, FormChanged, build_editor
from tui.widgets.footer import SteadyFooter

PLACEHOLDERS = {
    "id": "ART-0000-000000",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "status": "catalogued",
    "revision": 1,
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
}
"""Stand-ins for what the archive assigns on add, so a new record can be checked while typed."""


def editable_fields() -> dict[str, dict]:
    """Schema properties an archivist edits (the archive keeps id, source, bags... itself)."""
    properties = schema.schema_document("record")["properties"]
    return {k: v for k, v in properties.items() if k not in READ_ONLY_FIELDS}


def initial_fields(source: Path) -> dict[str, Any]:
    """What is known before typing: the sidecar JSON, else what the extractor finds."""
    sidecar = source.with_suffix(".json")
    try:
        if sidecar.is_file():
            return catalog.load_meta_file(sidecar)
        from archive.extract import extract

        return dict(extract(source).fields)
    except ArchiveError:
        return {}


class RecordFormScreen(Screen[dict | None]):
    """Dismisses with the saved record, or None when left without saving."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "leave", "Close"),
    ]
    DEFAULT_CSS = """
    RecordFormScreen #form-head { height: auto; background: $primary-background; padding: 0 1; }
    RecordFormScreen #form { height: 1fr; padding: 0 1; }
    RecordFormScreen #form-status { height: auto; padding: 0 1; }
    RecordFormScreen #form-status.-errors { color: $error; text-style: bold; }
    RecordFormScreen .buttons { height: auto; }
    """

    def __init__(self, arc: Any, *, record: dict | None = None, source: Path | None = None,
                 draft: dict | None = None) -> None:
        super().__init__()
        self.arc = arc
        self.original = record
        self.source = source
        if record is not None:
            self.draft = draft if draft is not None else copy.deepcopy(record)
        else:
            self.draft = draft if draft is not None else initial_fields(source) if source else {}
        self.fields = editable_fields()
        self.baseline: dict[str, Any] = {}
        self.problems: dict[str, list[str]] = {}
        self.allow_duplicate = False

    # ----- layout ----------------------------------------------------------------------------
    @property
    def is_new(self) -> bool:
        return self.original is None

    def heading(self) -> str:
        if self.is_new:
            return f"New record from {self.source.name if self.source else '?'}"
        record = self.original or {}
        return f"Editing {record['id']} · status {record['status']} · revision {record['revision']}"

    def compose(self) -> ComposeResult:
        yield Static(self.heading(), id="form-head")
        with VerticalScroll(id="form"):
            required = set(schema.schema_document("record").get("required", []))
            for name, node in self.fields.items():
                yield build_editor(node, [name], self.draft.get(name, MISSING), required=name in required)
        yield Static("", id="form-status")
        with Horizontal(classes="buttons"):
            yield Button("Cancel", id="cancel", compact=True)
            yield Button("Save", id="save", variant="primary", compact=True)
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.baseline = self.collect()
        self.validate_now()
        self.call_after_refresh(self.query_one("#f-title", Editor).focus_first)

    # ----- values ----------------------------------------------------------------------------
    def top_editors(self) -> list[Editor]:
        return [w for w in self.query_one("#form").children if isinstance(w, Editor)]

    def collect(self) -> dict[str, Any]:
        """The editable fields as typed; empty ones left out."""
        found = {}
        for editor in self.top_editors():
            value = editor.value()
            if value is not MISSING:
                found[str(editor.path[0])] = value
        return found

    def assembled(self) -> dict[str, Any]:
        """The whole record the form would save."""
        if self.is_new:
            base = dict(PLACEHOLDERS)
        else:
            base = copy.deepcopy(self.original or {})
            for name in self.fields:
                base.pop(name, None)
        base.update(self.collect())
        return base

    @property
    def is_dirty(self) -> bool:
        return self.is_mounted and self.collect() != self.baseline

    # ----- validation ------------------------------------------------------------------------
    def validate_now(self) -> dict[str, list[str]]:
        """Check the record and put each problem under the editor of the field it names."""
        found = schema.field_problems(self.assembled())
        found = {p: r for p, r in found.items() if p.split(".")[0].split("[")[0] in self.fields}
        self.problems = found
        self.route_problems(found)
        if found:
            count = sum(len(r) for r in found.values())
            self._show_status(f"✗ {count} problem(s) to fix before saving: "
                              + "; ".join(f"{p}: {r[0]}" for p, r in list(found.items())[:3]), bool(found))
        else:
            self._show_status("✓ no problems" + (" · unsaved changes" if self.is_dirty else ""), False)
        return found

    def _show_status(self, text: str, errors: bool) -> None:
        """Put ``text`` in the status line, leaving it alone when it already says that: a Static's
        update lays out the whole form again even when the text is the same, and the form
        validates on every keystroke, so typing a title re-laid out every field once per key."""
        status = self.query_one("#form-status", Static)
        if status.content != text:
            status.update(text)
        status.set_class(errors, "-errors")

    def route_problems(self, found: dict[str, list[str]]) -> None:
        editors = {e.path_text: e for e in self.query(Editor)}
        placed: dict[str, list[str]] = {path: [] for path in editors}
        for path, reasons in found.items():
            owner = path
            while owner not in editors and owner:
                cut = max(owner.rfind("."), owner.rfind("["))
                owner = owner[:cut] if cut > 0 else ""
            if owner:
                extra = "" if owner == path else f"{path[len(owner):].lstrip('.')}: "
                placed[owner].extend(extra + r for r in reasons)
        for path, editor in editors.items():
            editor.show_problems(placed[path])

    @on(Input.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    @on(FormChanged)
    def _changed(self) -> None:
        if self.is_mounted and self.baseline is not None:
            self.validate_now()

    # ----- saving ----------------------------------------------------------------------------
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.validate_now():
            self.notify("Not saved: fix the problems shown under the fields first.", severity="error")
            self._focus_first_problem()
            return
        try:
            saved = self._write()
        except StaleRecordError as exc:
            self._offer_reload(str(exc))
            return
        except DuplicateSourceError as exc:
            self._offer_duplicate(str(exc))
            return
        except ValidationError as exc:
            self.route_problems(schema.field_problems(self.assembled()) or {})
            self._show_error("Not saved: " + "; ".join(exc.problems))
            return
        except ArchiveError as exc:
            self._show_error(f"Not saved: {exc}")
            return
        self.notify(f"Saved {saved['id']}.")
        self.dismiss(saved)

    def _write(self) -> dict:
        if self.is_new:
            assert self.source is not None
            article = NewArticle(path=self.source, fields=self.collect(),
                                 allow_duplicate=self.allow_duplicate)
            return catalog.add_article(self.arc, article)
        record = self.assembled()
        if catalog.changed_fields(self.original or {}, record) == []:
            return self.original or record
        return catalog.replace_record(self.arc, record)

    def _show_error(self, message: str) -> None:
        self._show_status(f"✗ {message}", True)
        self.notify(message, severity="error", timeout=8)

    def _focus_first_problem(self) -> None:
        for editor in self.query(Editor):
            if editor.has_class("-invalid"):
                editor.focus_first()
                editor.scroll_visible()
                return

    def _offer_duplicate(self, message: str) -> None:
        def answer(choice: str | None) -> None:
            if choice == "add":
                self.allow_duplicate = True
                self.action_save()

        self.app.push_screen(ChoiceScreen("Already in the archive", message,
                                          [("add", "Add it again"), ("back", "Keep editing")],
                                          cancel_id="back"), answer)

    def _offer_reload(self, message: str) -> None:
        def answer(choice: str | None) -> None:
            if choice == "reload":
                self.reload_keeping_changes()

        self.app.push_screen(ChoiceScreen(
            "Changed elsewhere", message + "\n\nReload the newer version and keep your changes on top "
            "of it? Nothing is saved until you save again.",
            [("reload", "Reload, keep my changes"), ("back", "Keep editing")],
            cancel_id="back", default_id="reload"), answer)

    def reload_keeping_changes(self) -> None:
        """Swap in the newer record, with the fields this archivist changed applied on top."""
        assert self.original is not None
        try:
            fresh = catalog.get_record(self.arc, self.original["id"])
        except ArchiveError as exc:
            self._show_error(str(exc))
            return
        typed = self.collect()
        draft = copy.deepcopy(fresh)
        for name in self.fields:
            if typed.get(name, MISSING) != self.baseline.get(name, MISSING):
                if name in typed:
                    draft[name] = typed[name]
                else:
                    draft.pop(name, None)
        self.call_later(self._swap_in, fresh, draft)

    async def _swap_in(self, fresh: dict, draft: dict) -> None:
        self.original, self.draft = fresh, copy.deepcopy(fresh)
        await self.recompose()
        self.baseline = self.collect()
        self.draft = draft
        await self.recompose()
        self.validate_now()
        self.notify(f"Reloaded {fresh['id']} at revision {fresh['revision']}; your changes are kept.")

    # ----- leaving ---------------------------------------------------------------------------
    @on(Button.Pressed, "#cancel")
    def action_leave(self) -> None:
        if not self.is_dirty:
            self.dismiss(None)
            return
        self.ask_to_leave()

    def ask_to_leave(self, *, then_quit: bool = False) -> None:
        """Unsaved changes are never dropped silently: save, discard or go back."""

        def answer(choice: str | None) -> None:
            if choice == "save":
                self.action_save()
                if then_quit and not self.is_attached_to_app():
                    self.app.exit()
            elif choice == "discard":
                self.dismiss(None)
                if then_quit:
                    self.app.exit()

        self.app.push_screen(ChoiceScreen(
            "Unsaved changes", "This record has changes that are not saved.",
            [("save", "Save"), ("discard", "Discard changes"), ("back", "Keep editing")],
            cancel_id="back"), answer)

    def is_attached_to_app(self) -> bool:
        return self in self.app.screen_stack
