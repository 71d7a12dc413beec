"""Turning bylines into record creators, the way a cataloguer would split them."""

from __future__ import annotations

import re

from archive.creators import parse_creator

_ORGANISATION_HINTS = {
    "staff", "news", "desk", "agency", "press", "reporters", "team", "editors", "editorial",
    "correspondent", "service", "media", "group", "associated", "reuters", "afp", "bureau",
}  # fmt: skip
_BY_RE = re.compile(r"^\s*by\s+", re.IGNORECASE)
_PARTICLES = {"de", "da", "van", "von", "der", "den", "del", "della", "di", "le", "la", "du", "bin", "al"}


def creator_from_name(text: str) -> dict[str, str] | None:
    """One creator: ``Family, Given`` or ``Given Family``; an organisation or one word as a literal."""
    name = " ".join(_BY_RE.sub("", text).split()).strip(" ,;")
    if not name:
        return None
    if "," in name:
        return parse_creator(name)
    words = name.split()
    if len(words) == 1 or len(words) > 5 or {w.lower() for w in words} & _ORGANISATION_HINTS:
        return {"literal": name}
    split = len(words) - 1
    while split > 1 and words[split - 1].lower() in _PARTICLES:
        split -= 1
    return {"family": " ".join(words[split:]), "given": " ".join(words[:split])}


def creators_from_names(names: list[str]) -> list[dict[str, str]]:
    """Creators in credit order, each once, with the author role."""
    creators: list[dict[str, str]] = []
    for text in names:
        creator = creator_from_name(text)
        if creator and creator not in creators:
            creators.append(creator)
    return [{**c, "role": "author"} for c in creators]


def split_byline(byline: str) -> list[str]:
    """``"Ann Lee; Bo Park"`` or ``"Ann Lee and Bo Park"`` as separate names."""
    return [p for p in re.split(r"\s*(?:;|\band\b|&)\s*", byline) if p.strip()]
