"""Fill a replica as ``archive replicate`` does, without its bookkeeping, for restore's fault tests.

Every file under the archive's bags/ and sources/ goes onto the storage at the same path through
``write_atomic`` confirmed by its own sha256, then the catalogue snapshot. The real ``archive
replicate`` fills the replica in test_restore_from_each_kind_of_replica; this is the quick way to
a replica that the fault tests then damage.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from archive.layout import open_archive
from archive.replicas.snapshot import SnapshotInfo, push_snapshot
from archive.storage.base import Storage


def fill_replica(root: Path, storage: Storage) -> SnapshotInfo:
    arc = open_archive(root)
    for top in ("bags", "sources"):
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                storage.write_atomic(path.relative_to(root).as_posix(), [data],
                                     sha256=hashlib.sha256(data).hexdigest())
    return push_snapshot(arc, storage)
