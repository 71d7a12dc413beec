"""Finding the sources an article attributes information to, by the phrases reporters use.

Only attributions count ("according to the X", "X reported", "the X explains", "X said", "told
the X"), not every capitalised name: a force that acts in the story ("Turkish Special Forces
killed ...") is not a source. What is found is a proposal for an archivist to confirm.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
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
"""``The Daily Beast explains``, ``Maria Zakharova described``, ``Reuters, citing officials, said``.

The pattern as a whole says what counts; it is not run as a whole, since at every capital letter of
a long run of capitalised words it would re-read the run to its end (48 KB took 86 s). ``_NAME``
and ``_ATTRIBUTION`` below are its two halves, run so that each run of names is read once.
"""
_NAME = re.compile(NAME)
_ATTRIBUTION = re.compile(
    rf"(?:,[^,.;:\n\"“”]{{1,60}},|,)?{_SP}+{_ADVERBS}(?:{_ATTRIBUTING_VERBS})\b"
)
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


@functools.lru_cache(maxsize=4096)
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


def _source_first(text: str) -> Iterator[tuple[str, int, int]]:
    """``(name, start, end)`` of every match of ``SOURCE_FIRST``, found in linear time.

    A name is a maximal run of capitalised words (with connectors); starting at any capital
    inside a run reaches the same end, and a shorter name can never be followed by the
    attribution (inside a run the next character is a space then a capital or a connector). So
    the leftmost match, which the regex would find, is the whole run when the attribution follows
    its end, and there is none in that run otherwise: each run is read once, its end tested once.
    """
    position = 0
    while (name := _NAME.search(text, position)) is not None:
        attribution = _ATTRIBUTION.match(text, name.end())
        if attribution is None:
            position = name.end()
            continue
        yield name.group(), name.start(), name.end()
        position = attribution.end()


def _phrase_first(text: str) -> Iterator[tuple[str, int, int]]:
    """``(name, start, end)`` of every match of ``PHRASE_FIRST`` (anchored by its phrases, so
    already linear: the name after a phrase is read once and the search goes on after it)."""
    for match in PHRASE_FIRST.finditer(text):
        yield match.group("name"), *match.span("name")


def _hits(text: str) -> list[_Hit]:
    """Every attribution, once per place in the text even when two patterns see it.

    Names found after a phrase come first; a name found before a verb is skipped when it
    overlaps one of them. Both lists run left to right without overlaps of their own, so one
    pointer into the first list replaces a scan of every earlier hit.
    """
    found: list[_Hit] = []
    phrase_spans: list[tuple[int, int]] = []
    for name, start, end in _phrase_first(text):
        hit = _hit(name, start, text)
        if hit is not None:
            phrase_spans.append((hit.start, end))
            found.append(hit)
    at = 0
    for name, start, end in _source_first(text):
        while at < len(phrase_spans) and phrase_spans[at][1] <= start:
            at += 1
        if at < len(phrase_spans) and phrase_spans[at][0] < end:
            continue
        hit = _hit(name, start, text)
        if hit is not None:
            found.append(hit)
    return sorted(found, key=lambda h: h.start)


def _hit(name: str, start: int, text: str) -> _Hit | None:
    """The hit for a name matched at ``start``: a leading "The" dropped unless it is part of a
    known name, honorifics and possessives trimmed, ordinary words at a sentence start refused."""
    if name.split(None, 1)[0] == "The" and not lookup(name):
        name = name[4:]
        start += 4
    name = _clean(name)
    if not name or _dropped(name, start, text):
        return None
    return _Hit(name, start)


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
