"""Facts about a record that several features share."""

from __future__ import annotations

from typing import Any

import orjson

BOOKKEEPING_FIELDS = frozenset({"revision", "serial", "updated_at", "bags", "status", "deaccession",
                                "copies"})
"""Fields the archive itself maintains; changing them does not change what a bag describes.
(``copies`` is never stored: ``show --json`` adds it, counted from ``bags`` and archive.toml, and a
record read back from that output must fingerprint as the stored one.)"""

BOOKKEEPING_WRITES = frozenset({"bags", "status", "last_fixity"})
"""What a bookkeeping write (bag, fixity check, deposit) may change without a new revision; a new
field the archive keeps about a record (not what the archivist typed) belongs here too."""


def serial_of(record: dict) -> int:
    """The record's write counter: ``serial``, or for records written before it existed (when
    ``revision`` moved on every write) the revision, which then played its part."""
    serial = record.get("serial")
    return serial if isinstance(serial, int) else record["revision"]


def descriptive(record: dict) -> dict:
    """The record without the archive's bookkeeping: what a bag's record.json must match."""
    return {k: v for k, v in record.items() if k not in BOOKKEEPING_FIELDS}


def metadata_fingerprint(record: dict) -> str:
    """sha256 of the descriptive fields in canonical JSON; a bag stores it to detect later edits."""
    import hashlib  # here: list, show and search import this module and never hash (OpenSSL's start-up)

    canonical = orjson.dumps(descriptive(record), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def changed_since_bag(record: dict) -> bool:
    """True when the metadata was edited after the newest bag was written (the next bag is vN+1)."""
    bags = record.get("bags") or []
    return bool(bags) and bags[-1].get("metadata_sha256") != metadata_fingerprint(record)


def full_check_at(fixity: dict[str, Any] | None) -> str:
    """When a bag (its ``last_fixity``) last had a full check ('' if never); older records lack
    ``full_at``. Here, not in ``archive.fixity``, because the catalogue's summary index shows it
    and the store sits below fixity."""
    if not fixity:
        return ""
    if "full_at" in fixity:
        return str(fixity["full_at"])
    return "" if fixity.get("fast") else str(fixity.get("at", ""))


def check_mode(fixity: dict[str, Any] | None) -> str:
    """'fast' or 'full' for the check that set a bag's ``last_fixity``, '' when never checked."""
    if not fixity:
        return ""
    return "fast" if fixity.get("fast") else "full"


FAILURE = "failure"
LOCAL = "local"
"""Where the archive's own copy is, among the places a record's copies are named by."""


def standing_failure(fixity: dict[str, Any] | None) -> str:
    """The time of a failure a fast check cannot clear ('' when there is none). Here, not in
    ``archive.fixity.state`` (which re-exports it), because the summary index counts good copies
    by it and the store sits below fixity."""
    if fixity and fixity.get("outcome") == FAILURE:
        return str(fixity.get("at", ""))
    return ""


def replica_copy_good(bags: list[dict[str, Any]], name: str) -> bool:
    """Replica ``name`` holds a good copy: every bag version confirmed there (``replicated_at``)
    and none with a standing failure there."""
    for bag in bags:
        held = (bag.get("replicas") or {}).get(name)
        if not held or not held.get("replicated_at") or standing_failure(held.get("last_fixity")):
            return False
    return bool(bags)


def good_places(record: dict[str, Any]) -> list[str]:
    """Where a record has a good copy, judged from the record alone: ``local`` when it has bags
    and none has a standing failure, then each replica (sorted) holding a good copy of every
    version. Which replicas still count is archive.toml's business (archive.replicas.status)."""
    bags = record.get("bags") or []
    if not bags:
        return []
    places = [LOCAL] if not any(standing_failure(b.get("last_fixity")) for b in bags) else []
    names = sorted({name for bag in bags for name in bag.get("replicas") or {}})
    return places + [name for name in names if replica_copy_good(bags, name)]
