"""Bags to a folder replica a whole bag at a time: copied into a temporary folder, committed by one rename.

Sending a bag file by file through ``LocalStorage.write_atomic`` costs, per file, a descent from
the replica's root one folder at a time (an open per path component), a temporary, a rename and
two fsyncs; for the ~12 small files of a seed-sized bag that was ten times the time of ``cp -a``.
On a folder replica the bag itself is the unit instead:

* the local bag is listed once (``os.scandir``, links never followed: a link, FIFO, socket or
  device in it refuses the bag, as the bag check would);
* each file is opened with O_NOFOLLOW | O_NONBLOCK, proved to be the file listed (its inode),
  read once, hashed from the bytes read and written from the same bytes into
  ``bags/<id>/.v<N>.<random>.storage-partial/`` on the replica (a name the bag layout never
  uses, ending in ``TMP_SUFFIX`` like every temporary of a folder replica);
* when every file is there, each digest is compared with the bag's own manifests (the tag
  manifest with the catalogue's pinned ``tagmanifest_sha256``), read from the bytes just copied;
  any difference leaves the local bag uncopied and the temporary removed;
* then one ``rename`` commits the whole bag under ``bags/<id>/v<N>``: a reader (and a resumed
  run) sees no bag or the whole bag, never half of one.

Durability is the caller's: no file is fsynced here; ``push._Run.flush`` calls ``syncfs`` on the
replica's file system (one call for the batch) before the batch is recorded as copies, so nothing
counts as a copy before its bytes and its rename are on the disk. A crash before that sync may
leave a committed ``v<N>`` whose bytes never reached the disk; it is not recorded, so the next run
finds it there and checks it file by file, re-hashing what it holds (``push.push_bag`` on the
deferred context), sending only what is wrong.

A temporary folder left by a killed run is never taken for a bag (its name is not ``v<N>``) and is
removed by the next run before it copies that record's bags (:func:`sweep_partials`, called under
the per-replica lock, so no other run is writing it). Nothing committed is ever removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256 as _sha256
from typing import Any

from archive.replicas.remote import BAGS
from archive.replicas.transfer import MANIFESTS, BagDone, Context, LocalProblem, Stopped, bag_digests
from archive.storage.base import Entry
from archive.storage.local import TMP_SUFFIX, LocalStorage, file_entry

CHUNK = 1 << 20
KEEP_FILE = 1 << 20
KEEP_TOTAL = 32 << 20
"""The bytes of a bag's tag files kept from the copy for the manifest check: a file up to
KEEP_FILE, all of them up to KEEP_TOTAL. The same bounds as archive.fixity.inventory's, which
reads what is kept when a bag needs the full parse (a test checks they agree); named here so a
replicate run does not import the fixity package for two numbers."""
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
S_ISREG = stat.S_ISREG
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC


def is_partial(name: str) -> bool:
    """Whether ``name`` (inside bags/<id>/ on a folder replica) is a bag folder not yet committed."""
    return name.startswith(".v") and name.endswith(TMP_SUFFIX)


@dataclass
class FolderBags:
    """What the replica's bags/ held when the run started: listed once, not once per bag."""

    replica: LocalStorage
    present: set[str] = field(default_factory=set)
    """The record ids with a folder in bags/ on the replica."""
    local_bags: str = ""
    """The archive's own bags/ folder, as a string (a Path per bag costs more than its copy's mkdir)."""

    @property
    def bags_dir(self) -> str:
        return f"{self.replica.root}/{BAGS}"

    @classmethod
    def listed(cls, replica: LocalStorage, local_bags: str = "") -> FolderBags:
        found = cls(replica, local_bags=local_bags)
        try:
            with os.scandir(found.bags_dir) as listing:
                found.present = {item.name for item in listing if item.is_dir(follow_symlinks=False)}
        except FileNotFoundError:
            os.mkdir(found.bags_dir)
        return found

    def committed(self, record_id: str, version: int) -> bool:
        """Whether ``bags/<id>/v<N>`` is there already (whole or not: then checked file by file)."""
        return record_id in self.present and os.path.lexists(f"{self.bags_dir}/{record_id}/v{version}")

    def sweep_partials(self, record_ids: set[str]) -> int:
        """Remove the temporary bag folders killed runs left under these records; how many.

        Only called before any bag is copied in this run, under the per-replica lock."""
        swept = 0
        for record_id in sorted(record_ids & self.present):
            folder = f"{self.bags_dir}/{record_id}"
            with contextlib.suppress(FileNotFoundError), os.scandir(folder) as listing:
                leftovers = [item.path for item in listing
                             if is_partial(item.name) and item.is_dir(follow_symlinks=False)]
            for path in leftovers:
                shutil.rmtree(path)
                swept += 1
        return swept


