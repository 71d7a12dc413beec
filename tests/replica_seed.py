"""Making a replica for the check and repair tests without ``archive replicate``.

``add_replica`` writes a ``[replicas.NAME]`` table into archive.toml; ``seed_replica`` copies every
bag version (bags/<id>/v<N>/...) and source file (sources/<id>/...) onto the replica through its
storage, each object confirmed against its SHA-256 as replicate confirms it, and records
``bags[i].replicas[NAME].replicated_at`` in the catalogue. Once ``archive replicate`` is on main,
``seed_replica`` can become a call of it; the tests only rely on what it leaves behind.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from replica_targets import Target

from archive.clock import now_utc
from archive.config import CONFIG_NAME, ReplicaSettings, dump_settings, load_settings
from archive.layout import open_archive
from archive.storage.base import Storage
from archive.storage.local import LocalStorage
from archive.store.atomic import atomic_write


def add_replica(root: Path, name: str, target: Target) -> None:
    """``[replicas.NAME]`` for ``target`` in archive.toml, written atomically."""
    settings = load_settings(root)
    settings.replicas[name] = ReplicaSettings(
        name=name, url=target.url, endpoint_url=target.endpoint,
        region="us-east-1" if target.kind == "s3" else "")
    atomic_write(root / CONFIG_NAME, dump_settings(settings).encode("utf-8"))


def _copy_tree(source: LocalStorage, storage: Storage, prefix: str) -> int:
    copied = 0
    for entry in source.walk():
        if entry.kind != "file":
            continue
        data = Path(source.full_path(entry.path)).read_bytes()
        storage.write_atomic(f"{prefix}/{entry.path}", [data], sha256=hashlib.sha256(data).hexdigest())
        copied += 1
    return copied


def seed_replica(root: Path, name: str, target: Target, *, record: bool = True) -> int:
    """Every bag and source file of the archive at ``root`` onto ``target``; the files copied.
    With ``record``, the catalogue says each bag version is confirmed there."""
    add_replica(root, name, target)
    storage = target.storage()
    storage.write_atomic("replica.json", [b'{"format": "article-archive-replica/1"}\n'])
    arc = open_archive(root)
    copied = 0
    ids = [row["id"] for row in arc.store.summaries()]
    for record_id in ids:
        for entry in arc.store.get(record_id).get("bags") or []:
            copied += _copy_tree(arc.bag_storage(record_id, entry["version"]), storage,
                                 f"bags/{record_id}/v{entry['version']}")
        if arc.source_dir(record_id).is_dir():
            copied += _copy_tree(LocalStorage(arc.source_dir(record_id)), storage, f"sources/{record_id}")
    if record:
        at = now_utc()
        with arc.store.transaction() as tx:
            for record_id in ids:
                current = tx.get(record_id)
                for entry in current.get("bags") or []:
                    entry.setdefault("replicas", {}).setdefault(name, {})["replicated_at"] = at
                tx.update(current, bookkeeping=True)
    return copied
