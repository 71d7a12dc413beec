"""A replica's name to its storage, and where each thing lies on it (see the package docstring)."""

from __future__ import annotations

from archive.config import ReplicaSettings, Settings
from archive.errors import UsageError
from archive.storage.base import Storage
from archive.storage.prefixed import PrefixedStorage
from archive.storage.urls import storage_from_url

MARKER = "replica.json"
MARKER_FORMAT = "article-archive-replica/1"
BAGS = "bags"
SOURCES = "sources"
SNAPSHOTS = "catalog/snapshots"
LATEST = "catalog/latest.json"


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
