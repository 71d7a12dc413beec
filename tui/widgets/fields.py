"""Form editors built from the record schema: one per field, lists and groups included.

Each editor knows its field path (``creators[0].family``), gives back its value, and shows the
schema's problems for that path right under itself, so an archivist sees what is wrong where
they type it.
"""

from __future__ import annotations

import re
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

from archive.schema import field_path

MISSING: Any = object()
"""An empty field: left out of the record rather than saved as an empty string."""

LONG_TEXT = 10000
"""Fields allowed more characters than this (and line breaks) get a multi-line editor."""


def widget_id(path: list[str | int]) -> str:
    """A Textual id from a field path: ``creators[0].family`` -> ``f-creators-0-family``."""
    return "f-" + "-".join(re.sub(r"[^A-Za-z0-9_]", "_", str(p)) for p in path)


class Editor(Vertical):
    """Base of every editor: label, the control(s), and the problems beneath."""

    DEFAULT_CSS = """
    Editor { height: auto; margin-bottom: 0; }
    Editor > .field-label { height: 1; color: $text-muted; }
    Editor > .field-error { display: none; }
    Editor.-invalid > .field-error { display: block; }
    Editor.-invalid > .field-label { color: $error; }
    """

    def __init__(self, node: dict, path: list[str | int], *, label: str | None = None) -> None:
        super().__init__(id=widget_id(path))
        self.node = node
        self.path = path
        self.label = label if label is not None else node.get("title", str(path[-1]))
        self.shown_problems = ""
        """The text under the field now (its error widget starts empty)."""

    @property
    def path_text(self) -> str:
        return field_path(self.path)

    def value(self) -> Any:
        raise NotImplementedError

    def show_problems(self, reasons: list[str]) -> None:
        """Show (or clear) the reasons for this field; every line names the problem plainly.

        The form calls this for every editor on every keystroke, and a Static's update lays out
        the whole form again even when the text is the same: an editor whose reasons did not
        change is left alone, so a keystroke re-lays out only the fields it changed."""
        text = "\n".join(f"✗ {r}" for r in reasons)
        if text == self.shown_problems:
            return
        self.shown_problems = text
        self.query_children(".field-error").first(Static).update(text)
        self.set_class(bool(reasons), "-invalid")

    def error_widget(self) -> Static:
        return Static("", classes="field-error")

    def focus_first(self) -> None:
        for widget in self.query("Input, Select, TextArea, Checkbox, Button"):
            if widget.focusable:
                widget.focus()
                return


class LineEditor(Editor):
    """One line of text (strings, dates, URIs, numbers)."""

    def __init__(self, node: dict, path: list[str | int], value: Any, **kwargs: Any) -> None:
        super().__init__(node, path, **kwargs)
        self.initial = "" if value is MISSING or value is None else str(value)

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="field-label")
        placeholder = self.node.get("description", "")[:120]
        yield Input(self.initial, placeholder=placeholder, compact=True, tooltip=self.node.get("description"))
        yield self.error_widget()

    def value(self) -> Any:
        text = self.query_one(Input).value
        if not text.strip():
            return MISSING
        if self.node.get("type") == "integer":
            try:
                return int(text.strip())
            except ValueError:
                return text  # the schema check names the field and says a whole number is wanted
        return text


class TextEditor(Editor):
    """Several lines: abstract, notes, rights note."""

    DEFAULT_CSS = "TextEditor TextArea { height: 5; }"

    def __init__(self, node: dict, path: list[str | int], value: Any, **kwargs: Any) -> None:
        super().__init__(node, path, **kwargs)
        self.initial = "" if value is MISSING or value is None else str(value)

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="field-label")
        yield TextArea(self.initial, soft_wrap=True, compact=True, tooltip=self.node.get("description"))
        yield self.error_widget()

    def value(self) -> Any:
        text = self.query_one(TextArea).text
        return text if text.strip() else MISSING


class ChoiceEditor(Editor):
    """A value from the schema's list."""

    def __init__(self, node: dict, path: list[str | int], value: Any, *, required: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(node, path, **kwargs)
        self.required = required
        options = list(node["enum"])
        if value is MISSING or value is None:
            value = node.get("default", options[0]) if required else MISSING
        self.initial = value

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="field-label")
        options = [(str(v), v) for v in self.node["enum"]]
        initial = Select.NULL if self.initial is MISSING else self.initial
        if initial is not Select.NULL and initial not in self.node["enum"]:
            options.append((f"{initial} (not allowed)", initial))
        yield Select(options, value=initial, allow_blank=not self.required, compact=True,
                     prompt="(none)")
        yield self.error_widget()

    def value(self) -> Any:
        chosen = self.query_one(Select).value
        return MISSING if chosen is Select.NULL else chosen


class BoolEditor(Editor):
    """Yes or no."""

    def __init__(self, node: dict, path: list[str | int], value: Any, **kwargs: Any) -> None:
        super().__init__(node, path, **kwargs)
        self.initial = value if isinstance(value, bool) else MISSING

    def compose(self) -> ComposeResult:
        yield Checkbox(self.label, value=bool(self.initial) if self.initial is not MISSING else False,
                       compact=True)
        yield self.error_widget()

    def value(self) -> Any:
        checked = self.query_one(Checkbox).value
        if self.initial is MISSING and not checked:
            return MISSING
        return checked


