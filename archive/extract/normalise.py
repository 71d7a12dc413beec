"""Checks that keep extracted values valid record values: a bad guess is dropped, never stored.

A page's metadata is often sloppy ("en_US", "2019/03/14", a relative canonical URL); a value the
record schema would refuse must not stop the article from being added.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import langcodes

_DATE_RE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


def partial_date(value: str | None) -> str | None:
    """``2019-03-14T06:30:00Z`` or ``2018/09/01`` as ``YYYY[-MM[-DD]]``."""
    match = _DATE_RE.match((value or "").strip())
    if not match:
        return None
    year, month, day = match.groups()
    if month and not 1 <= int(month) <= 12:
        return year
    if day and not 1 <= int(day) <= 31:
        day = None
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


def one_line(value: object) -> str | None:
    """A single line of text without control characters, as record titles must be."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    text = "".join(c for c in text if ord(c) >= 32 and ord(c) != 127)
    return text[:2000] or None
