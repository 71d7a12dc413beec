"""``archive replica add | list | remove``: the ``[replicas.NAME]`` tables of archive.toml.

A replica is saved only after its URL passed ``archive.storage.urls`` (no password, no query
string) and the target proved reachable and writable by holding ``replica.json``: written there
when the target is new and empty, read back when it already is a replica. A target holding
anything else is refused, so a typo can never make the archive write into someone's bucket or
home folder. archive.toml is rewritten atomically under the catalogue lock.

replica.json names the archive it belongs to (``archive_id``, a UUID minted in archive.toml by the
first ``replica add``), so a replica of another archive is refused, in one line naming both,
before this one writes a byte there: replicate would otherwise overwrite that archive's bags of
the same ids and its catalogue pointer. A replica made before markers named their archive is
still read, and is marked as this archive's when it is added.

Removing a replica forgets it and never deletes a byte on it. The catalogue's memory of copies
there (``bags[].replicas[NAME]``) is cleared too, before the table goes, so a replica added later
under the same name (perhaps another bucket) is never taken to hold what the old one held; its
PREMIS replication events stay as history.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from archive.config import CONFIG_NAME, ReplicaSettings, dump_settings, load_settings
from archive.errors import ArchiveError, UsageError
from archive.layout import Archive
from archive.replicas.remote import (
    MARKER,
    check_belongs,
    marker_bytes,
    read_marker,
    replica_settings,
    replica_storage,
)
from archive.storage.base import Storage, StorageError
from archive.store.atomic import atomic_write

FORGET_BATCH = 250
"""Records rewritten per transaction when a replica's copies are forgotten."""


@dataclass(frozen=True)
class ReplicaInfo:
    """A replica as ``replica list`` shows it: never a credential, only what archive.toml holds."""

    name: str
    url: str
    storage: str
    endpoint_url: str = ""
    region: str = ""

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "url": self.url, "storage": self.storage,
                "endpoint_url": self.endpoint_url, "region": self.region}

    def line(self) -> str:
        extra = "".join(f" {key}={value}" for key, value in (("endpoint", self.endpoint_url),
                                                            ("region", self.region)) if value)
        return f"{self.name}  {self.storage}{extra}"


def replica_info(replica: ReplicaSettings) -> ReplicaInfo:
    """The replica's storage label (parsing its URL, importing no backend library beyond it)."""
    try:
        label = replica_storage(replica).label
    except ArchiveError:
        label = "(invalid URL)"
    return ReplicaInfo(replica.name, replica.url, label, replica.endpoint_url, replica.region)


def list_replicas(arc: Archive) -> list[ReplicaInfo]:
    return [replica_info(arc.settings.replicas[name]) for name in sorted(arc.settings.replicas)]


def _normalised_url(url: str) -> str:
    """A folder given as a relative path is saved absolute: replicate may run from anywhere."""
    if "://" in url or not url:
        return url
    return str(Path(url).expanduser().absolute())


def _refuse_inside_archive(arc: Archive, url: str) -> None:
    if "://" in url and not url.startswith("file://"):
        return
    from urllib.parse import unquote, urlsplit

    try:
        path = Path(unquote(urlsplit(url).path) if url.startswith("file://") else url).resolve()
    except ValueError:  # urlsplit's own check of a [IPv6] host: "file://["
        raise UsageError("file:// replica URL is malformed") from None
    root = arc.root.resolve()
    if path == root or root in path.parents or path in root.parents:
        raise UsageError(f"{path}: a replica must be outside the archive folder {root} "
                         "(and not hold it): another disk, a NAS, SFTP or S3")


def check_target(storage: Storage, *, create: bool, archive_id: str = "", minted: bool = False) -> str:
    """Prove the target is (or, with ``create``, becomes) a replica of this archive: "new",
    "existing", or "claimed" (an old replica whose replica.json named no archive, now marked with
    ``archive_id``: ``replica add`` of it, or ``replicate`` to a replica archive.toml names).

    An existing replica.json must name this format and, when it names an archive, this one (an
    archive without an id yet, ``archive_id`` '', accepts any; ``minted``: the id is new, not yet
    saved); a target without one must be empty.
    Writing the marker (or the same bytes again over an existing one) proves the target writable.
    """
    marker = read_marker(storage)
    if marker is not None:
        check_belongs(storage, archive_id, marker, minted=minted)
        if archive_id and not marker.archive_id:  # a replica of this archive's settings, marked so
            storage.write_atomic(MARKER, [marker_bytes(archive_id)])
            return "claimed"
        if create and marker.data == marker_bytes(marker.archive_id):
            storage.write_atomic(MARKER, [marker.data])  # the same bytes: proves we may write
        return "existing"
    if not create:
        raise ArchiveError(f"{storage.label}: no {MARKER} there: not a replica made by "
                           "'archive replica add', or its drive is not mounted; nothing was sent")
    for entry in storage.walk():
        if entry.kind == "unreadable":
            raise ArchiveError(f"{storage.label}: cannot list {entry.path or 'its root'}: {entry.detail}")
        if entry.kind != "folder":
            raise ArchiveError(f"{storage.label}: holds files that are not an article-archive "
                               f"replica (e.g. {entry.path!r}); choose an empty folder, prefix or bucket")
    storage.write_atomic(MARKER, [marker_bytes(archive_id)])
    return "new"


