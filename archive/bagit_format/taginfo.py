"""Tag files of labels and values (bag-info.txt, bagit.txt): rendered safely, parsed two ways.

Rendering: labels and values are written so that no value can break the file's format.

A value typed by an archivist may hold line breaks or control characters (an abstract of several
paragraphs, a pasted title). In a tag file a line break starts a new label, so a raw newline could
forge a label such as ``Payload-Oxum``. Every value is therefore flattened to one logical line
(whitespace runs become one space, other control characters are dropped) and then folded at
spaces as RFC 8493 §2.2.2 allows: a continuation line starts with whitespace, which readers
(bagit included) join back into the value.

Parsing, chosen by the caller:

- ``parse_strict`` is for a bag made anywhere (validation, ingest, the profile check): lines end
  only at CR, LF or CRLF as the RFC says, labels are matched without regard to case, and every
  line that is not ``Label: value`` is reported by number, never skipped in silence;
- ``parse_lenient`` is for the archive's own bags (adopt, tests): labels keep their case and
  order, and a line without a label raises ``BagInfoError``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from archive.errors import BagInfoError

MAX_LINE = 79
INDENT = "  "
_LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_SPACE_RE = re.compile(r"\s+")
_LINES = re.compile(r"\r\n|\r|\n")


def clean_value(value: object) -> str:
    """One line of text: whitespace runs to one space, control and format characters removed."""
    text = _SPACE_RE.sub(" ", str(value))
    # isprintable() is false for any character of a category "C*" or "Z*" but the ASCII space, so
    # when it is true there is nothing to remove; the character loop (a few hundred per bag, each
    # label cleaned twice) runs only for text that holds such a character (a no-break space).
    if not text.isprintable():
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    return text.strip()


def fold(label: str, value: str, width: int = MAX_LINE) -> str:
    """``Label: value`` folded at spaces into lines of at most ``width`` characters where possible."""
    words = value.split(" ")
    lines: list[str] = []
    current = f"{label}:"
    for word in words:
        if not word:
            continue
        candidate = f"{current} {word}"
        if len(candidate) > width and current.strip() and current != f"{label}:":
            lines.append(current)
            current = f"{INDENT}{word}"
        else:
            current = candidate
    lines.append(current)
    return "\n".join(lines) + "\n"


def render(labels: Iterable[tuple[str, object]]) -> str:
    """The text of a tag file; labels keep the order given and may repeat (Creator)."""
    out: list[str] = []
    for label, value in labels:
        if not _LABEL_RE.match(label):
            raise BagInfoError(f"{label!r} is not a valid bag-info label")
        text = clean_value(value)
        if text:
            out.append(fold(label, text))
    return "".join(out)


def split_lines(text: str) -> list[str]:
    """The lines of a tag file: RFC 8493 ends a line at CR, LF or CRLF and nowhere else."""
    # Without a CR the only line end is LF, and str.split gives what the regex gives, cheaper:
    # verify splits three tag files per bag.
    lines = text.split("\n") if "\r" not in text else _LINES.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_strict(text: str) -> tuple[dict[str, list[str]], list[int]]:
    """Labels (lower-cased) to their values in file order, and the numbers of the lines that are
    not ``Label: value``; continuation lines start with a space or tab."""
    info: dict[str, list[str]] = {}
    malformed: list[int] = []
    last: str | None = None
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        if line[0] in " \t" and last is not None:
            info[last][-1] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if not sep or not label.strip():
            malformed.append(number)
            last = None
            continue
        last = label.strip().lower()
        info.setdefault(last, []).append(value.strip())
    return info, malformed


def parse_lenient(text: str) -> list[tuple[str, str]]:
    """Labels and values of a tag file the archive wrote, folded lines joined with one space, in
    file order; a line without a label raises ``BagInfoError``."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0] in " \t" and pairs:
            label, value = pairs[-1]
            pairs[-1] = (label, f"{value} {line.strip()}".strip())
            continue
        label, colon, value = line.partition(":")
        if not colon:
            raise BagInfoError(f"bag-info line without a label: {line[:60]!r}")
        pairs.append((label.strip(), value.strip()))
    return pairs


def human_size(octets: int) -> str:
    """Bag-Size as people read it (decimal units, as bagit tools write them)."""
    size = float(octets)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{octets} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{octets} bytes"
