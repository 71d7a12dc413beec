"""What a killed add, import or ingest leaves in sources/, found and cleared in one place.

A source is copied into ``sources/<id>/`` before the transaction that records it commits. If the
process dies between the two, the folder stays with no record, and because the id counter is
saved only after a commit, the next run reserves the same id and would find the stale folder
(and its file) waiting. Writers call ``clear_unclaimed_source`` under the catalogue lock before
copying; ``verify`` reports whatever ``unclaimed_sources`` still finds.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from archive.errors import RecordNotFoundError
from archive.ids import is_id
from archive.layout import Archive

PARTIAL_SUFFIX = ".partial"


def _claimed(arc: Archive, record_id: str) -> bool:
    try:
        arc.store.summary(record_id)
    except (RecordNotFoundError, ValueError):
        return False
    return True


def unclaimed_sources(arc: Archive) -> list[Path]:
    """Folders in sources/ that no record owns, and half-copied ``*.partial`` files anywhere there.

    Read with ``os.scandir`` (the entry types come with the listing): verify runs this over every
    record's folder, and a Path, an lstat and a stat per folder made it a second of a 10,000-record
    verify."""
    found: list[Path] = []
    base = arc.sources_dir
    try:
        with os.scandir(base) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        if entry.is_symlink() or not _is_dir(entry) or not is_id(entry.name) \
                or not _claimed(arc, entry.name):
            found.append(base / entry.name)
            continue
        partial: list[str] = []
        with contextlib.suppress(OSError), os.scandir(entry.path) as inside:
            partial = sorted(e.name for e in inside if e.name.endswith(PARTIAL_SUFFIX))
        found.extend(base / entry.name / name for name in partial)
    return found


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def clear_unclaimed_source(arc: Archive, record_id: str) -> bool:
    """Remove ``sources/<record_id>`` when no record owns it; True if something was removed.

    Call it under the catalogue lock: then no other writer can be between copying and committing
    that id, so a folder with no record can only be a killed run's leftover.
    """
    folder = arc.source_dir(record_id)
    if not (folder.exists() or folder.is_symlink()) or _claimed(arc, record_id):
        return False
    if folder.is_dir() and not folder.is_symlink():
        import shutil  # here, not at the top: every add calls this, nearly always with nothing to clear

        shutil.rmtree(folder)
    else:
        folder.unlink()
    return True
