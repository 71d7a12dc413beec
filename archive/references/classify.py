"""Deciding what kind of source a detected name is: publication, organisation, document or person.

Words in the name decide ("Ministry" is an organisation, "Times" a publication); a short run of
capitalised words with none of them is taken for a person, which the archivist then confirms.
"""

from __future__ import annotations

import re

PUBLICATION_WORDS = {
    "times", "post", "journal", "news", "herald", "guardian", "tribune", "telegraph", "gazette",
    "daily", "beast", "magazine", "review", "chronicle", "observer", "independent", "mirror",
    "express", "monitor", "weekly", "bulletin", "radio", "tv", "television", "broadcasting",
    "press", "wire", "newspaper", "globe", "star", "sun", "courier", "record", "register",
    "dispatch", "inquirer", "examiner", "standard", "mail", "today", "insider", "blog", "podcast",
}  # fmt: skip
ORGANISATION_WORDS = {
    "ministry", "department", "office", "police", "forces", "force", "army", "navy", "military",
    "government", "council", "committee", "commission", "university", "institute", "association",
    "union", "party", "bank", "company", "corporation", "corp", "inc", "ltd", "foundation",
    "organization", "organisation", "court", "parliament", "senate", "congress", "kremlin",
    "pentagon", "service", "services", "authority", "bureau", "center", "centre", "group",
    "agency", "embassy", "administration", "house", "nations", "federation", "coalition",
    "alliance", "board", "secretariat", "directorate", "command", "cabinet", "presidency",
    "trust", "fund", "society", "charity", "institution", "museum", "hospital", "school", "college",
    "club", "network", "church",
}  # fmt: skip
DOCUMENT_WORDS = {
    "report", "study", "survey", "memo", "memorandum", "paper", "act", "treaty", "agreement",
    "declaration", "bill", "constitution", "census", "index", "statement", "letter", "dossier",
}  # fmt: skip
CONNECTORS = {"of", "and", "&", "de", "del", "der", "du", "la", "le", "al", "van", "von", "for", "the", "on"}
_ACRONYM_RE = re.compile(r"^[A-Z][A-Z.&]{1,7}$")


def _words(name: str) -> list[str]:
    return [w.strip(".,'’").lower().removesuffix("'s").removesuffix("’s") for w in name.split()]


def classify(name: str) -> str:
    """The ``kind`` of a reference whose name is not a known publication."""
    words = _words(name)
    if words and words[-1] in DOCUMENT_WORDS:
        return "document"
    if any(w in ORGANISATION_WORDS for w in words):
        return "organisation"
    if any(w in PUBLICATION_WORDS for w in words):
        return "publication"
    if _ACRONYM_RE.match(name):
        return "organisation"
    if 1 <= len(words) <= 4 and not any(w in CONNECTORS for w in words):
        return "person"
    return "organisation"