@dataclass
class _Copied:
    """The files of one bag as copied: each file's sha256, and what the manifest check reads of
    the tag files (their size and identity, their bytes when small). Payload files (data/...) keep
    only their digest: ~10 of a seed bag's 11 files, so one dict write each, not four."""

    digests: dict[str, str] = field(default_factory=dict)
    tags: dict[str, tuple[int, tuple[int, int]]] = field(default_factory=dict)
    """Tag file -> (size, (st_dev, st_ino)) as copied."""
    kept: dict[str, bytes] = field(default_factory=dict)
    kept_bytes: int = 0
    bytes: int = 0
    files: int = 0


def _refuse(rel: str, why: str) -> LocalProblem:
    return LocalProblem(f"the bag here cannot be copied: {rel}: {why}")


def _name(item: os.DirEntry) -> str:
    return item.name


def _copy_folder(src: int, dst: int, rel_folder: str, copied: _Copied, ctx: Context) -> None:
    """Every file of the local folder open as ``src`` into the (new, empty) folder open as ``dst``,
    then each subfolder the same way; names are resolved one component at a time from the open
    folders (never from a path), and a link, FIFO, socket or device refuses the bag, as the bag
    check would. ``rel_folder`` is the folder's bag-relative path ('' for the bag's root)."""
    try:
        with os.scandir(src) as listing:
            items = sorted(listing, key=_name)
    except OSError as exc:
        raise _refuse(rel_folder or ".", f"cannot list folder: {exc.strerror or exc}") from None
    prefix = f"{rel_folder}/" if rel_folder else ""
    stop = ctx.stop
    folders = []
    for item in items:
        if item.is_file(follow_symlinks=False):
            if stop.is_set():
                raise Stopped("stopped")
            _copy_file(src, item.name, item.inode(), dst, prefix + item.name, copied)
        elif item.is_dir(follow_symlinks=False):
            folders.append((item.name, prefix + item.name))
        elif item.is_symlink():
            raise _refuse(prefix + item.name, "a symbolic link; not followed")
        else:
            raise _refuse(prefix + item.name, "not a regular file; not opened")
    for name, rel in folders:
        try:
            sub_src = os.open(name, _DIR, dir_fd=src)
        except OSError as exc:
            raise _refuse(rel, f"cannot open folder: {exc.strerror or exc}") from None
        try:
            os.mkdir(name, 0o755, dir_fd=dst)
            sub_dst = os.open(name, _DIR, dir_fd=dst)
            try:
                _copy_folder(sub_src, sub_dst, rel, copied, ctx)
            finally:
                os.close(sub_dst)
        finally:
            os.close(sub_src)


