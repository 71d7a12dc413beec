"""``archive replica clean NAME``: remove what killed writes left on a replica, and nothing else.

A replicate (or repair --replica) killed mid-file leaves a temporary on the replica: a
``.storage-partial`` or ``.archive-tmp-`` file beside the file it was writing, or on S3 an
unfinished multipart upload (archive.storage.temporaries). No reader takes one for a file, but they
take space, and nothing else ever removes them.

Nothing committed on a replica is ever deleted (issue 11), so a leftover is removed only when all
of these hold, and is otherwise listed as kept, with why:

* it is named as the storage names its own temporaries (a committed object never is, on S3: an
  unfinished upload is not an object, and aborting it leaves every object as it was);
* the path it was for is in the archive's layout: replica.json, catalog/latest.json,
  catalog/snapshots/*.jsonl, bags/<id>/v<N>/... of a bag version the catalogue lists, or
  sources/<id>/<file> of a record it holds;
* a temporary *file* is not a file the archive itself holds: a bag may hold any file name, even
  one shaped like a temporary, so a name the local bag (or the record's catalogued sources) has is
  kept, and so is anything in a bag this archive no longer holds locally, since it cannot tell;
* it was last written at least ``older_than`` ago (default an hour), so a write still going on
  from another machine is left alone; on this machine the replicate lock keeps a run off it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from archive.errors import ArchiveError
from archive.layout import Archive
from archive.progress import Cancel, cancelled
from archive.replicas.check import open_replica
from archive.replicas.remote import BAGS, LATEST, MARKER, SNAPSHOTS, SOURCES, read_marker, replica_lock
from archive.source_files import files_of
from archive.storage.base import Storage, StorageError
from archive.storage.temporaries import Temporary, find_temporaries, remove_temporary

OLDER_THAN_S = 3600.0
"""Leftovers younger than this are kept: a writer elsewhere may still be sending them."""
VERSION = re.compile(r"^v([1-9][0-9]{0,8})$")


@dataclass
class CleanResult:
    """What a clean removed and what it kept; ``ok`` unless a removal failed."""

    name: str
    storage: str
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """``path: why`` for each leftover-shaped name that was not removed."""
    problems: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"removed {path}" for path in self.removed]
        out += [f"kept {line}" for line in self.kept]
        out.append(f"replica {self.name} ({self.storage}): {len(self.removed)} leftovers of unfinished "
                   f"writes removed, {len(self.kept)} kept; nothing committed was touched"
                   + ("; stopped early" if self.cancelled else ""))
        return out

    def as_json(self) -> dict[str, Any]:
        return {"replica": self.name, "storage": self.storage, "ok": self.ok, "removed": list(self.removed),
                "kept": list(self.kept), "problems": list(self.problems), "cancelled": self.cancelled}


def _bag_held(arc: Archive, record_id: str, version: str) -> bool:
    """Whether the catalogue lists bag ``version`` (``vN``) of ``record_id``."""
    match = VERSION.match(version)
    try:
        record = arc.store.get(record_id)
    except ArchiveError:
        return False
    return match is not None and any(e.get("version") == int(match[1]) for e in record.get("bags") or [])


def why_kept(arc: Archive, temp: Temporary) -> str:
    """'' when ``temp`` is the archive's own leftover by the rules of the module docstring (age
    aside), else why it stays."""
    parts = temp.final.split("/")
    if temp.final in (MARKER, LATEST) or (temp.final.startswith(f"{SNAPSHOTS}/") and len(parts) == 3
                                          and parts[2].endswith(".jsonl")):
        return ""
    if parts[0] == BAGS and len(parts) >= 4:
        if not _bag_held(arc, parts[1], parts[2]):
            return "not in a bag version this archive's catalogue lists"
        if temp.kind != "file":
            return ""
        local = arc.root.joinpath(BAGS, parts[1], parts[2])
        if not local.is_dir():
            return "its bag is not held locally, so a temporary cannot be told from a file of the bag"
        if arc.root.joinpath(*temp.path.split("/")).exists() or \
                arc.root.joinpath(*temp.path.split("/")).is_symlink():
            return "the archive's own bag holds a file of this name"
        return ""
    if parts[0] == SOURCES and len(parts) == 3:
        try:
            record = arc.store.get(parts[1])
        except ArchiveError:
            return "not the sources of a record this archive holds"
        if temp.kind != "file":
            return ""
        name = temp.path.split("/")[-1]
        if name in {item.filename for item in files_of(record)} or \
                (arc.source_dir(parts[1]) / name).exists():
            return "the record's sources hold a file of this name"
        return ""
    return "outside the archive's layout on a replica"


def sweep(arc: Archive, name: str, storage: Storage, *, older_than: float = OLDER_THAN_S,
          cancel: Cancel | None = None) -> CleanResult:
    """Remove the archive's own leftovers from ``storage`` (replica ``name``, already opened and
    proved to be this archive's). For a caller that holds the replicate lock (``replicate``
    before it sends, for one)."""
    result = CleanResult(name=name, storage=storage.label)
    try:
        leftovers = list(find_temporaries(storage))
    except StorageError as exc:
        result.problems.append(f"replica {name}: cannot look for leftovers: {exc}")
        return result
    for temp in sorted(leftovers, key=lambda t: t.path):
        if cancelled(cancel):
            result.cancelled = True
            break
        why = why_kept(arc, temp)
        shown = temp.path if temp.kind == "file" else f"{temp.path} (an unfinished upload)"
        if not why and temp.age < older_than:
            why = (f"last written {temp.age:.0f} s ago, under {older_than:.0f} s: a write may still be "
                   "going on")
        if why:
            result.kept.append(f"{shown}: {why}")
            continue
        try:
            remove_temporary(storage, temp)
        except StorageError as exc:
            result.problems.append(f"replica {name}: {shown}: not removed: {exc.reason}")
            continue
        result.removed.append(shown)
    return result


def clean_replica(arc: Archive, name: str, *, older_than: float = OLDER_THAN_S,
                  cancel: Cancel | None = None) -> CleanResult:
    """Sweep replica ``name`` under the replicate lock (a run on this machine is never swept
    under), after proving it is a replica (its replica.json) of this archive."""
    storage = open_replica(arc, name)
    try:
        if read_marker(storage) is None:
            raise ArchiveError(f"replica {name} ({storage.label}): no {MARKER} there: not a replica, or its "
                               "drive is not mounted; nothing was removed")
    except StorageError as exc:
        raise ArchiveError(f"replica {name}: {exc}") from None
    lock = replica_lock(arc, name, then="clean it when that has finished")
    try:
        return sweep(arc, name, storage, older_than=older_than, cancel=cancel)
    finally:
        lock.release()
        close = getattr(storage, "close", None)
        if callable(close):
            close()

