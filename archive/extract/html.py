"""HTML pages: the main text and the citation metadata, extracted with trafilatura.

trafilatura (with htmldate for dates) reads ``<meta>``, OpenGraph, ``citation_*`` tags and JSON-LD
and finds the article's main text; ``structured`` adds what it does not return separately.
Nothing is fetched: the page is read from the file the archivist gave.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from archive.extract.names import creators_from_names, split_byline
from archive.extract.normalise import flatten_to_line, language_tag, partial_date, web_url
from archive.extract.result import Extraction
from archive.extract.structured import (
    BLOG_TYPES,
    NEWS_TYPES,
    PageMeta,
    drop_hostile_jsonld,
    names_of,
    read_page_meta,
)
from archive.sources import declared_charset, declares_wide_unicode

_DATE_CONFIG = {"extensive_search": False, "original_date": True}
"""Dates only from metadata and markup, never guessed from the article's prose."""


def _quiet() -> None:
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)


def extract_html(path: Path, *, charset: str | None = None) -> Extraction:
    """Record fields and the main text of an HTML file (already checked to be text in UTF-8 or
    the charset it declares, or in ``charset`` when its transport determined one)."""
    import lxml.html
    import trafilatura
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    _quiet()
    raw = path.read_bytes()
    if charset:
        html = raw.decode(charset)
        html = html.removeprefix("\ufeff")
    else:
        html = raw.decode(declared_charset(raw[:4096], path.name) or "utf-8-sig")
    tree = load_html(html)
    notes = ([] if charset else _charset_notes(raw[:4096])) + drop_hostile_jsonld(tree)
    if notes and tree is not None:  # what trafilatura reads must not hold what was dropped
        html = lxml.html.tostring(tree, encoding="unicode")
    page = read_page_meta(tree)
    found = extract_metadata(html, date_config=_DATE_CONFIG) if tree is not None else None
    fields = _fields(found, page, html)
    kind, stated = _record_type(found, page)
    fields["type"] = kind
    if notes:
        provenance = fields.setdefault("provenance", {})
        provenance["notes"] = " ".join([*notes, *filter(None, [provenance.get("notes")])])
    text = (
        trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            favor_recall=True,
            date_extraction_params=_DATE_CONFIG,
        )
        if tree is not None
        else None
    )
    return Extraction(
        fields={k: v for k, v in fields.items() if v},
        derived_text=(text or "").strip() + "\n",
        guessed=set() if stated else {"type"},
    )


def _charset_notes(head: bytes) -> list[str]:
    """Say so when the page's declared charset was not the one it was read in."""
    declared = declares_wide_unicode(head)
    if not declared:
        return []
    return [
        f"The page declares charset '{declared}', which a declaration readable as ASCII cannot "
        "be; it was read as UTF-8, as browsers do."
    ]


def _fields(found: Any, page: PageMeta, html: str) -> dict[str, Any]:
    ld = page.jsonld
    fields: dict[str, Any] = {
        "title": flatten_to_line(page.first("citation_title") or (found and found.title)),
        "creators": _creators(found, page),
        "container_title": flatten_to_line(_publication(found, page)),
        "publisher": flatten_to_line(
            page.first("citation_publisher", "dc.publisher", "dcterms.publisher")
            or next(iter(names_of(ld.get("publisher"))), None)
        ),
        "issued": partial_date(
            page.first("citation_publication_date", "citation_date") or (found and found.date)
        ),
        "language": _language(page),
        "url": web_url(found and found.url)
        or web_url(page.first("citation_abstract_html_url", "citation_fulltext_html_url")),
        "volume": flatten_to_line(page.first("citation_volume")),
        "issue": flatten_to_line(page.first("citation_issue")),
        "page": _pages(page),
        "abstract": flatten_to_line(page.first("citation_abstract") or (found and found.description)),
        "keywords": sorted({flatten_to_line(t) for t in (found.tags if found else []) if flatten_to_line(t)}),
        "identifiers": _identifiers(page),
    }
    modified = _modified(page, html, fields.get("issued"))
    if modified:
        fields["provenance"] = {"notes": f"The page gives {modified} as its last modification date."}
    return fields


STATED_ARTICLE_TYPES = ("scholarlyarticle", "techarticle", "report")
"""JSON-LD types that say an article is not a news story (a paper, a manual, a report)."""
WEBPAGE_TYPES = ("website", "webpage")


def _record_type(found: Any, page: PageMeta) -> tuple[str, bool]:
    """The page's kind, and whether the page states it (else it is a guess the archive may replace).

    A news or blog type in JSON-LD, a scholarly one, a journal title, or og:type ``website`` or
    ``blog`` states the kind. A generic ``Article`` (JSON-LD, or og:type ``article``, which nearly
    every news site uses) does not say which kind of article, and a page without any says nothing.
    """
    kind = page.jsonld_type or ((found.pagetype or "") if found else "").lower()
    og_type = (page.first("og:type") or "").lower()
    if kind in NEWS_TYPES:
        return "article-newspaper", True
    if kind in BLOG_TYPES or "blog" in (kind, og_type):
        return "post-weblog", True
    if kind in STATED_ARTICLE_TYPES or page.first("citation_journal_title"):
        return "article", True
    if kind in WEBPAGE_TYPES or og_type in WEBPAGE_TYPES:
        return "webpage", True
    if kind == "article" or og_type == "article" or page.first("citation_title"):
        return "article", False
    return "webpage", False


def _creators(found: Any, page: PageMeta) -> list[dict]:
    """citation_author (one per tag) first, then JSON-LD, then the byline trafilatura found."""
    names = page.all("citation_author") or page.all("dc.creator")
    if not names:
        names = names_of(page.jsonld.get("author"))
    if not names and found and found.author:
        names = split_byline(found.author)
    return creators_from_names([n for n in (flatten_to_line(x) for x in names) if n])


def _publication(found: Any, page: PageMeta) -> str | None:
    ld = page.jsonld
    part_of = names_of(ld.get("isPartOf"))
    return (
        page.first("citation_journal_title", "citation_conference_title")
        or (part_of[0] if part_of else None)
        or page.first("og:site_name", "application-name")
        or (found and found.sitename)
    )


def _language(page: PageMeta) -> str | None:
    for value in (
        page.first("citation_language", "dc.language", "content-language"),
        page.jsonld.get("inLanguage") if isinstance(page.jsonld.get("inLanguage"), str) else None,
        page.html_lang,
        page.first("og:locale"),
    ):
        tag = language_tag(value)
        if tag:
            return tag
    return None


def _pages(page: PageMeta) -> str | None:
    first, last = page.first("citation_firstpage"), page.first("citation_lastpage")
    if first and last and last != first:
        return flatten_to_line(f"{first}-{last}")
    return flatten_to_line(first)


def _identifiers(page: PageMeta) -> list[dict]:
    found = []
    for scheme, names in (("doi", ("citation_doi", "dc.identifier.doi")), ("issn", ("citation_issn",))):
        value = flatten_to_line(page.first(*names))
        if value:
            found.append({"scheme": scheme, "value": value.removeprefix("doi:").strip()})
    return found


def _modified(page: PageMeta, html: str, issued: str | None) -> str | None:
    """When the page says it was last changed, if that differs from its publication date."""
    import htmldate

    value = (
        page.jsonld.get("dateModified") if isinstance(page.jsonld.get("dateModified"), str) else None
    ) or page.first("article:modified_time", "og:updated_time", "dcterms.modified", "last-modified")
    if not value:
        value = htmldate.find_date(html, extensive_search=False, original_date=False)
    modified = partial_date(value)
    return modified if modified and modified != issued else None