def _make_folder(url: str) -> None:
    """A folder replica's root is made at add time only: replicate never makes it, so an unmounted
    drive is refused (no marker) rather than filled on the system disk."""
    if "://" in url and not url.startswith("file://"):
        return
    from urllib.parse import unquote, urlsplit

    path = Path(unquote(urlsplit(url).path) if url.startswith("file://") else url)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot make the replica folder ({exc.strerror or exc})") from None


def add_replica(arc: Archive, name: str, url: str, endpoint_url: str = "", region: str = "") -> str:
    """Check and save ``[replicas.NAME]``; returns the line the CLI prints. The target is checked
    (reachable, writable, empty or already a replica) before anything is saved."""
    url = _normalised_url(url)
    replica = ReplicaSettings(name=name, url=url, endpoint_url=endpoint_url, region=region)
    problem = replica.problem()
    if problem:
        raise UsageError(problem)
    if name in arc.settings.replicas:
        raise UsageError(f"a replica named {name!r} exists already; remove it first to change it")
    _refuse_inside_archive(arc, url)
    storage = replica_storage(replica)  # refuses passwords, query strings, bad hosts or buckets
    for other in arc.settings.replicas.values():
        try:
            same = replica_storage(other).label == storage.label
        except ArchiveError:
            same = False
        if same and other.endpoint_url == endpoint_url:
            raise UsageError(f"{storage.label} is replica {other.name!r} already")
    _make_folder(url)
    # Under the lock from the first read of archive.toml to its save: an archive's id is minted
    # once, and the replica.json written names the id that is saved.
    with arc.store.locked():
        settings = load_settings(arc.root)
        if name in settings.replicas:
            raise UsageError(f"a replica named {name!r} exists already; remove it first to change it")
        archive_id = settings.archive_id or str(uuid.uuid4())
        try:
            state = check_target(storage, create=True, archive_id=archive_id,
                                 minted=not settings.archive_id)
        finally:
            _close(storage)
        _forget_copies(arc, name)  # anything recorded under this name is from an older replica
        settings.archive_id = archive_id
        settings.replicas[name] = replica
        settings.validate()
        _save(arc, settings)
    arc.settings = settings
    what = {"new": f"an empty replica, marked with replica.json as archive {archive_id}'s",
            "existing": f"an existing replica of archive {archive_id}",
            "claimed": f"an existing replica made before replicas named their archive; "
                       f"replica.json now names archive {archive_id}"}[state]
    return (f"added replica {name}: {storage.label} ({what}); "
            f"run 'archive replicate {name}' to copy the archive")


def remove_replica(arc: Archive, name: str) -> str:
    """Forget ``[replicas.NAME]`` and the catalogue's record of copies there; nothing on the
    replica itself is touched."""
    replica = replica_settings(arc.settings, name)
    info = replica_info(replica)
    with arc.store.locked():
        settings = load_settings(arc.root)
        replica_settings(settings, name)
        _forget_copies(arc, name)
        del settings.replicas[name]
        _save(arc, settings)
    arc.settings = settings
    return (f"removed replica {name} ({info.storage}) from archive.toml; nothing on it was deleted, "
            "and its files stay there")


def _save(arc: Archive, settings) -> None:
    try:
        atomic_write(arc.root / CONFIG_NAME, dump_settings(settings).encode("utf-8"))
    except OSError as exc:
        path = arc.root / CONFIG_NAME
        raise ArchiveError(f"{path}: cannot write settings ({exc.strerror or exc})") from None


def _forget_copies(arc: Archive, name: str) -> int:
    """Drop ``replicas[NAME]`` from every bag entry holding one (bookkeeping writes, batched)."""
    touched = 0
    ids = arc.store.ids()
    for start in range(0, len(ids), FORGET_BATCH):
        with arc.store.transaction() as tx:
            for record_id in ids[start:start + FORGET_BATCH]:
                record = tx.get(record_id)
                changed = False
                for entry in record.get("bags") or []:
                    copies = entry.get("replicas")
                    if isinstance(copies, dict) and name in copies:
                        del copies[name]
                        if not copies:
                            del entry["replicas"]
                        changed = True
                if changed:
                    tx.update(record, bookkeeping=True)
                    touched += 1
    return touched


def _close(storage: Storage) -> None:
    close = getattr(storage, "close", None)
    if callable(close):
        with contextlib.suppress(StorageError):
            close()
