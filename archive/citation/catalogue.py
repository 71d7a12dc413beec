"""Exporting from an open archive: which records, and the archive's name for the citations.

Kept apart from the format code so the formats stay pure functions of a record.
"""

from __future__ import annotations

from collections.abc import Sequence

from archive.citation.export import CATALOGUE_FORMATS, render_records
from archive.citation.formatted import DEFAULT_STYLE
from archive.errors import ArchiveError
from archive.layout import Archive


def select_records(arc: Archive, ids: Sequence[str] = (), *, status: str | None = None) -> list[dict]:
    """The records named (in the order given), or with no ids every record in accession order."""
    if ids:
        records = [arc.store.get(record_id) for record_id in dict.fromkeys(ids)]
        if status:
            records = [r for r in records if r.get("status") == status]
        return records
    return [arc.store.get(row["id"]) for row in arc.store.summaries(status)]


def export_records(
    arc: Archive,
    fmt: str,
    ids: Sequence[str] = (),
    *,
    style: str = DEFAULT_STYLE,
    locale: str | None = None,
    status: str | None = None,
) -> str:
    """The export of the chosen records; citations name the archive (its organisation). A text
    export of a selection exported before reads its entries from ``entry_cache``.

    A catalogue export (csv, jsonl) of no records is still a valid file (the csv header, or
    nothing), so a script filtering by status gets a file to read, not an error; a citation
    export of nothing is an error, since an empty bibliography is never what was wanted.
    """
    records = select_records(arc, ids, status=status)
    if not records and fmt not in CATALOGUE_FORMATS:
        raise ArchiveError("no records to export" + (f" with status {status}" if status else ""))
    organization = arc.settings.organization or None
    return render_records(records, fmt, style=style, locale=locale, archive_name=organization, cached=True)
