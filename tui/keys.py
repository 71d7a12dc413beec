"""Every key of the main screen in one list: the bindings, the help screen and the command palette.

One list means the help screen can never forget a key and the palette names every action.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyAction:
    """A key, the screen action it runs, its footer label and its plain palette name."""

    key: str
    action: str
    label: str
    name: str
    help: str
    needs_record: bool = False


KEY_ACTIONS = (
    KeyAction("a", "add", "Add", "Add an article", "Pick a file or capture a URL"),
    KeyAction("e", "edit", "Edit", "Edit the selected record", "Open the record form", True),
    KeyAction("b", "bag", "Bag", "Bag the selected record", "Write a new BagIt bag version", True),
    KeyAction("v", "verify", "Verify", "Verify the selected record", "Check the fixity of its bags", True),
    KeyAction("V", "verify_all", "Verify all", "Verify the whole archive", "Check the fixity of every bag"),
    KeyAction("d", "deposit", "Deposit", "Deposit the selected record", "Serialise its bag for deposit",
              True),
    KeyAction("x", "export", "Export", "Export the citation", "Write the citation to a file", True),
    KeyAction("slash", "focus_search", "Search", "Search", "Search title, creators, publication, "
              "subjects, id"),
    KeyAction("f", "filter", "Filter", "Filter by status", "Show only records of one status"),
    KeyAction("h", "history", "History", "Show the history", "The PREMIS events of the record", True),
    KeyAction("R", "replicas", "Replicas", "Show the replicas", "Copies per record and each replica's "
              "last check; replicate, check and repair"),
    KeyAction("i", "import_folder", "Import", "Import a folder", "Catalogue every article in a folder"),
    KeyAction("ctrl+r", "refresh", "Refresh", "Refresh", "Show changes made elsewhere (also F5)"),
    KeyAction("question_mark", "help", "Help", "Help: every key", "This list"),
    KeyAction("q", "quit", "Quit", "Quit", "Leave the app"),
)

DISPLAY_KEYS = {"slash": "/", "question_mark": "?", "ctrl+r": "ctrl+r"}


def display_key(key: str) -> str:
    return DISPLAY_KEYS.get(key, key)
