"""BibTeX and BibLaTeX entries, derived from the CSL-JSON mapping so the formats agree.

Plain BibTeX has no newspaper or web types, so it keeps what it can (``@article``/``@misc``,
``howpublished``, ``note``); BibLaTeX has ``entrysubtype``, ``@online``, ``urldate`` and full dates.
"""

from __future__ import annotations

from archive.citation.csl import to_csl_json
from archive.citation.latex import bib_entry, bib_names, escape

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEB_TYPES = ("webpage", "post-weblog")


def _iso(parts: list[int]) -> str:
    return "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(parts))


def _date(item: dict, name: str) -> list[int] | None:
    value = item.get(name)
    return value["date-parts"][0] if value else None


def _archive_note(item: dict) -> list[str]:
    """What a reader needs to find the preserved copy, as sentences for ``note``/``addendum``."""
    notes = []
    if item.get("note"):
        notes.append(item["note"])
    if item.get("archive_location"):
        where = ", ".join(v for v in (item.get("archive"), item["archive_location"]) if v)
        notes.append(f"Preserved copy: {where}")
    return notes


def _common(item: dict) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    if item.get("author"):
        fields.append(("author", bib_names(item["author"])))
    if item.get("editor"):
        fields.append(("editor", bib_names(item["editor"])))
    fields.append(("title", escape(item["title"])))
    return fields


def _tail(item: dict) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for variable, name in (
        ("page", "pages"),
        ("volume", "volume"),
        ("issue", "number"),
        ("edition", "edition"),
        ("language", "language"),
        ("ISSN", "issn"),
        ("abstract", "abstract"),
        ("keyword", "keywords"),
    ):
        if item.get(variable):
            fields.append((name, escape(item[variable])))
    if item.get("DOI"):
        fields.append(("doi", item["DOI"]))
    if item.get("URL"):
        fields.append(("url", item["URL"]))
    return fields


def to_bibtex(record: dict, *, archive_name: str | None = None) -> str:
    """A plain BibTeX entry keyed by the accession number."""
    item = to_csl_json(record, archive_name=archive_name)
    web = item["type"] in WEB_TYPES
    fields = _common(item)
    if item.get("container-title"):
        fields.append(("howpublished" if web else "journal", escape(item["container-title"])))
    if item.get("publisher"):
        fields.append(("publisher", escape(item["publisher"])))
    issued = _date(item, "issued")
    if issued:
        fields.append(("year", str(issued[0])))
        if len(issued) > 1:
            fields.append(("month", MONTHS[issued[1] - 1]))
    fields.extend(_tail(item))
    accessed = _date(item, "accessed")
    if accessed:
        fields.append(("urldate", _iso(accessed)))
    notes = _archive_note(item)
    if accessed and item.get("URL"):
        notes.append(f"Accessed {_iso(accessed)}")
    if notes:
        fields.append(("note", escape(". ".join(notes))))
    return bib_entry("misc" if web else "article", item["id"], fields)


def to_biblatex(record: dict, *, archive_name: str | None = None) -> str:
    """A BibLaTeX entry: ``@article`` with ``journaltitle`` for the press, ``@online`` for the web."""
    item = to_csl_json(record, archive_name=archive_name)
    web = item["type"] in WEB_TYPES
    fields = _common(item)
    if item.get("container-title"):
        fields.append(("organization" if web else "journaltitle", escape(item["container-title"])))
    subtype = {"article-newspaper": "newspaper", "article-magazine": "magazine"}.get(item["type"])
    if subtype:
        fields.append(("entrysubtype", subtype))
    if item.get("publisher") and web:
        fields.append(("publisher", escape(item["publisher"])))
    if item.get("section"):
        fields.append(("issuetitle", escape(item["section"])))
    issued = _date(item, "issued")
    if issued:
        fields.append(("date", _iso(issued)))
    fields.extend(_tail(item))
    accessed = _date(item, "accessed")
    if accessed:
        fields.append(("urldate", _iso(accessed)))
    if item.get("archive"):
        fields.append(("library", escape(item["archive"])))
    notes = _archive_note(item)
    if notes:
        fields.append(("addendum", escape(". ".join(notes))))
    return bib_entry("online" if web else "article", item["id"], fields)
