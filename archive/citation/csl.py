"""The canonical mapping from a record to CSL-JSON; the other formats follow its choices.

CSL-JSON is what citeproc processors, Zotero and pandoc read, so it carries everything a
citation can use, including where the archived copy is (``archive``, ``archive_location``).
"""

from __future__ import annotations

from typing import Any

from archive.citation.fields import (
    PERSON_ROLES,
    archive_location,
    creators,
    date_parts,
    full_title,
    identifier,
)

CSL_TYPES = {
    "article-newspaper": "article-newspaper",
    "article-magazine": "article-magazine",
    "post-weblog": "post-weblog",
    "webpage": "webpage",
    "article": "document",  # CSL 1.0.2 "article" means a preprint; "document" is the generic type
}
PERIODICAL_ARTICLE = "article-magazine"
"""CSL type for a generic ``article`` that names its publication: styles cite a ``document`` with a
container like a book chapter ("In The Daily Planet."), which misdescribes any periodical article;
``article-magazine`` is CSL's periodical article that claims nothing newspaper-specific."""
_SIMPLE = {
    "container_title": "container-title",
    "publisher": "publisher",
    "section": "section",
    "page": "page",
    "edition": "edition",
    "volume": "volume",
    "issue": "issue",
    "language": "language",
    "abstract": "abstract",
}


def csl_name(creator: dict) -> dict[str, str]:
    """A record creator as a CSL name object."""
    if "literal" in creator:
        return {"literal": creator["literal"]}
    name = {"family": creator["family"]}
    if creator.get("given"):
        name["given"] = creator["given"]
    return name


def csl_type(record: dict) -> str:
    """The CSL type: the record's own, with a generic article in a publication as a periodical one."""
    kind = record.get("type", "article")
    if kind == "article" and record.get("container_title"):
        return PERIODICAL_ARTICLE
    return CSL_TYPES.get(kind, "document")


def to_csl_json(record: dict, *, archive_name: str | None = None) -> dict[str, Any]:
    """One CSL-JSON item; ``archive_name`` (the archive's organisation) names the holding archive.

    The URL is the published one; when there is none, the archived copy stands in. A record
    with a bag gets ``archive``/``archive_location``; ``archived_url`` goes into ``note`` too,
    since CSL has no variable of its own for a web-archive copy.
    """
    item: dict[str, Any] = {
        "id": record["id"],
        "type": csl_type(record),
        "title": full_title(record),
    }
    for role in PERSON_ROLES:
        names = [csl_name(c) for c in creators(record, role)]
        if names:
            item[role] = names
    for field_name, variable in _SIMPLE.items():
        if record.get(field_name):
            item[variable] = record[field_name]
    for field_name in ("issued", "accessed"):
        parts = date_parts(record.get(field_name))
        if parts:
            item[field_name] = {"date-parts": [parts]}
    url = record.get("url") or record.get("archived_url")
    if url:
        item["URL"] = url
    for scheme, variable in (("doi", "DOI"), ("issn", "ISSN"), ("isbn", "ISBN")):
        value = identifier(record, scheme)
        if value:
            item[variable] = value
    if record.get("keywords"):
        item["keyword"] = ", ".join(record["keywords"])
    location = archive_location(record)
    if location:
        if archive_name:
            item["archive"] = archive_name
        item["archive_location"] = location
    if record.get("archived_url") and record.get("url"):
        item["note"] = f"Archived at {record['archived_url']}"
    return item
