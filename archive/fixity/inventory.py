"""What is really in a bag, found without following a single symbolic link.

The walk is the only place the validator asks the storage for names. Everything it reports is
inside the bag by construction; symbolic links and special files (FIFOs, sockets, devices) are
recorded as unsafe and never opened, so a hostile bag can neither leak data from outside nor block
the check on a FIFO. The bag may be on the local disk or on any other Storage (a replica): the
storage keeps the protections (see archive.storage.local for the local disk's), this module turns
what it lists into the inventory and the problems a bag check reports.

Each file is opened once per check: a small file read whole (a tag file, or a payload file the
caller asked to keep, such as record.json) is kept in the inventory, so parsing it, hashing it and
the catalogue's cross-checks all see the same bytes from one read. What is kept is bounded per file
and per bag, so a hostile bag of many tag files costs no more memory than the bound.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from archive.fixity.problems import UNREADABLE, UNSAFE, Problem, error
from archive.hashing import hash_bytes, hash_fd, hash_reader
from archive.storage import base
from archive.storage.base import Entry, Storage, StorageError
from archive.storage.local import LocalStorage

KEEP_FILE = 1 << 20
"""A file read whole up to this size is kept for the rest of the check, not read again."""
KEEP_TOTAL = 32 << 20
"""At most this many bytes are kept per bag; beyond it files are read again when needed."""

_ELSEWHERE = "/\x00bag"
"""Where a link's target is resolved on a storage without a local root: no real path starts here."""


@dataclass(slots=True)
class Inventory:
    """Regular files and folders of a bag, keyed by bag-relative '/'-separated path."""

    root: str
    """The local bag folder, or the label of the storage the bag is on."""
    storage: Storage
    files: dict[str, Entry] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    keep: frozenset[str] = frozenset()
    """Payload files whose bytes the caller reads after the check (tag files are always kept)."""
    kept: dict[str, bytes] = field(default_factory=dict)
    """Whole contents of the small files read so far, each as it was read once."""
    kept_bytes: int = 0

    def payload(self) -> dict[str, Entry]:
        return {p: s for p, s in self.files.items() if p.startswith("data/")}


def _link_problem(root: str, rel: str, target: str) -> Problem:
    target = target or "?"
    resolved = os.path.normpath(os.path.join(root, posixpath.dirname(rel), target))
    outside = not (resolved == root or resolved.startswith(root.rstrip("/") + "/"))
    where = "outside the bag" if outside else "inside the bag"
    code = "symlink-outside" if outside else "symlink"
    return error(UNSAFE, code, rel, f"symbolic link to {where} ({target}); not followed")


def walk(root: str | os.PathLike[str] | Storage, keep: frozenset[str] = frozenset()) -> Inventory:
    """Every entry under ``root`` (a local folder, or a Storage whose root is the bag's); the
    payload files in ``keep`` are kept in memory once read, like the tag files."""
    storage = LocalStorage(root) if isinstance(root, (str, os.PathLike)) else root
    if isinstance(storage, LocalStorage):
        inv, base_path = Inventory(root=storage.root, storage=storage, keep=keep), storage.root
    else:
        inv, base_path = Inventory(root=storage.label, storage=storage, keep=keep), _ELSEWHERE
    try:
        files = inv.files
        for entry in storage.walk():
            if entry.kind == "file":  # inline: the common case, thousands per bag check run
                files[entry.path] = entry
            else:
                _take(inv, entry, base_path)
    except StorageError as exc:
        inv.problems.append(error(UNREADABLE, "unreadable-folder", ".", f"cannot list folder: {exc.reason}"))
    return inv


def _take(inv: Inventory, entry: Entry, base_path: str) -> None:
    rel = entry.path
    if entry.kind == "file":
        inv.files[rel] = entry
    elif entry.kind == "folder":
        inv.folders.add(rel)
    elif entry.kind == "link":
        inv.refused.add(rel)
        inv.problems.append(_link_problem(base_path, rel, entry.detail))
    elif entry.kind == "unreadable" and (rel == "" or rel in inv.folders):
        inv.problems.append(error(UNREADABLE, "unreadable-folder", rel or ".",
                                  f"cannot list folder: {entry.detail}"))
    elif entry.kind == "unreadable":
        inv.problems.append(error(UNREADABLE, "unreadable", rel, entry.detail))
        inv.refused.add(rel)
    else:
        inv.refused.add(rel)
        inv.problems.append(error(UNSAFE, "special-file", rel,
                                  f"{entry.detail or 'not a regular file'}; not opened"))


