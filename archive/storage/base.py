"""The contract every place that holds bags keeps: list, read streamed, write atomically, stat.

Paths are always '/'-separated and relative to the storage's root (a bag root, a replica's root).
They come from manifests and remote listings, so every implementation passes them through
:func:`check_relpath` before use: no absolute path, no ``..``, no empty or ``.`` component, no NUL.

Why these four operations and no more: bags are immutable, so replication only adds; nothing in
the seam deletes or renames a committed file except a repair, which is one more atomic write.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal, Protocol, runtime_checkable

from archive.errors import ArchiveError

Kind = Literal["file", "folder", "link", "special", "unreadable"]
"""``unreadable``: a folder the walk could not list, or an entry it could not stat; ``detail`` says
why. A walk reports it and goes on, so a checker can name every fault of a bag, not just the first."""


class StorageError(ArchiveError):
    """A storage operation failed; the message names the storage and the path, never a secret.

    ``reason`` is the bare cause ("Permission denied") for reports that name the file themselves.
    """

    def __init__(self, message: str, *, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


class NotTheSameFile(StorageError):
    """The path no longer leads to the file the listing saw (swapped, replaced, or a link)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing under a storage root, as its listing saw it."""

    path: str
    """'/'-separated, relative to the storage root."""
    kind: Kind
    size: int = 0
    identity: Hashable | None = None
    """Proves later that the file opened is the one listed: (st_dev, st_ino) on a local disk,
    an ETag or version id on S3, (size, mtime) where nothing better exists."""
    checksums: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Digests the storage itself keeps (S3's stored SHA-256), lower-case hex, by algorithm."""
    detail: str = ""
    """What a report says about an entry that is not read: a link's target, what a special file is
    ("a FIFO"), why an entry is unreadable ("Permission denied"); empty for files and folders."""


@runtime_checkable
class Storage(Protocol):
    """A root under which bags' files are listed, read, written and stat-ed."""

    @property
    def label(self) -> str:
        """How messages and PREMIS events name this storage; never holds a secret."""
        ...

    def walk(self, prefix: str = "") -> Iterator[Entry]:
        """Every entry under ``prefix`` (all of the root when empty), links never followed.

        Links and special files are listed with their kind and never opened. A folder that
        cannot be listed is yielded as an ``unreadable`` entry (``detail`` says why) and the walk
        goes on; a storage that cannot list at all may raise StorageError instead.
        """
        ...

    def stat(self, path: str) -> Entry | None:
        """The entry at ``path`` without following a link, or None when nothing is there."""
        ...

    def open_read(self, path: str, expect: Entry | None = None) -> BinaryIO:
        """A streamed binary reader for the regular file at ``path``; close it (or use ``with``).

        The reader has ``read(n)`` and ``readinto(buffer)`` (an ``io.RawIOBase`` or
        ``io.BufferedIOBase``), so it can be hashed in bounded memory and wrapped for text.

        Refuses links and special files. With ``expect``, raises NotTheSameFile unless the file
        opened is the one ``expect`` describes (same identity), so a file swapped between the
        listing and the read is never hashed in its place.
        """
        ...

    def write_atomic(self, path: str, chunks: Iterable[bytes], *, sha256: str | None = None) -> Entry:
        """Write ``path`` under a temporary name, confirm it, then commit it under its own name.

        Parent folders are made as needed. With ``sha256``, the bytes written are hashed and the
        write is committed only when they match; otherwise nothing is left under ``path``. A
        reader never sees a half-written file under its final name, and a killed writer leaves
        at most a temporary that a later write or clean-up removes.
        """
        ...


def check_relpath(path: str) -> str:
    """``path`` if it is a safe relative '/'-path, else StorageError; '' means the root."""
    if path == "":
        return path
    if "\x00" in path or "\\" in path or path.startswith("/"):
        raise StorageError(f"refused path {path!r}: not a relative '/'-separated path")
    parts = path.split("/")
    if "" in parts or "." in parts or ".." in parts:
        raise StorageError(f"refused path {path!r}: empty, '.' or '..' component")
    return path


def total_size(storage: Storage, prefix: str = "") -> int:
    """Bytes in the regular files under ``prefix``: a bag's size as the bags[] entry records it.
    Links are not followed, so a link planted in a bag cannot make it claim another file's size."""
    return sum(entry.size for entry in storage.walk(prefix) if entry.kind == "file")
