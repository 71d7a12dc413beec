"""One shard of the catalogue: a TinyDB database file holding up to SHARD_SIZE records.

TinyDB rewrites its whole file on every write and rebuilds its tables twice (design.md measured
235 ms per insert at 7,000 records). Bucketing records by accession number keeps each file small,
so a write costs about a millisecond whatever the catalogue's size, while TinyDB's Table and
Query API still do the reading and writing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from archive.errors import StoreError
from archive.store.atomic import atomic_write
from archive.store.history import HISTORY, SEGMENTS

if TYPE_CHECKING:
    from tinydb import TinyDB

SHARD_SIZE = 256
RECORDS = "records"
EVENTS = "events"
"""The table that held events before the history log (archive/store/history.py); read until migrated."""

FileStamp = tuple[int, int, int]


def file_stamp(path: str | Path) -> FileStamp | None:
    """Size, mtime and inode: enough to notice that another process replaced the file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


class ParsedCache:
    """Parsed shard contents keyed by file stamp, shared by every TinyDB opened on a shard."""

    def __init__(self, limit: int = 16):
        self.limit = limit
        self.entries: dict[Path, tuple[FileStamp, dict]] = {}

    def get(self, path: Path, stamp: FileStamp) -> dict | None:
        entry = self.entries.get(path)
        if entry and entry[0] == stamp:
            self.entries[path] = self.entries.pop(path)  # most recently used last
            return entry[1]
        return None

    def put(self, path: Path, stamp: FileStamp, data: dict) -> None:
        self.entries.pop(path, None)
        self.entries[path] = (stamp, data)
        while len(self.entries) > self.limit:
            self.entries.pop(next(iter(self.entries)))

    def drop(self, path: Path) -> None:
        self.entries.pop(path, None)


def damaged(path: Path, reason: str) -> StoreError:
    """The one message for a shard that cannot be used: which file, why, and what to do."""
    return StoreError(
        f"catalogue file {path} is damaged: {reason}; it was left untouched - restore it from a backup"
    )


def _table_problem(name: str, table: Any) -> str | None:
    if not isinstance(table, dict):
        return f"its {name!r} table is not an object"
    for key, doc in table.items():
        if not key.isdigit():
            return f"its {name!r} table has a document id {key[:40]!r} that is not a number"
        if not isinstance(doc, dict):
            return f"{name} document {key} is not an object"
    return None


def shape_problem(data: Any) -> str | None:
    """What makes parsed JSON unusable as a shard, or None.

    Valid JSON is not enough: the store, the index and every command index into the tables, so
    a shard of the wrong shape (``[]``, ``{"records": 5}``, a record that is a number) must be
    named here rather than surface later as a KeyError in whatever command touched it first.
    Deeper faults in a record's fields are caught where the summary index is built.
    """
    if not isinstance(data, dict):
        return f"expected an object of tables, found {type(data).__name__}"
    for name, table in data.items():
        problem = _table_problem(name, table)
        if problem is not None:
            return problem
    for key, doc in (data.get(RECORDS) or {}).items():
        if not isinstance(doc.get("id"), str) or type(doc.get("revision")) is not int:
            return f"record document {key} has no id or revision"
    for key, doc in (data.get(EVENTS) or {}).items():
        if not isinstance(doc.get("record_id"), str) or not isinstance(doc.get("at"), str):
            return f"event document {key} has no record_id or time"
    for key, doc in (data.get(HISTORY) or {}).items():
        head, count = doc.get("head"), doc.get("count")
        if (not isinstance(head, list) or len(head) != 2 or not all(type(n) is int and n >= 0 for n in head)
                or type(count) is not int or count < 1):
            return f"history head {key} is not a [offset, length] and a count"
    for key, doc in (data.get(SEGMENTS) or {}).items():
        if not all(type(doc.get(n)) is int and doc[n] > 0 for n in ("bytes", "events")):
            return f"history segment {key} has no size and event count"
    return None


class ShardStorage:
    """TinyDB storage: orjson, atomic replace, and a parse cache that notices outside changes.

    It implements tinydb's ``Storage`` interface (read, write, close) without subclassing it,
    so reading a shard (``read_shard``) never imports tinydb: ``show`` and ``list`` start faster.
    """

    def __init__(self, path: str, cache: ParsedCache):
        self.path = Path(path)
        self.cache = cache

    def read(self) -> dict[str, dict[str, Any]] | None:
        stamp = file_stamp(self.path)
        if stamp is None:
            return None
        cached = self.cache.get(self.path, stamp)
        if cached is not None:
            return cached
        try:
            data = orjson.loads(self.path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise damaged(self.path, str(exc)) from None
        except OSError as exc:
            raise StoreError(f"cannot read catalogue file {self.path}: {exc.strerror}") from None
        problem = shape_problem(data)
        if problem is not None:
            raise damaged(self.path, problem)
        self.cache.put(self.path, stamp, data)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        try:
            atomic_write(self.path, orjson.dumps(data))
        except BaseException:
            self.cache.drop(self.path)  # TinyDB mutated the cached dict before calling us
            raise
        stamp = file_stamp(self.path)
        if stamp is not None:
            self.cache.put(self.path, stamp, data)

    def close(self) -> None:
        """Nothing stays open between operations."""


def read_shard(path: Path, cache: ParsedCache) -> dict[str, dict[str, Any]]:
    """A shard's tables as parsed (through the cache; callers must not mutate them), or ``{}``
    when the file does not exist; the read path that needs no TinyDB."""
    return ShardStorage(str(path), cache).read() or {}


def open_shard(path: Path, cache: ParsedCache) -> TinyDB:
    """A TinyDB over one shard file; cheap, so one is made per operation and query caches never go stale."""
    from tinydb import TinyDB  # only writers and queries need it; plain reads use read_shard

    return TinyDB(str(path), storage=ShardStorage, cache=cache)


def shard_of(sequence: int) -> int:
    """Records 1-256 share shard 0, and so on: neighbours in time are neighbours on disk."""
    return (sequence - 1) // SHARD_SIZE
