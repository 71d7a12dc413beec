"""Checks that keep extracted values valid record values: a bad guess is dropped, never stored.

A page's metadata is often sloppy ("en_US", "2019/03/14", a relative canonical URL); a value the
record schema would refuse must not stop the article from being added.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import langcodes

_DATE_RE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


def _real_day(year: str, month: str, day: str) -> bool:
    """The same test the record schema applies to a full date (so year 0000 fails here too)."""
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def partial_date(value: str | None) -> str | None:
    """``2019-03-14T06:30:00Z`` or ``2018/09/01`` as ``YYYY[-MM[-DD]]``.

    A day that month does not have (``2019-02-31``) makes the whole date doubtful, so it is dropped
    rather than handed to ``add``, whose schema would refuse the page for it.
    """
    match = _DATE_RE.match((value or "").strip())
    if not match:
        return None
    year, month, day = match.groups()
    if month and not 1 <= int(month) <= 12:
        return year
    if day and not _real_day(year, month, day):
        return None
    return "-".join(f"{int(p):02d}" if i else p for i, p in enumerate(x for x in (year, month, day) if x))


def language_tag(value: str | None) -> str | None:
    """A valid BCP 47 tag from ``en_GB`` or ``fr-FR``; ``None`` when the value is not a tag."""
    text = (value or "").strip().replace("_", "-")
    if not text or any(c.isspace() for c in text):
        return None
    try:
        tag = langcodes.standardize_tag(text)
    except ValueError:  # LanguageTagError is a ValueError
        return None
    return tag if langcodes.tag_is_valid(tag) else None


def web_url(value: str | None) -> str | None:
    """An absolute http(s) URL, or ``None``: a relative or odd URL is not a citable address."""
    text = (value or "").strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc and not any(c.isspace() for c in text):
        return text
    return None


def flatten_to_line(value: object) -> str | None:
    """A single line of text without control characters, as record titles must be."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    text = "".join(c for c in text if ord(c) >= 32 and ord(c) != 127)
    return text[:2000] or None
