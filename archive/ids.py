"""Accession numbers: ``<PREFIX>-<YYYY>-<NNNNNN>``.

The year is the year of accession; the number is global and only ever grows, so an id is never
reused, not even after a deaccession, and the number alone places a record in its shard.
"""

from __future__ import annotations

import re
import time

from archive.clock import now_epoch
from archive.errors import RecordNotFoundError

ID_RE = re.compile(r"^[A-Z][A-Z0-9]{0,9}-\d{4}-\d{6}$")


def format_id(prefix: str, sequence: int, year: int | None = None) -> str:
    year = year or time.gmtime(now_epoch()).tm_year
    return f"{prefix}-{year:04d}-{sequence:06d}"


def is_id(text: object) -> bool:
    """True for a well-formed accession number whose sequence is 1 or more: sequence 0 maps to
    no shard (records 1-256 share shard 0), so it is never an id, whatever a bag from elsewhere says."""
    return isinstance(text, str) and bool(ID_RE.match(text)) and int(text.rsplit("-", 1)[1]) >= 1


def sequence_of(record_id: str) -> int:
    """The global sequence number at the end of an accession number (1 or more: 0 and negative
    numbers would compute a shard below 0, a file no listing reads)."""
    try:
        sequence = int(record_id.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        raise RecordNotFoundError(f"{record_id!r} is not an accession number") from None
    if sequence < 1:
        raise RecordNotFoundError(f"{record_id!r} is not an accession number (its number is below 1)")
    return sequence
