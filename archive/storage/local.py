"""The local disk as a Storage: a bag root (or a folder replica) read and written without following links.

Bags come from anywhere, so a path inside one is never trusted to stay where the listing saw it:

- the walk uses ``os.scandir`` and never follows a link; links, FIFOs, sockets and devices are
  listed with their kind and never opened;
- a read opens with O_NOFOLLOW | O_NONBLOCK (a link in the last component is refused, a FIFO
  swapped in cannot block the open) and, given the listing's entry, proves with (st_dev, st_ino)
  that the file opened is the one listed, so a file swapped anywhere along the path is caught;
- without a listing's entry, reads, stats and writes descend from the root one folder at a time
  with O_NOFOLLOW, so a folder swapped for a link cannot lead outside the root;
- a write goes to a temporary name in the final folder, is fsync'ed, confirmed against its SHA-256
  when one is given, renamed over the final name and the folder fsync'ed: a reader sees the old
  file or the whole new one, and a crash leaves at most a temporary ending in ``TMP_SUFFIX``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from typing import BinaryIO

from archive.storage.base import Entry, Kind, NotTheSameFile, StorageError, check_relpath

TMP_SUFFIX = ".storage-partial"
"""Temporaries of an unfinished ``write_atomic`` end with this; nothing else does."""

SPECIAL_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}

S_ISREG, S_ISDIR = stat.S_ISREG, stat.S_ISDIR
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


class LocalStorage:
    """A folder on this machine; ``root`` is trusted (the caller chose it), nothing under it is."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = os.path.abspath(os.fspath(root))
        self._deferred = False

    def defer_sync(self) -> None:
        """From now on ``write_atomic`` (still writing a temporary, confirming its digest and
        renaming it into place) leaves the fsyncs of each file and folder to one :meth:`sync`.

        For replication's thousands of small files, where an fsync per file costs more than the
        copy. Until ``sync`` returns, a crash may leave a final name whose bytes never reached the
        disk (zeros of the right size, on some file systems), so a caller that defers re-checks by
        content whatever it wrote and did not sync: replicate re-hashes the files of any bag not
        yet recorded as a copy, and records a bag only after ``sync``."""
        self._deferred = True

    def sync(self) -> None:
        """Make everything written under the root durable: syncfs of its file system (one call,
        however many files), or sync where syncfs is missing."""
        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
        except OSError as exc:
            raise self._error("", exc, "sync") from None
        try:
            _syncfs(fd)
        except OSError as exc:
            raise self._error("", exc, "sync") from None
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"LocalStorage({self.root!r})"

    @property
    def label(self) -> str:
        return self.root

    def full_path(self, path: str) -> str:
        """The absolute path of ``path``: inside the root by construction (check_relpath refuses
        '..', absolute and empty components), though a link along it is only caught when opened."""
        check_relpath(path)
        return self._join(path)

    def _join(self, path: str) -> str:
        """``full_path`` of a path already through check_relpath."""
        return f"{self.root}/{path}" if path else self.root

    def _error(self, path: str, exc: OSError, doing: str) -> StorageError:
        return StorageError(f"{self.label}: cannot {doing} {path or '.'}: {_why(exc)}", reason=_why(exc))

    # ----- descending without following links ----------------------------------------------------
    def _open_parent(self, path: str, *, create: bool = False) -> tuple[int, str]:
        """A descriptor of the folder holding ``path`` and its last name, reached one folder at a
        time with O_NOFOLLOW; with ``create``, missing folders are made (and their parent synced)."""
        parts = path.split("/")
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
        try:
            for part in parts[:-1]:
                try:
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    with contextlib.suppress(FileExistsError):  # another writer made it meanwhile
                        os.mkdir(part, dir_fd=fd)
                    if not self._deferred:
                        os.fsync(fd)
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd, parts[-1]

    # ----- the contract --------------------------------------------------------------------------
    def walk(self, prefix: str = "") -> Iterator[Entry]:
        """Depth-first, folders listed before what they hold; never follows a link.

        A folder that cannot be listed (or an entry that cannot be stat-ed) comes back as an
        ``unreadable`` entry whose ``detail`` says why, and the walk goes on.
        """
        check_relpath(prefix)
        if prefix:
            entry = self.stat(prefix)
            if entry is None or entry.kind != "folder":
                raise StorageError(f"{self.label}: {prefix} is not a folder")
        stack = [(prefix, self._join(prefix))]
        while stack:
            rel_folder, folder = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    items = list(listing)
            except OSError as exc:
                yield Entry(rel_folder, "unreadable", detail=_why(exc))
                continue
            for item in items:
                rel = f"{rel_folder}/{item.name}" if rel_folder else item.name
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError as exc:
                    yield Entry(rel, "unreadable", detail=_why(exc))
                    continue
                mode = info.st_mode
                if S_ISREG(mode):  # the common case first: a bag is mostly files
                    yield _file_entry(rel, info.st_size, (info.st_dev, info.st_ino))
                    continue
                if S_ISDIR(mode):
                    yield _file_entry(rel, 0, (info.st_dev, info.st_ino), "folder")
                    stack.append((rel, item.path))
                    continue
                yield _entry(rel, info, item.path)

    def list_folder(self, prefix: str = "") -> list[Entry]:
        """The entries directly under ``prefix``, sorted by name, links not followed; [] when no
        folder is there. Beyond the contract: what the archive's own layout (bags/<id>/v<N>) needs
        without walking every bag's files."""
        check_relpath(prefix)
        entry = self.stat(prefix)
        if entry is None or entry.kind != "folder":
            return []
        folder = self._join(prefix)
        found = []
        try:
            with os.scandir(folder) as listing:
                for item in listing:
                    rel = f"{prefix}/{item.name}" if prefix else item.name
                    found.append(_entry(rel, item.stat(follow_symlinks=False), item.path))
        except OSError as exc:
            raise self._error(prefix, exc, "list") from None
        return sorted(found, key=lambda e: e.path)

    def stat(self, path: str) -> Entry | None:
        check_relpath(path)
        try:
            if not path:
                return _entry(path, os.stat(self.root), self.root)
            fd, name = self._open_parent(path)
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                target = os.readlink(name, dir_fd=fd) if stat.S_ISLNK(info.st_mode) else ""
            finally:
                os.close(fd)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a link along the path: nothing inside the root is there
                return None
            raise self._error(path, exc, "stat") from None
        return _entry(path, info, target=target)

    def open_read(self, path: str, expect: Entry | None = None) -> BinaryIO:
        """An unbuffered reader (``io.FileIO``, so hashing can take the descriptor's fast path)."""
        return io.FileIO(self.open_fd(path, expect), "rb", closefd=True)

    def open_fd(self, path: str, expect: Entry | None = None) -> int:
        """``open_read`` as a bare descriptor (the caller closes it): the fixity reader's fast path
        for the many small files of a bag, with every check ``open_read`` makes."""
        check_relpath(path)
        if not path:
            raise StorageError(f"{self.label}: the root is a folder, not a file")
        try:
            if expect is not None and expect.identity is not None:
                # The listing's identity proves the file; one open, as fast as before the seam.
                fd = os.open(self._join(path), _READ_FLAGS)
            else:
                parent, name = self._open_parent(path)
                try:
                    fd = os.open(name, _READ_FLAGS, dir_fd=parent)
                finally:
                    os.close(parent)
        except OSError as exc:
            raise self._error(path, exc, "open") from None
        try:
            info = os.fstat(fd)
            if expect is not None and expect.identity is not None \
                    and (not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != expect.identity):
                raise NotTheSameFile(f"{path} changed while it was being checked")
            if not stat.S_ISREG(info.st_mode):
                raise StorageError(f"{self.label}: {path} is not a regular file; not read")
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def write_atomic(self, path: str, chunks: Iterable[bytes], *, sha256: str | None = None) -> Entry:
        check_relpath(path)
        if not path:
            raise StorageError(f"{self.label}: cannot write the root itself")
        try:
            parent, name = self._open_parent(path, create=True)
        except OSError as exc:
            raise self._error(path, exc, "make the folder of") from None
        try:
            return self._write_in(parent, path, name, chunks, sha256)
        finally:
            os.close(parent)

    def _write_in(self, parent: int, path: str, name: str, chunks: Iterable[bytes],
                  sha256: str | None) -> Entry:
        tmp = f".{name}.{secrets.token_hex(6)}{TMP_SUFFIX}"
        committed = False
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o644,
                         dir_fd=parent)
        except OSError as exc:
            raise self._error(path, exc, "write") from None
        try:
            digest = hashlib.sha256() if sha256 is not None else None
            with io.FileIO(fd, "wb", closefd=False) as out:
                for chunk in chunks:
                    view = memoryview(chunk)
                    while view:
                        view = view[out.write(view):]
                    if digest is not None:
                        digest.update(chunk)
            if not self._deferred:
                os.fsync(fd)
            if digest is not None and digest.hexdigest() != sha256.lower():
                raise StorageError(f"{self.label}: {path}: the bytes written hash to {digest.hexdigest()}, "
                                   f"not {sha256}; not committed")
            info = os.fstat(fd)
            os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
            committed = True
            if not self._deferred:
                os.fsync(parent)
        except OSError as exc:
            raise self._error(path, exc, "write") from None
        finally:
            os.close(fd)
            if not committed:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=parent)
        return _entry(path, info)