class GroupEditor(Editor):
    """An object field (rights, provenance, one creator): its own fields in a bordered group."""

    DEFAULT_CSS = """
    GroupEditor { border: round $panel-lighten-2; padding: 0 1; }
    GroupEditor > .group-body { height: auto; }
    """

    def __init__(self, node: dict, path: list[str | int], value: Any, **kwargs: Any) -> None:
        super().__init__(node, path, **kwargs)
        self.initial = value if isinstance(value, dict) else {}
        self.border_title = self.label

    def compose(self) -> ComposeResult:
        required = set(self.node.get("required", []))
        with Vertical(classes="group-body"):
            for name, child in self.node.get("properties", {}).items():
                yield build_editor(child, [*self.path, name], self.initial.get(name, MISSING),
                                   required=name in required)
            # fields the schema does not know are kept, so an edit never drops data silently
        yield self.error_widget()

    def children_editors(self) -> list[Editor]:
        body = self.query_children(".group-body").first()
        return [w for w in body.children if isinstance(w, Editor)]

    def value(self) -> Any:
        result = {k: v for k, v in self.initial.items() if k not in self.node.get("properties", {})}
        for editor in self.children_editors():
            found = editor.value()
            if found is not MISSING:
                result[editor.path[-1]] = found
        return result or MISSING


class FormChanged(Message):
    """A list gained or lost an entry, so the form validates again."""


class ListItem(Horizontal):
    """One entry of a list, with its remove button beside it."""

    DEFAULT_CSS = """
    ListItem { height: auto; }
    ListItem > Editor { width: 1fr; }
    ListItem > Button { width: 5; min-width: 5; }
    """


class ListEditor(Editor):
    """A repeatable field: entries can be added, changed and removed."""

    DEFAULT_CSS = """
    ListEditor { border: round $panel-lighten-2; padding: 0 1; }
    ListEditor > .list-items { height: auto; }
    ListEditor > .list-add { width: auto; min-width: 10; }
    """

    def __init__(self, node: dict, path: list[str | int], value: Any, **kwargs: Any) -> None:
        super().__init__(node, path, **kwargs)
        self.initial = list(value) if isinstance(value, list) else []
        self.border_title = self.label
        item = node.get("items", {})
        self.item_node = item
        self.item_title = item.get("title", "entry")

    def _item(self, index: int, value: Any) -> ListItem:
        editor = build_editor(self.item_node, [*self.path, index], value,
                              label=f"{self.item_title} {index + 1}")
        remove = Button("✕", classes="list-remove", tooltip=f"Remove {self.item_title.lower()} {index + 1}",
                        compact=True)
        return ListItem(editor, remove)

    def compose(self) -> ComposeResult:
        with Vertical(classes="list-items"):
            for index, value in enumerate(self.initial):
                yield self._item(index, value)
        yield Button(f"+ Add {self.item_title.lower()}", classes="list-add", compact=True)
        yield self.error_widget()

    def item_editors(self) -> list[Editor]:
        items = self.query_children(".list-items").first()
        return [item.children[0] for item in items.children if isinstance(item.children[0], Editor)]

    def values(self) -> list[Any]:
        return [e.value() for e in self.item_editors()]

    def value(self) -> Any:
        found = [v for v in self.values() if v is not MISSING]
        return found or MISSING

    async def rebuild(self, values: list[Any], focus_index: int | None = None) -> None:
        """Re-lay the entries so every path (``subjects[2]``) matches its position again."""
        container = self.query_children(".list-items").first()
        await container.remove_children()
        await container.mount_all([self._item(i, v) for i, v in enumerate(values)])
        if focus_index is not None and 0 <= focus_index < len(values):
            self.item_editors()[focus_index].focus_first()
        self.post_message(FormChanged())

    @on(Button.Pressed, ".list-add")
    async def _add(self, event: Button.Pressed) -> None:
        event.stop()
        values = self.values()
        await self.rebuild([*values, MISSING], focus_index=len(values))

    @on(Button.Pressed, ".list-remove")
    async def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        item = event.button.parent
        items = list(self.query_children(".list-items").first().children)
        if item not in items:
            return
        index = items.index(item)
        values = self.values()
        del values[index]
        await self.rebuild(values, focus_index=min(index, len(values) - 1))


def build_editor(node: dict, path: list[str | int], value: Any, *, required: bool = False,
                 label: str | None = None) -> Editor:
    """The editor a schema node calls for."""
    kind = node.get("type")
    extra = {"label": label} if label is not None else {}
    if kind == "array":
        return ListEditor(node, path, value, **extra)
    if kind == "object":
        return GroupEditor(node, path, value, **extra)
    if kind == "boolean":
        return BoolEditor(node, path, value, **extra)
    if "enum" in node:
        return ChoiceEditor(node, path, value, required=required, **extra)
    if kind == "string" and node.get("maxLength", 0) > LONG_TEXT:
        return TextEditor(node, path, value, **extra)
    return LineEditor(node, path, value, **extra)
