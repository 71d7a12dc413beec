"""A folder inside a storage as a storage of its own: one bag on a replica, checked like a local bag.

Replication, remote fixity and repair all work one bag at a time on a replica whose root holds the
whole archive (``bags/<id>/v<N>/...``). The bag check takes a Storage rooted at the bag, so this
view joins its prefix on the way in and strips it from every entry on the way out. The prefix is
checked once like any relative path; paths given later are checked by the storage underneath.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import BinaryIO

from archive.storage.base import Entry, Storage, check_relpath


class PrefixedStorage:
    """``storage`` seen from ``prefix`` down; ``label`` names the storage and the prefix."""

    def __init__(self, storage: Storage, prefix: str):
        self.storage = storage
        self.prefix = check_relpath(prefix.strip("/"))

    def __repr__(self) -> str:
        return f"PrefixedStorage({self.storage!r}, {self.prefix!r})"

    @property
    def label(self) -> str:
        return f"{self.storage.label.rstrip('/')}/{self.prefix}" if self.prefix else self.storage.label

    def _inner(self, path: str) -> str:
        check_relpath(path)
        if not self.prefix:
            return path
        return f"{self.prefix}/{path}" if path else self.prefix

    def _outer(self, entry: Entry) -> Entry:
        if not self.prefix:
            return entry
        path = entry.path[len(self.prefix) + 1:] if entry.path.startswith(self.prefix + "/") else ""
        return replace(entry, path=path)

    def walk(self, prefix: str = "") -> Iterator[Entry]:
        for entry in self.storage.walk(self._inner(prefix)):
            if entry.path != self.prefix:
                yield self._outer(entry)

    def stat(self, path: str) -> Entry | None:
        found = self.storage.stat(self._inner(path))
        return self._outer(found) if found is not None else None

    def open_read(self, path: str, expect: Entry | None = None) -> BinaryIO:
        inner = replace(expect, path=self._inner(expect.path)) if expect is not None else None
        return self.storage.open_read(self._inner(path), inner)

    def write_atomic(self, path: str, chunks: Iterable[bytes], *, sha256: str | None = None) -> Entry:
        return self._outer(self.storage.write_atomic(self._inner(path), chunks, sha256=sha256))