def _copy_file(src: int, name: str, inode: int, dst: int, rel: str, copied: _Copied) -> None:
    """One file (``name`` in the local folder ``src``) into the temporary bag's folder ``dst``:
    proved to be the file listed (its inode), read once, hashed from the bytes read and written
    from the same bytes.

    No second read of the copy confirms it: the digest is of the very buffer handed to ``write``,
    so what the manifest check compares is what the replica was given (a short write is
    continued, never a silent truncation). What could still differ is what the disk keeps of it, which
    a read-back through the page cache would not see either; that is syncfs's part (see the
    module's docstring), and a copy not yet recorded is re-hashed when found by a later run."""
    try:
        fd = os.open(name, _READ, dir_fd=src)
    except OSError as exc:
        raise LocalProblem(f"cannot read {rel} here: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if info.st_ino != inode or not S_ISREG(info.st_mode):
            raise LocalProblem(f"{rel} here changed while it was being copied; not copied")
        out = os.open(name, _WRITE, 0o644, dir_fd=dst)
        try:
            digest, size, data = _transfer(fd, out, info.st_size, rel)
        finally:
            os.close(out)
    finally:
        os.close(fd)
    copied.digests[rel] = digest
    copied.bytes += size
    copied.files += 1
    if rel.startswith("data/"):
        return
    copied.tags[rel] = (size, (info.st_dev, info.st_ino))
    if data is not None and size <= KEEP_FILE and copied.kept_bytes + size <= KEEP_TOTAL:
        copied.kept[rel] = data
        copied.kept_bytes += size


def _transfer(fd: int, out: int, size_hint: int, rel: str) -> tuple[str, int, bytes | None]:
    """Everything readable from ``fd`` written to ``out``: (sha256 of the bytes read, how many, the
    bytes themselves when few enough to keep). A file smaller than ``CHUNK`` (every file of a seed
    bag) is one read of its size plus one: a short count is its end, seen in the same call."""
    if size_hint >= CHUNK:
        return _pump(fd, out, b"", rel)
    try:
        block = os.read(fd, size_hint + 1)
    except OSError as exc:
        raise LocalProblem(f"cannot read {rel} here: {exc.strerror or exc}") from None
    size = len(block)
    if size > size_hint:  # it grew since the fstat: read on
        return _pump(fd, out, block, rel)
    written = os.write(out, block)
    if written != size:
        _write_all(out, block, written)
    return _sha256(block).hexdigest(), size, block


def _pump(fd: int, out: int, first: bytes, rel: str) -> tuple[str, int, bytes | None]:
    """``first`` (bytes already read) and everything readable after it from ``fd`` written to
    ``out``: (sha256 of those bytes, how many, the bytes themselves when they are few enough to
    keep for the manifest check)."""
    digest = _sha256()
    parts: list[bytes] | None = []
    size = 0
    block = first
    while True:
        if block:
            digest.update(block)
            size += _write_all(out, block, 0)
            if parts is not None:
                parts.append(block)
                if size > KEEP_FILE:
                    parts = None
        try:
            block = os.read(fd, CHUNK)
        except OSError as exc:
            raise LocalProblem(f"cannot read {rel} here: {exc.strerror or exc}") from None
        if not block:
            break
    return digest.hexdigest(), size, b"".join(parts) if parts is not None else None


def _write_all(out: int, block: bytes, written: int) -> int:
    """The rest of ``block`` after its first ``written`` bytes into ``out``; its length."""
    view = memoryview(block)[written:]
    while view:
        view = view[os.write(out, view):]
    return len(block)


_PLAIN_DECLARATION = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
"""bagit.txt as the archive writes it: BagIt 1.0, UTF-8 tag files."""


def _listed_as_copied(copied: _Copied, entry: dict[str, Any]) -> bool:
    """Whether the bag's sha256 manifests, as the archive writes them, list only files copied with
    the very digest listed, and the tag manifest is the one the catalogue pinned: then
    :func:`_check_against_manifests` cannot fail, and parsing the manifests would only say so
    again (0.2 ms a bag). False says nothing either way: the full check decides.

    Only the archive's own form is taken: bagit.txt byte for byte BagIt 1.0 in UTF-8, both
    manifests kept, each line ``digest  path`` ending in LF, the path with no ``%`` (so the BagIt
    1.0 decoding leaves it as it is) and not starting with whitespace or ``*`` (which the full
    parse would read differently). A line in any other form (upper-case hex, a tab, a CR, a blank
    line, a file not copied) leaves the decision to the full parse."""
    kept = copied.kept
    if kept.get("bagit.txt") != _PLAIN_DECLARATION:
        return False
    pinned = entry.get("tagmanifest_sha256")
    digests = copied.digests
    if not isinstance(pinned, str) or digests.get("tagmanifest-sha256.txt") != pinned:
        return False
    for manifest in MANIFESTS:
        data = kept.get(manifest)
        if data is None or not data.endswith(b"\n") or b"%" in data or b"\r" in data:
            return False
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        for line in text[:-1].split("\n"):
            digest, two_spaces, path = line.partition("  ")
            if not two_spaces or path[:1] in _NOT_A_PATH_START or digests.get(path) != digest:
                return False
    return True


_NOT_A_PATH_START = ("", " ", "\t", "*")


def _check_against_manifests(local_root: str, copied: _Copied, entry: dict[str, Any]) -> None:
    """Every copied file a sha256 manifest lists (and the pinned tag manifest) hashed as listed;
    the manifests are parsed from the bytes just copied (read again only when too large to keep)."""
    if _listed_as_copied(copied, entry):
        return
    tags = {rel: file_entry(rel, size, identity) for rel, (size, identity) in copied.tags.items()}
    from archive.fixity.inventory import Inventory  # only for a bag not in the archive's own form

    inv = Inventory(root=local_root, storage=LocalStorage(local_root), files=tags,
                    kept=dict(copied.kept), kept_bytes=copied.kept_bytes)
    for rel, want in bag_digests(inv, entry).items():
        found = copied.digests.get(rel)
        if found is not None and found != want:
            raise LocalProblem(f"{rel} here does not match its sha256 {want} (run archive verify and "
                               "repair); not sent")


def copy_bag(ctx: Context, bags: FolderBags, record_id: str, entry: dict[str, Any]) -> BagDone | None:
    """The local bag into a temporary folder on the replica, checked, then renamed into place.

    None when ``bags/<id>/v<N>`` is on the replica already (a run killed before recording it):
    the caller then checks that copy file by file. Raises LocalProblem when the local bag may not
    be copied, Stopped when the run stops meanwhile; the temporary is gone either way."""
    version = int(entry["version"])
    if bags.committed(record_id, version):
        return None
    local_root = f"{bags.local_bags or ctx.arc.bags_dir}/{record_id}/v{version}"
    try:  # O_NOFOLLOW: a link to a folder is no bag here
        src = os.open(local_root, _DIR)
    except OSError:
        raise LocalProblem(f"the bag here is missing or incomplete ({entry.get('path')}); "
                           "not copied") from None
    try:
        return _copy_bag_from(ctx, bags, src, local_root, record_id, entry)
    finally:
        os.close(src)


def _copy_bag_from(ctx: Context, bags: FolderBags, src: int, local_root: str, record_id: str,
                   entry: dict[str, Any]) -> BagDone | None:
    version = int(entry["version"])
    parent = f"{bags.bags_dir}/{record_id}"
    if record_id not in bags.present:
        with contextlib.suppress(FileExistsError):  # another version of the record made it meanwhile
            os.mkdir(parent)
    partial = f"{parent}/.v{version}.{secrets.token_hex(6)}{TMP_SUFFIX}"
    os.mkdir(partial)
    committed = False
    copied = _Copied()
    try:
        dst = os.open(partial, _DIR)
        try:
            _copy_folder(src, dst, "", copied, ctx)
        finally:
            os.close(dst)
        ctx.sent.add(copied.bytes)
        if "bagit.txt" not in copied.tags:
            raise LocalProblem(f"the bag here is missing or incomplete ({entry.get('path')}); not copied")
        _check_against_manifests(local_root, copied, entry)
        if ctx.stop.is_set():
            raise Stopped("stopped")
        try:
            os.rename(partial, f"{parent}/v{version}")
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                return None  # committed meanwhile by another writer: checked file by file
            raise
        committed = True
    finally:
        if not committed:
            shutil.rmtree(partial, ignore_errors=True)
    return BagDone(record_id, version, copied.files, copied.bytes, copied.files, copied.bytes)


@dataclass
class Unsynced:
    """``catalog/.replicate-NAME.unsynced``: there while a run writes to folder replica NAME
    without an fsync per file, gone once ``syncfs`` made it all durable.

    Bags need no such mark (one not yet recorded is re-hashed when found), but source files are
    never recorded one by one: a source file found on the replica is taken as confirmed by its
    size, unless this mark says the run that wrote it died before its sync. The mark is made
    durable (the file and its folder fsynced) before the first byte is written, and never by a
    rename, so it is never mistaken for a catalogue write.
    """

    path: str
    was_left: bool
    """A run died before its final sync: files it wrote may hold bytes that never reached the disk."""

    @classmethod
    def mark(cls, catalog_dir: str | os.PathLike[str], name: str) -> Unsynced:
        path = os.path.join(os.fspath(catalog_dir), f".replicate-{name}.unsynced")
        was_left = os.path.lexists(path)
        if not was_left:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | _CLOEXEC, 0o644)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            folder = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        return cls(path, was_left)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def copy_source(ctx: Context, record_id: str, filename: str, sha256: str | None, there: Entry | None,
                confirm: Callable[[Entry, int, str], bool], sources_dir: str = "") -> int | None:
    """One source file (sources/<id>/<filename>) to the folder replica unless ``there`` (the
    replica's file, listed at the start) is confirmed by ``confirm(there, size, sha256)``; the
    bytes sent, None when nothing was.

    Read with O_NOFOLLOW below a folder opened with O_NOFOLLOW, hashed as read, written to a
    temporary beside the final name, renamed over it only when the digest is the catalogue's
    (or, with none there, whatever the bytes read hash to). No fsync: see :class:`Unsynced`.
    ``sources_dir`` is the archive's sources/ as a string (the caller's, computed once a run)."""
    rel = f"sources/{record_id}/{filename}"
    try:
        folder = os.open(f"{sources_dir or ctx.arc.sources_dir}/{record_id}", _DIR)
    except OSError as exc:
        raise LocalProblem(f"source file {rel} is missing here (or not a regular file); not sent "
                           f"({exc.strerror or exc})") from None
    try:
        try:
            fd = os.open(filename, _READ, dir_fd=folder)
        except OSError as exc:
            raise LocalProblem(f"source file {rel} is missing here (or not a regular file); not sent "
                               f"({exc.strerror or exc})") from None
    finally:
        os.close(folder)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LocalProblem(f"source file {rel} is missing here (or not a regular file); not sent")
        if sha256 is not None and there is not None and confirm(there, info.st_size, sha256):
            return None
        return _send_source(ctx, fd, info.st_size, rel, sha256, there, confirm)
    finally:
        os.close(fd)


