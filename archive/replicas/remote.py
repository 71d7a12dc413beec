"""A replica's name to its storage, and where each thing lies on it (see the package docstring)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from archive.config import ReplicaSettings, Settings
from archive.errors import ArchiveError, UsageError
from archive.storage.base import Storage
from archive.storage.prefixed import PrefixedStorage
from archive.storage.urls import storage_from_url

MARKER = "replica.json"
MARKER_FORMAT = "article-archive-replica/1"
BAGS = "bags"
SOURCES = "sources"
SNAPSHOTS = "catalog/snapshots"
LATEST = "catalog/latest.json"
MAX_MARKER = 64 << 10


@dataclass(frozen=True, slots=True)
class Marker:
    """What a replica's replica.json says: the bytes read, and the archive it belongs to ('' for a
    replica made before replicas named their archive)."""

    data: bytes
    archive_id: str


def marker_bytes(archive_id: str) -> bytes:
    """replica.json naming the archive (``archive_id`` from archive.toml; '' writes the old form)."""
    fields = {"format": MARKER_FORMAT, **({"archive_id": archive_id} if archive_id else {})}
    return (json.dumps(fields) + "\n").encode("utf-8")


def read_marker(storage: Storage) -> Marker | None:
    """The replica's replica.json, or None when there is none; ArchiveError when the file there is
    not one (another tool's, or damaged). Old markers, with no archive_id, read as ''."""
    found = storage.stat(MARKER)
    if found is None:
        return None
    if found.kind != "file" or found.size > MAX_MARKER:
        raise ArchiveError(f"{storage.label}: {MARKER} is not a replica marker; refused")
    with storage.open_read(MARKER, found) as reader:
        data = reader.read(MAX_MARKER)
    try:
        fields = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        fields = None
    if not isinstance(fields, dict) or fields.get("format") != MARKER_FORMAT:
        raise ArchiveError(f"{storage.label}: {MARKER} does not name {MARKER_FORMAT!r}; "
                           "it belongs to something else, refused")
    archive_id = fields.get("archive_id", "")
    if not isinstance(archive_id, str) or len(archive_id) > 64 or not archive_id.isprintable():
        raise ArchiveError(f"{storage.label}: {MARKER}: archive_id is not an archive id; refused")
    return Marker(data, archive_id)


def check_belongs(storage: Storage, archive_id: str, marker: Marker | None = None, *,
                  minted: bool = False) -> None:
    """Refuse, in one line naming both, a replica whose replica.json names another archive. An
    archive without an id, or a replica made before replicas named their archive, passes.
    ``minted``: ``archive_id`` is about to be given to an archive that had none, so it is not named."""
    found = marker if marker is not None else read_marker(storage)
    if archive_id and found is not None and found.archive_id and found.archive_id != archive_id:
        ours = "this archive, which has no id yet" if minted else f"this archive ({archive_id})"
        raise ArchiveError(f"{storage.label} holds a replica of archive {found.archive_id}, not of "
                           f"{ours}; refused")


def replica_settings(settings: Settings, name: str) -> ReplicaSettings:
    """The ``[replicas.NAME]`` table, or a usage error listing the names there are."""
    found = settings.replicas.get(name)
    if found is None:
        known = ", ".join(sorted(settings.replicas)) or "none yet; add one with: archive replica add NAME URL"
        raise UsageError(f"no replica named {name!r} (replicas: {known})")
    return found


def replica_storage(replica: ReplicaSettings) -> Storage:
    """The storage a replica's URL names; the backend module is imported only now."""
    return storage_from_url(replica.url, endpoint_url=replica.endpoint_url or None,
                            region=replica.region or None)


def bag_prefix(record_id: str, version: int) -> str:
    return f"{BAGS}/{record_id}/v{version}"


def bag_on(storage: Storage, record_id: str, version: int) -> PrefixedStorage:
    """One bag version on a replica as a storage rooted at the bag, for the bag check."""
    return PrefixedStorage(storage, bag_prefix(record_id, version))


def source_path(record_id: str, filename: str) -> str:
    return f"{SOURCES}/{record_id}/{filename}"


def replica_lock(arc: Any, name: str, *, then: str) -> Any:
    """The per-replica lock (``catalog/.replicate-NAME.lock``) that ``replicate`` and ``replica
    clean`` take, without waiting: a sweep must never remove what a running copy is writing, and
    two copies to one replica would race on the same temporary names. ``then`` ends the refusal."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(arc.catalog_dir / f".replicate-{name}.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ArchiveError(f"replica {name}: another 'archive replicate' is copying to it now; "
                           f"{then}") from None
    return lock
