"""bag-info.txt: labels and values written so that no value can break the file's format.

A value typed by an archivist may hold line breaks or control characters (an abstract of several
paragraphs, a pasted title). In a tag file a line break starts a new label, so a raw newline could
forge a label such as ``Payload-Oxum``. Every value is therefore flattened to one logical line
(whitespace runs become one space, other control characters are dropped) and then folded at
spaces as RFC 8493 §2.2.2 allows: a continuation line starts with whitespace, which readers
(bagit included) join back into the value.
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


def clean_value(value: object) -> str:
    """One line of text: whitespace runs to one space, control and format characters removed."""
    text = _SPACE_RE.sub(" ", str(value))
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


def parse(text: str) -> list[tuple[str, str]]:
    """Labels and values of a tag file, folded lines joined with one space, in file order."""
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