def _make_folder(path: str) -> None:
    """``path`` and, the first time, its parent (sources/ on a new replica), if missing."""
    try:
        os.mkdir(path)
    except FileExistsError:
        return
    except FileNotFoundError:
        with contextlib.suppress(FileExistsError):
            os.mkdir(os.path.dirname(path))
        with contextlib.suppress(FileExistsError):
            os.mkdir(path)


def _send_source(ctx: Context, fd: int, size_hint: int, rel: str, sha256: str | None, there: Entry | None,
                 confirm: Callable[[Entry, int, str], bool]) -> int | None:
    assert isinstance(ctx.storage, LocalStorage)
    target_folder = os.path.join(ctx.storage.root, os.path.dirname(rel))
    _make_folder(target_folder)
    name = os.path.basename(rel)
    tmp = os.path.join(target_folder, f".{name}.{secrets.token_hex(6)}{TMP_SUFFIX}")
    committed = False
    try:
        out = os.open(tmp, _WRITE, 0o644)
        try:
            digest, size, _ = _transfer(fd, out, size_hint, rel)
            ctx.sent.add(size)
        finally:
            os.close(out)
        if sha256 is not None and digest != sha256:
            raise LocalProblem(f"{rel} here does not match its sha256 {sha256} (run archive verify and "
                               "repair); not sent")
        if sha256 is None and there is not None and confirm(there, size, digest):
            return None
        os.replace(tmp, os.path.join(target_folder, name))
        committed = True
    finally:
        if not committed:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return size
