"""Exporting records: citations in one format, or the whole catalogue as csv or jsonl.

One entry point (``render_records``) serves the CLI's ``export``, the TUI and the bagger, so a
record cites the same way wherever it is shown.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import orjson

from archive.citation.bibtex import to_biblatex, to_bibtex
from archive.citation.csl import to_csl_json
from archive.citation.fields import latest_bag
from archive.citation.formatted import DEFAULT_STYLE, format_bibliography
from archive.citation.options import (  # noqa: F401 - FORMATS, SUFFIXES: still importable here
    CATALOGUE_FORMATS,
    CITATION_FORMATS,
    FORMATS,
    SUFFIXES,
)
from archive.citation.ris import to_ris
from archive.creators import format_creator
from archive.errors import ArchiveError
from archive.references.listing import references_text

_ENTRY_WRITERS: dict[str, Callable[..., str]] = {
    "bibtex": to_bibtex,
    "biblatex": to_biblatex,
    "ris": to_ris,
}

CSV_COLUMNS = (
    "id", "uuid", "type", "status", "title", "subtitle", "creators", "container_title", "publisher",
    "section", "page", "edition", "volume", "issue", "issued", "accessed", "url", "archived_url",
    "identifiers", "language", "abstract", "subjects", "keywords", "rights_statement",
    "rights_holder", "references", "source_filename", "source_media_type", "source_size",
    "source_sha256", "extracted_fields", "bag_version", "bag_path", "revision", "created_at",
    "updated_at",
)  # fmt: skip
"""One row per record; lists are joined with ``; `` so a spreadsheet shows them in one cell
(references as "Name (kind); Name (kind, unconfirmed)")."""


def render(
    record: dict,
    fmt: str,
    *,
    style: str = DEFAULT_STYLE,
    locale: str | None = None,
    archive_name: str | None = None,
) -> str:
    """One record in one format, as the text a file of that format would hold."""
    return render_records([record], fmt, style=style, locale=locale, archive_name=archive_name)


def render_records(
    records: list[dict],
    fmt: str,
    *,
    style: str = DEFAULT_STYLE,
    locale: str | None = None,
    archive_name: str | None = None,
    cached: bool = False,
) -> str:
    """Several records in one format: one JSON array, one .bib/.ris file, one bibliography
    (``cached``: an unchanged bibliography formatted before is not formatted again)."""
    if fmt not in FORMATS:
        raise ArchiveError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "csl-json":
        items = [to_csl_json(r, archive_name=archive_name) for r in records]
        return orjson.dumps(items, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
    if fmt == "text":
        entries = format_bibliography(records, style, locale=locale, archive_name=archive_name, cached=cached)
        return "".join(line + "\n" for line in entries)
    if fmt == "csv":
        return to_csv(records)
    if fmt == "jsonl":
        return "".join(orjson.dumps(r).decode("utf-8") + "\n" for r in records)
    writer = _ENTRY_WRITERS[fmt]
    return "\n".join(writer(r, archive_name=archive_name) for r in records)


def _joined(values: list[str]) -> str:
    return "; ".join(values)


def csv_row(record: dict) -> dict[str, str]:
    """A record flattened to the CSV columns."""
    rights = record.get("rights") or {}
    source = record.get("source") or {}
    bag = latest_bag(record) or {}
    row = {name: record.get(name, "") for name in CSV_COLUMNS}
    row.update(
        creators=_joined([format_creator(c) for c in record.get("creators") or []]),
        identifiers=_joined([f"{i['scheme']}:{i['value']}" for i in record.get("identifiers") or []]),
        subjects=_joined(record.get("subjects") or []),
        keywords=_joined(record.get("keywords") or []),
        rights_statement=rights.get("statement_uri", ""),
        rights_holder=rights.get("holder", ""),
        references=references_text(record.get("references") or []),
        source_filename=source.get("filename", ""),
        source_media_type=source.get("media_type", ""),
        source_size=source.get("size", ""),
        source_sha256=source.get("sha256", ""),
        extracted_fields=_joined((record.get("provenance") or {}).get("extracted_fields") or []),
        bag_version=bag.get("version", ""),
        bag_path=bag.get("path", ""),
    )
    return {k: str(v) for k, v in row.items()}


def to_csv(records: list[dict]) -> str:
    """The catalogue as CSV with a header row (RFC 4180 quoting, CRLF line ends)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for record in records:
        writer.writerow(csv_row(record))
    return out.getvalue()
