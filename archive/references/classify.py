"""Deciding what kind of source a detected name is: publication, organisation, document or person.

Words in the name decide ("Ministry" is an organisation, "Times" a publication); a short run of
capitalised words with none of them is taken for a person, which the archivist then confirms; one
word alone is an organisation ("Eurostat", "Lufthansa"), since wire copy names a person in full
before it uses the surname alone (detect.py turns that surname back into the full name).
"""

from __future__ import annotations

import functools
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
    "club", "network", "church", "watch", "international", "observatory", "airlines", "airways",
    "airport", "motors", "builders", "industries", "holdings", "partners", "capital", "securities",
    "economics", "technologies", "labs", "pharmaceuticals", "energy", "water", "power", "electric",
    "rail", "railways", "resources", "unit", "tribunal", "regulator", "inquiry", "programme",
    "program", "initiative", "project", "campaign", "movement", "front", "forum",
}  # fmt: skip
SURVEY_AGENCIES = {"geological survey", "ordnance survey"}
"""Survey is a document's word ("the Labour Force Survey") except in these agencies' names."""
DOCUMENT_WORDS = {
    "report", "study", "survey", "memo", "memorandum", "paper", "act", "treaty", "agreement",
    "declaration", "bill", "constitution", "census", "index", "statement", "letter", "dossier",
}  # fmt: skip
CONNECTORS = {"of", "and", "&", "for", "the", "on", "at", "in"}
"""Words a person's name does not hold (particles such as "de" and "van" it may)."""
_ACRONYM_RE = re.compile(r"^[A-Z][A-Z.&]{1,7}$")


def _words(name: str) -> list[str]:
    """The name's words for the lists, hyphenated parts too ("KOAT-TV" holds "tv")."""
    words = [w.strip(".,'’").lower().removesuffix("'s").removesuffix("’s") for w in name.split()]
    return words + [part for w in words if "-" in w for part in w.split("-") if part]


@functools.lru_cache(maxsize=16384)
def classify(name: str) -> str:
    """The ``kind`` of a reference whose name is not a known publication."""
    words = _words(name)
    if " ".join(name.lower().split()[-2:]) in SURVEY_AGENCIES:
        return "organisation"
    if words and name.split()[-1].lower() in DOCUMENT_WORDS:
        return "document"
    if any(w in ORGANISATION_WORDS for w in words):
        return "organisation"
    if any(w in PUBLICATION_WORDS for w in words):
        return "publication"
    if _ACRONYM_RE.match(name):
        return "organisation"
    if 2 <= len(name.split()) <= 4 and not any(w in CONNECTORS for w in words):
        return "person"
    return "organisation"