class NotTheSameFile(OSError):
    """The path no longer leads to the regular file the walk found (swapped, or a link)."""


def open_checked(inv: Inventory, rel: str) -> BinaryIO:
    """A reader for ``rel``, refused unless it is still the file the walk saw.

    The storage refuses links and special files and checks the walk's identity (on the local disk:
    O_NOFOLLOW, O_NONBLOCK and (st_dev, st_ino)). Raises NotTheSameFile for a swapped file and
    StorageError (``reason`` says why) for one that cannot be opened.
    """
    try:
        return inv.storage.open_read(rel, inv.files[rel])
    except base.NotTheSameFile as exc:
        raise NotTheSameFile(str(exc)) from None


def read_checked(inv: Inventory, rel: str, limit: int) -> bytes:
    """The bytes of ``rel``, at most ``limit + 1`` of them (more than ``limit`` means too large),
    refused as :func:`open_checked` refuses; a file already read whole is not read again."""
    kept = inv.kept.get(rel)
    if kept is not None:
        return kept[:limit + 1]
    data = _read_from_storage(inv, rel, limit + 1)
    if len(data) <= limit:
        _keep(inv, rel, data)
    return data


def _keepable(inv: Inventory, rel: str, size: int) -> bool:
    return (size <= KEEP_FILE and inv.kept_bytes + size <= KEEP_TOTAL
            and (not rel.startswith("data/") or rel in inv.keep))


def _keep(inv: Inventory, rel: str, data: bytes) -> None:
    """Keep the whole contents of ``rel`` (read to its end) when the bounds allow."""
    if _keepable(inv, rel, len(data)):
        inv.kept[rel] = data
        inv.kept_bytes += len(data)


def _read_from_storage(inv: Inventory, rel: str, most: int) -> bytes:
    """Up to ``most`` bytes of ``rel``; on the local disk from the bare descriptor. The first read
    asks for the size the walk saw and one byte more, so a small file costs two small reads."""
    first = min(inv.files[rel].size + 1, most)
    storage = inv.storage
    if not isinstance(storage, LocalStorage):
        with open_checked(inv, rel) as reader:
            return _read_up_to(reader.read, most, first)
    try:
        fd = storage.open_fd(rel, inv.files[rel])
    except base.NotTheSameFile as exc:
        raise NotTheSameFile(str(exc)) from None
    try:
        return _read_up_to(lambda n: os.read(fd, n), most, first)
    finally:
        os.close(fd)


def _read_up_to(read: Callable[[int], bytes], most: int, first: int | None = None) -> bytes:
    chunks = []
    total = 0
    want = first or most
    while total < most and (block := read(min(want, most - total))):
        chunks.append(block)
        total += len(block)
        want = most
    return b"".join(chunks)


def hash_checked(inv: Inventory, rel: str, algorithms: list[str]) -> tuple[dict[str, str], int]:
    """Digests of ``rel`` and the bytes read, refused as :func:`open_checked` refuses.

    A small file that is kept (a tag file) is read whole once and hashed from memory. Otherwise,
    on the local disk the file is hashed straight from its descriptor (no file object per file:
    a bag check opens thousands of small files); any other storage is hashed as a stream.
    """
    kept = inv.kept.get(rel)
    if kept is not None:
        return hash_bytes(kept, algorithms), len(kept)
    size = inv.files[rel].size
    if _keepable(inv, rel, size):
        data = _read_from_storage(inv, rel, KEEP_FILE + 1)
        if len(data) <= KEEP_FILE:
            _keep(inv, rel, data)
            return hash_bytes(data, algorithms), len(data)
        # It grew past the bound since the walk: hashed whole as a stream below.
    storage = inv.storage
    if isinstance(storage, LocalStorage):
        try:
            fd = storage.open_fd(rel, inv.files[rel])
        except base.NotTheSameFile as exc:
            raise NotTheSameFile(str(exc)) from None
        try:
            return hash_fd(fd, algorithms, size_hint=size)
        finally:
            os.close(fd)
    with open_checked(inv, rel) as reader:
        return hash_reader(reader, algorithms, size_hint=size)


def why(exc: OSError | StorageError) -> str:
    """The cause a problem names for a file that could not be read."""
    if isinstance(exc, StorageError):
        return exc.reason
    return exc.strerror or str(exc)
