"""``BagEntry``: what the record's ``bags[]`` remembers of one bag, built in one place.

Three places record a bag: the writer (``bagging.service``), adopt (a bag a killed run left
unrecorded) and ingest (a bag from outside). Each knows the facts differently (a summary the writer
made, tag files on disk), but the entry they store must have one shape, because verify compares
the bag against it and ``list`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def bag_path(record_id: str, version: int) -> str:
    """Where a bag lives, relative to the archive root: ``bags/<id>/v<N>``."""
    return f"bags/{record_id}/v{version}"


@dataclass(frozen=True, slots=True)
class BagEntry:
    """One ``bags[]`` entry. Optional facts are left out of the stored entry when unknown:
    ``record_revision`` (a bag from outside may carry none), ``tagmanifest_sha256`` (a bag from
    outside may have no sha256 tag manifest) and ``bagged_id`` (set only when ingest renumbered
    the record, so verify expects the sender's id inside the bag)."""

    record_id: str
    version: int
    bagged_at: str
    metadata_sha256: str
    payload_oxum: str
    size: int
    record_revision: int | None = None
    tagmanifest_sha256: str | None = None
    bagged_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The entry as the catalogue stores it."""
        entry: dict[str, Any] = {"version": self.version, "path": bag_path(self.record_id, self.version),
                                 "bagged_at": self.bagged_at}
        if self.record_revision is not None:
            entry["record_revision"] = self.record_revision
        entry.update(metadata_sha256=self.metadata_sha256, payload_oxum=self.payload_oxum, size=self.size)
        if self.tagmanifest_sha256 is not None:
            entry["tagmanifest_sha256"] = self.tagmanifest_sha256
        if self.bagged_id is not None:
            entry["bagged_id"] = self.bagged_id
        return entry
