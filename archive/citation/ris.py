"""RIS, the tagged format reference managers (EndNote, Zotero, Mendeley) import.

The tags follow the RIS specification as reference managers read it: T2 for the publication,
DA for the full date, PY for the year, Y2 for the access date, UR for each URL; DB names the
holding archive and CN (call number) the bag, AN the accession number.
"""

from __future__ import annotations

from archive.citation.csl import to_csl_json
from archive.creators import format_creator

RIS_TYPES = {
    "article-newspaper": "NEWS",
    "article-magazine": "MGZN",
    "post-weblog": "BLOG",
    "webpage": "ELEC",
    "article": "GEN",
}
_SIMPLE = (
    ("container-title", "T2"),
    ("publisher", "PB"),
    ("section", "SE"),
    ("edition", "ET"),
    ("volume", "VL"),
    ("issue", "IS"),
    ("language", "LA"),
    ("abstract", "AB"),
    ("DOI", "DO"),
    ("ISSN", "SN"),
    ("archive", "DB"),
    ("archive_location", "CN"),
)


def _line(tag: str, value: str) -> str:
    """One tagged line; RIS values are single lines, so line breaks become spaces."""
    return f"{tag}  - {' '.join(str(value).split())}"


def _ris_date(parts: list[int]) -> str:
    """RIS dates are ``YYYY/MM/DD/`` with empty parts for what is unknown."""
    padded = [f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:]]
    padded += [""] * (3 - len(padded))
    return "/".join(padded)


def to_ris(record: dict, *, archive_name: str | None = None) -> str:
    """One RIS record, ending with ``ER``; records can be concatenated into one file."""
    item = to_csl_json(record, archive_name=archive_name)
    lines = [_line("TY", RIS_TYPES.get(record.get("type", "article"), "GEN"))]
    for creator in record.get("creators") or []:
        tag = {"author": "AU", "editor": "A2", "translator": "A4"}.get(creator.get("role", "author"))
        if tag:
            lines.append(_line(tag, format_creator(creator)))
    lines.append(_line("TI", item["title"]))
    for variable, tag in _SIMPLE:
        if item.get(variable):
            lines.append(_line(tag, item[variable]))
    if item.get("page"):
        start, _, end = item["page"].partition("-")
        lines.append(_line("SP", start.strip()))
        if end.strip():
            lines.append(_line("EP", end.strip()))
    issued = item.get("issued")
    if issued:
        parts = issued["date-parts"][0]
        lines.append(_line("PY", f"{parts[0]:04d}"))
        lines.append(_line("DA", _ris_date(parts)))
    accessed = item.get("accessed")
    if accessed:
        lines.append(_line("Y2", _ris_date(accessed["date-parts"][0])))
    for url in dict.fromkeys(u for u in (record.get("url"), record.get("archived_url")) if u):
        lines.append(_line("UR", url))
    for keyword in record.get("keywords") or []:
        lines.append(_line("KW", keyword))
    lines.append(_line("AN", record["id"]))
    if item.get("note"):
        lines.append(_line("N1", item["note"]))
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"
