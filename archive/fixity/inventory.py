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

import hashlib
import os
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from stat import S_ISDIR, S_ISREG
from typing import Any, BinaryIO

from archive.fixity.problems import UNREADABLE, UNSAFE, Problem, error
from archive.hashing import hash_fd, hash_reader
from archive.storage import base
from archive.storage import local as local_storage
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
        inv = Inventory(root=storage.root, storage=storage, keep=keep)
        _walk_local(inv, storage.root)
        return inv
    inv = Inventory(root=storage.label, storage=storage, keep=keep)
    take_entries(inv, storage.walk(), _ELSEWHERE)
    return inv


def take_entries(inv: Inventory, entries: Iterable[Entry], base_path: str) -> None:
    """Everything a storage's walk lists, into ``inv``; links resolved against ``base_path``."""
    try:
        files = inv.files
        for entry in entries:
            if entry.kind == "file":  # inline: the common case, thousands per bag check run
                files[entry.path] = entry
            else:
                _take(inv, entry, base_path)
    except StorageError as exc:
        inv.problems.append(error(UNREADABLE, "unreadable-folder", ".", f"cannot list folder: {exc.reason}"))


def _walk_local(inv: Inventory, root: str) -> None:
    """``LocalStorage.walk`` of the whole bag folded into the inventory, in the same order and with
    the same entries, without a generator step per entry or an Entry per folder: verify walks a
    bag for every record. The rules are the storage's: ``lstat`` only (``DirEntry.stat`` with
    ``follow_symlinks=False``), a folder descended into only when that lstat says it is one, and
    anything not a regular file or folder turned into its Entry by the storage's own ``_entry``
    (links with their target, special files never opened). tests/test_verify_plain_names.py
    compares it with the storage's walk on a bag holding a link, a FIFO and an unreadable folder."""
    files, folders, make = inv.files, inv.folders, local_storage.file_entry
    stack = [("", root)]
    while stack:
        rel_folder, folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                items = list(listing)
        except OSError as exc:
            _take(inv, Entry(rel_folder, "unreadable", detail=why(exc)), root)
            continue
        for item in items:
            rel = f"{rel_folder}/{item.name}" if rel_folder else item.name
            try:
                # A folder is known from the listing's own entry type (an lstat only where the
                # file system gives none): a bag has a folder for every few files, each an lstat.
                if item.is_dir(follow_symlinks=False):
                    folders.add(rel)
                    stack.append((rel, item.path))
                    continue
                info = item.stat(follow_symlinks=False)
            except OSError as exc:
                _take(inv, Entry(rel, "unreadable", detail=why(exc)), root)
                continue
            mode = info.st_mode
            if S_ISREG(mode):
                files[rel] = make(rel, info.st_size, (info.st_dev, info.st_ino))
            elif S_ISDIR(mode):  # it became a folder since the listing
                folders.add(rel)
                stack.append((rel, item.path))
            else:
                _take(inv, local_storage.entry_of(rel, info, item.path), root)


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


_LISTED_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _open_listed(inv: Inventory, storage: LocalStorage, rel: str) -> int:
    """A descriptor for ``rel`` in a bag on the local disk, proved to be the regular file the walk
    listed, as ``LocalStorage.open_fd`` proves it (no link followed, the listed (st_dev, st_ino)),
    in three system calls: the path is one the walk itself produced, so it needs no re-checking,
    and O_NONBLOCK, which keeps a FIFO from blocking the open, changes nothing for the regular file
    this hands back, so it is left set. Anything unexpected (an error, a swapped or special file)
    is handed to ``open_fd``, which raises exactly what it always raised."""
    entry = inv.files[rel]
    try:
        fd = os.open(f"{storage.root}/{rel}", _LISTED_FLAGS)
    except OSError:
        fd = -1
    if fd >= 0:
        info = os.fstat(fd)
        if S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) == entry.identity:
            return fd
        os.close(fd)
    try:
        return storage.open_fd(rel, entry)
    except base.NotTheSameFile as exc:
        raise NotTheSameFile(str(exc)) from None


def _read_from_storage(inv: Inventory, rel: str, most: int) -> bytes:
    """Up to ``most`` bytes of ``rel``; on the local disk from the bare descriptor. The first read
    asks for the size the walk saw and one byte more: a regular file on the local disk that gives
    back less than that has ended (a read of a regular file returns short only at its end), so a
    small file costs one read; any other storage reads on to its end."""
    first = min(inv.files[rel].size + 1, most)
    storage = inv.storage
    if not isinstance(storage, LocalStorage):
        with open_checked(inv, rel) as reader:
            return _read_up_to(reader.read, most, first)
    fd = _open_listed(inv, storage, rel)
    try:
        data = os.read(fd, first)
        if len(data) < first:
            return data
        return _read_up_to(lambda n: os.read(fd, n), most - len(data), None, data)
    finally:
        os.close(fd)


def _read_up_to(read: Callable[[int], bytes], most: int, first: int | None = None,
                head: bytes = b"") -> bytes:
    """``head`` and then what ``read`` gives, up to ``most`` bytes more."""
    chunks = [head]
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
        return _digests(kept, algorithms), len(kept)
    size = inv.files[rel].size
    if _keepable(inv, rel, size):
        data = _read_from_storage(inv, rel, KEEP_FILE + 1)
        if len(data) <= KEEP_FILE:
            _keep(inv, rel, data)
            return _digests(data, algorithms), len(data)
        # It grew past the bound since the walk: hashed whole as a stream below.
    storage = inv.storage
    if isinstance(storage, LocalStorage):
        fd = _open_listed(inv, storage, rel)
        try:
            if size < KEEP_FILE:  # a small payload file: one read, as _read_from_storage reads
                data = os.read(fd, size + 1)
                if len(data) <= size:
                    return _digests(data, algorithms), len(data)
                os.lseek(fd, 0, os.SEEK_SET)  # it grew since the walk: hashed whole as a stream
            return hash_fd(fd, algorithms, size_hint=size)
        finally:
            os.close(fd)
    with open_checked(inv, rel) as reader:
        return hash_reader(reader, algorithms, size_hint=size)


_CONSTRUCTORS: dict[str, Callable[[bytes], Any]] = {
    "md5": hashlib.md5, "sha1": hashlib.sha1, "sha224": hashlib.sha224, "sha256": hashlib.sha256,
    "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def _digests(data: bytes, algorithms: list[str]) -> dict[str, str]:
    """``hash_bytes`` through each algorithm's own constructor: ``hashlib.new`` looks the name up
    on every call, and a bag check hashes a dozen small files with two algorithms each."""
    found = {}
    for name in algorithms:
        make = _CONSTRUCTORS.get(name)
        found[name] = (make(data) if make is not None else hashlib.new(name, data)).hexdigest()
    return found


def why(exc: OSError | StorageError) -> str:
    """The cause a problem names for a file that could not be read."""
    if isinstance(exc, StorageError):
        return exc.reason
    return exc.strerror or str(exc)
