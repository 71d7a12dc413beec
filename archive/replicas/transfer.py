"""What every way of sending bags to a replica shares: the task results, the run's context, the
two failures a task can end in, and the digests a bag's own manifests give its files.

Kept apart from push.py so the folder fast path (folder_push.py) and the file-by-file path both
use them without importing each other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError
from archive.layout import Archive
from archive.storage.base import Storage

if TYPE_CHECKING:  # the fixity and bag-format packages are imported where a manifest is parsed
    from archive.fixity.inventory import Inventory

MANIFESTS = ("manifest-sha256.txt", "tagmanifest-sha256.txt")


class LocalProblem(ArchiveError):
    """The local file or bag is what is wrong (missing, unsafe, not matching its digest): not
    retried, and not a sign that the replica is down."""


class Stopped(Exception):
    """The run was cancelled, or the replica was given up on, while this task waited or sent."""


@dataclass
class BagDone:
    record_id: str
    version: int
    files: int
    bytes: int
    sent: int
    sent_bytes: int


@dataclass
class SourceDone:
    record_id: str
    sent: int
    sent_bytes: int


@dataclass
class Counter:
    """Bytes sent so far, shared by the workers and read by the progress loop."""

    value: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, n: int) -> None:
        with self.lock:
            self.value += n


@dataclass
class Context:
    arc: Archive
    storage: Storage
    sent: Counter
    stop: threading.Event
    """Set on cancel or when the replica is given up on: tasks not yet sending stop at once."""
    deferred: bool = False
    """A folder replica whose bag files are made durable by one sync per batch (see
    LocalStorage.defer_sync): a file found there for a bag not yet recorded is re-hashed."""


def bag_digests(inv: Inventory, entry: dict[str, Any]) -> dict[str, str]:
    """sha256 of each file the bag's sha256 manifests list, and of the tag manifest as pinned by
    the catalogue; read through the inventory, so a link planted in the bag is never followed.

    Its parsers are imported here, not with the module: a folder replica's bags in the archive's
    own form never need them (folder_push._listed_as_copied), and importing the fixity package
    (the bag checker and all it needs) was a fixed cost of every replicate run."""
    from archive.bagit_format.manifest import ManifestLine
    from archive.bagit_format.paths import decode_path
    from archive.fixity.tagfiles import iter_manifest, read_declaration

    decl = read_declaration(inv)
    version = decl.version or (1, 0)
    digests: dict[str, str] = {}
    for manifest in MANIFESTS:
        if manifest not in inv.files:
            continue
        for line in iter_manifest(inv, manifest, decl.encoding):
            if isinstance(line, ManifestLine) and len(line.digest) == 64:
                digests[decode_path(line.path, version)] = line.digest
    pinned = entry.get("tagmanifest_sha256")
    if isinstance(pinned, str) and len(pinned) == 64:
        digests["tagmanifest-sha256.txt"] = pinned
    return digests