def _syncfs(fd: int) -> None:
    """syncfs(2) of the file system holding ``fd`` (Linux), else sync(2) of them all."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    syncfs = getattr(libc, "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    if syncfs(fd) != 0:
        errno_ = ctypes.get_errno()
        raise OSError(errno_, os.strerror(errno_))


def _file_entry_maker() -> Callable[..., Entry]:
    """``Entry(rel, kind, size, identity)`` for a file or folder at half the cost: a frozen
    dataclass's ``__init__`` sets each field through ``object.__setattr__``, which is most of a bag
    walk's time; this sets the slots directly. Built from ``fields(Entry)``, so a field added to
    Entry fails loudly here."""
    setters = {f.name: Entry.__dict__[f.name].__set__ for f in fields(Entry)}
    if set(setters) != {"path", "kind", "size", "identity", "checksums", "detail"}:
        raise ImportError("archive.storage.base.Entry changed: update local._file_entry_maker")
    set_path, set_kind, set_size = setters["path"], setters["kind"], setters["size"]
    set_identity, set_checksums, set_detail = setters["identity"], setters["checksums"], setters["detail"]
    new = object.__new__

    def file_entry(rel: str, size: int, identity: tuple[int, int], kind: Kind = "file") -> Entry:
        entry = new(Entry)
        set_path(entry, rel)
        set_kind(entry, kind)
        set_size(entry, size)
        set_identity(entry, identity)
        set_checksums(entry, {})
        set_detail(entry, "")
        return entry

    return file_entry


_file_entry = _file_entry_maker()


def _entry(rel: str, info: os.stat_result, full: str | None = None, *, target: str = "") -> Entry:
    mode = info.st_mode
    kind: Kind
    detail = ""
    if stat.S_ISREG(mode):
        return Entry(rel, "file", info.st_size, (info.st_dev, info.st_ino))
    if stat.S_ISDIR(mode):
        kind = "folder"
    elif stat.S_ISLNK(mode):
        kind = "link"
        detail = target
        if full is not None and not detail:
            try:
                detail = os.readlink(full)
            except OSError:
                detail = "?"
    else:
        kind = "special"
        detail = SPECIAL_TYPES.get(stat.S_IFMT(mode), "not a regular file")
    return Entry(rel, kind, 0, (info.st_dev, info.st_ino), detail=detail)


file_entry = _file_entry
"""The cheap ``Entry`` of a file or folder, for code that folds a walk of a local folder into its
own structures (archive.fixity.inventory walks every bag verify checks that way)."""
entry_of = _entry
"""The ``Entry`` this storage's walk gives for what an lstat found (links with their target)."""
