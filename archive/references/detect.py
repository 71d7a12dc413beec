"""Finding the sources an article attributes information to, by the phrases reporters use.

Only attributions count ("according to the X", "X reported", "the X explains", "X said", "told
the X"), not every capitalised name: a force that acts in the story ("Turkish Special Forces
killed ...") is not a source. What is found is a proposal for an archivist to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.references.classify import classify
from archive.references.known import lookup

_SP = r"[^\S\r\n]"
"""Spaces within a line, the no-break space included (news texts use it between names)."""
_CAP = r"[A-Z][\w’'.&-]*"
_CONNECT = r"(?:of|and|&|de|del|der|du|la|le|al|van|von|for|on)"
NAME = rf"{_CAP}(?:{_SP}+(?:{_CONNECT}{_SP}+)*{_CAP})*"
_ATTRIBUTING_VERBS = (
    "reported|reports|said|says|explains|explained|wrote|writes|noted|notes|stated|states|"
    "claimed|claims|confirmed|confirms|announced|announces|added|adds|described|describes|"
    "revealed|reveals|told|tells"
)
_ADVERBS = rf"(?:(?:has|have|had|also|first|later|previously|earlier|then|recently){_SP}+)*"
SOURCE_FIRST = re.compile(
    rf"(?P<name>{NAME})(?:,[^,.;:\n\"“”]{{1,60}},|,)?{_SP}+{_ADVERBS}(?:{_ATTRIBUTING_VERBS})\b"
)
"""``The Daily Beast explains``, ``Maria Zakharova described``, ``Reuters, citing officials, said``."""
PHRASE_FIRST = re.compile(
    rf"\b(?:[Aa]ccording to|reported by|cited by|quoted by|published by|in an interview with|"
    rf"told|citing|[Ss]peaking to|a report (?:by|in|from)|wrote in|writing in|an article in|"
    rf"(?:said|says|explained|added|wrote)(?={_SP}+[A-Z]\w+{_SP}+[A-Z]))"
    rf"{_SP}+(?:the{_SP}+)?(?P<name>{NAME})"
)
"""``according to the New York Times``, ``told Reuters``, ``said John Smith``."""
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”(]\s*|\n\s*)$")
_PRONOUN_OR_COMMON = {
    "he", "she", "it", "they", "we", "i", "you", "this", "that", "these", "those", "there",
    "reports", "officials", "police", "witnesses", "sources", "critics", "experts", "analysts",
    "authorities", "residents", "observers", "investigators", "some", "others", "many",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "today", "yesterday", "tonight", "in", "on", "at", "after", "before",
    "while", "when", "but", "and", "so", "later", "earlier", "also", "then", "mr", "mrs", "ms", "dr",
}  # fmt: skip
_HONORIFICS = re.compile(rf"^(?:Mr|Mrs|Ms|Dr|Prof|Sir|Dame)\.?{_SP}+")


@dataclass
class _Hit:
    name: str
    start: int


def _clean(name: str) -> str:
    """Trim what is not part of a source's name: possessive, honorific, trailing dots."""
    name = _HONORIFICS.sub("", " ".join(name.split())).rstrip(".’'")
    name = re.sub(r"['’]s$", "", name)
    return name


def _dropped(name: str, start: int, text: str) -> bool:
    """A one-word name at a sentence's start is usually an ordinary word ("Reports claim")."""
    words = name.split()
    if not words or words[0].lower().strip(".") in _PRONOUN_OR_COMMON:
        return True
    if len(words) > 1 or lookup(name) or name.isupper():
        return False
    return bool(_SENTENCE_START.search(text[max(0, start - 3) : start]))


def _hits(text: str) -> list[_Hit]:
    """Every attribution, once per place in the text even when two patterns see it."""
    seen: list[tuple[int, int]] = []
    found: list[_Hit] = []
    for pattern in (PHRASE_FIRST, SOURCE_FIRST):
        for match in pattern.finditer(text):
            start, end = match.span("name")
            if any(start < e and s < end for s, e in seen):
                continue
            name = match.group("name")
            if name.split()[0] == "The" and not lookup(name):
                name = name[4:]
                start += 4
            name = _clean(name)
            if not name or _dropped(name, start, text):
                continue
            seen.append((start, end))
            found.append(_Hit(name, start))
    return sorted(found, key=lambda h: h.start)


def detect_references(text: str) -> list[dict]:
    """Proposed ``references`` entries, most-mentioned first, all ``confirmed: false``."""
    entries: dict[str, dict] = {}
    for hit in _hits(text):
        known = lookup(hit.name)
        name = known.name if known else hit.name
        entry = entries.get(name.lower())
        if entry is None:
            entry = {"name": name, "kind": "publication" if known else classify(name)}
            if known:
                entry["url"] = known.url
            entry["mentions"] = 0
            entry["confirmed"] = False
            entries[name.lower()] = entry
        entry["mentions"] += 1
    return sorted(entries.values(), key=lambda e: -e["mentions"])
