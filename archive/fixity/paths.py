"""Turning a path written in a manifest or fetch.txt into a key of the bag's inventory, safely.

A manifest is untrusted text. Its paths are never handed to the file system: they are checked,
normalised and looked up in the inventory the walk built, so a hostile line can name a file outside
the bag but can never make the validator open it.
"""

from __future__ import annotations

import re
import unicodedata

from archive.bagit_format.paths import decode_path
from archive.fixity.problems import INVALID, UNSAFE, Problem, error, warning

_CONTROL = re.compile(r"[\x00-\x1f]")
_PLAIN = re.compile(r"[^/~\\\x00-\x1f][^\\\x00-\x1f]*")
"""Paths with no control character, backslash, leading '/' or '~': the common case, checked fast."""


def check_path(raw: str, version: tuple[int, int], where: str) -> tuple[str | None, list[Problem]]:
    """The bag-relative path a line names, or None with the reason it is refused.

    ``where`` names the tag file and line, so the problem points at the line at fault.
    """
    path = decode_path(raw, version)
    if _PLAIN.fullmatch(path) and "/." not in "/" + path and "//" not in path and path[-1] != "/":
        return path, []
    problems: list[Problem] = []
    shown = path
    if "\x00" in path:
        return None, [error(UNSAFE, "nul-in-path", shown, f"{where}: the path holds a NUL character")]
    if path.startswith("/"):
        return None, [error(UNSAFE, "absolute-path", shown, f"{where}: absolute paths are not allowed")]
    if path.startswith("~"):
        return None, [error(UNSAFE, "home-path", shown, f"{where}: '~' paths point outside the bag")]
    if re.match(r"^[A-Za-z]:[\\/]", path) or path.startswith("\\\\"):
        return None, [error(UNSAFE, "absolute-path", shown, f"{where}: drive or UNC paths are not allowed")]
    if path.startswith("./"):
        problems.append(warning(INVALID, "dot-slash-path", shown, f"{where}: path starts with './'"))
        path = path[2:]
    parts = path.split("/")
    if any(p in ("..", ".") for p in parts) or any(p == ".." for p in path.split("\\")):
        return None, [error(UNSAFE, "path-traversal", shown, f"{where}: '..' or '.' in a path")]
    if "" in parts:
        return None, [error(INVALID, "empty-path-segment", shown, f"{where}: empty segment in path")]
    if _CONTROL.search(path):
        problems.append(warning(INVALID, "control-character-in-path", shown,
                                f"{where}: the path holds a control character"))
    return path, problems


def nfc_key(path: str) -> str:
    return unicodedata.normalize("NFC", path)


def fold_key(path: str) -> str:
    """Key under which two names a case-insensitive or normalising file system confuses collide."""
    return unicodedata.normalize("NFC", path).casefold()
