"""Staging I/O: the payload copied into a new staging folder, as the bag will hold it under data/.

A small source file is read into memory and written new, like the metadata files, and the bytes
written are handed to ``bagit_patches.note_written`` so make_bag hashes them without reading the
file back (on this VM's ext4 every system call on a new file counts; a seed-sized bag is all small
files). A large source file is copied in the kernel (``copy_file_range``) and, for a durable bag,
starts going to disk on a thread while bagit hashes it. Every entry is created new (``O_EXCL``,
``mkdir``), so no symlink is left for bagit to mis-walk.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from archive.bagging.bagit_patches import begin_staging, note_written
from archive.bagging.contents import BagJob, metadata_files, source_files
from archive.bagging.staging import write_file
from archive.bagit_format.paths import payload_name
from archive.bagit_format.payload import METADATA_FOLDER, SOURCE_FOLDER
from archive.errors import PayloadError

COPY_CHUNK = 64 << 20
IN_MEMORY = 1 << 20
"""Source files up to this size are copied through memory, so their digests come from the bytes
written (``note_written``); larger ones are copied in the kernel and hashed by reading them back."""


def _copy_small(source: Path, target: Path) -> bytes | None:
    """Copy ``source`` into the new file ``target`` through memory and return the bytes, or None
    (nothing written) when it is larger than ``IN_MEMORY``, for ``kernel_copy`` to copy."""
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(fd).st_size
        if size > IN_MEMORY:
            return None
        parts: list[bytes] = []
        got = 0
        while got <= size and (block := os.read(fd, size + 1 - got)):
            parts.append(block)
            got += len(block)
    finally:
        os.close(fd)
    if got != size:  # the file grew or shrank while being read
        raise PayloadError(f"{source.name} changed while it was being copied")
    data = b"".join(parts)
    write_file(target, data)
    return data


def kernel_copy(source: Path, target: Path) -> int:
    """Copy ``source`` into the new file ``target`` inside the kernel (copy_file_range), no reads
    into Python; falls back to ``shutil.copyfileobj`` where the kernel cannot. Returns the size."""
    with open(source, "rb") as src, open(target, "xb") as out:
        size = os.fstat(src.fileno()).st_size
        done = 0
        try:
            while done < size:
                sent = os.copy_file_range(src.fileno(), out.fileno(), min(COPY_CHUNK, size - done))
                if sent == 0:
                    break
                done += sent
        except OSError:  # another file system, an old kernel: copy through user space
            src.seek(done)
            out.seek(done)
            out.truncate()
            shutil.copyfileobj(src, out, 4 << 20)
            done = out.tell()
        else:
            if done < size or src.read(1):  # the file grew or shrank while being copied
                raise PayloadError(f"{source.name} changed while it was being copied")
    return done


def resolve_links(folder: Path) -> None:
    """Leave no symlink in a payload folder: bagit 1.9.0's ``make_bag`` walks with ``os.walk``,
    which does not follow symlinked folders, so their files would be moved into data/ but left
    out of every manifest. A symlink to a file is replaced by a copy of the file's bytes; a
    symlink to a folder, or one that leads nowhere, is refused."""
    for entry in list(os.scandir(folder)):
        path = Path(entry.path)
        if entry.is_symlink():
            if not path.is_file() or path.resolve().is_dir():
                raise PayloadError(f"{path.name} is a symbolic link to a folder or to nothing; "
                                   "not bagged")
            real = path.resolve()
            path.unlink()
            kernel_copy(real, path)
        elif entry.is_dir(follow_symlinks=False):
            resolve_links(path)


def _sync_and_close(fd: int) -> None:
    """Flush a staged file through the descriptor it was opened with, wherever it has moved to.

    Only a head start: the batch's syncfs (``staging.flush_filesystem``) makes the bag durable
    before it is moved in, so a failure here is left for that call rather than printed."""
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


EARLY_SYNC = 8 << 20
"""Copies at least this large are flushed to disk on a thread while make_bag hashes them."""


def stage_payload(job: BagJob, folder: Path) -> list[threading.Thread]:
    """Write the payload into ``folder`` (new), as the layout puts it under data/.

    For a durable bag, a large copy starts going to disk at once, on a thread, while make_bag
    reads it back from the page cache to hash it; the caller joins the returned threads. The
    parent's one syncfs per batch then finds little left to write. The thread is handed a file
    descriptor opened here, before it starts: make_bag moves the file into data/ at once, and a
    thread that opened it by name could find it gone (``FileNotFoundError`` on stderr).
    """
    record = job.record
    source_dir = Path(job.source_dir)
    begin_staging(folder)
    folder.mkdir()  # not mkdir(parents=True) on source/: it fails once first, then makes both
    (folder / SOURCE_FOLDER).mkdir()
    syncing: list[threading.Thread] = []
    for name in source_files(record):
        stored = payload_name(name)
        copy = folder / SOURCE_FOLDER / stored
        data = _copy_small(source_dir / name, copy)
        if data is not None:
            note_written(f"{SOURCE_FOLDER}/{stored}", data)
        elif kernel_copy(source_dir / name, copy) >= EARLY_SYNC and job.durable:
            fd = os.open(copy, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            thread = threading.Thread(target=_sync_and_close, args=(fd,), name="bag-sync", daemon=True)
            try:
                thread.start()
            except BaseException:
                os.close(fd)
                raise
            syncing.append(thread)
    (folder / METADATA_FOLDER).mkdir()
    for name, content in metadata_files(job).items():
        write_file(folder / METADATA_FOLDER / name, content)
        note_written(f"{METADATA_FOLDER}/{name}", content)
    # No resolve_links walk: every entry above was made new here (mkdir, O_EXCL, which never
    # follows or replaces a symlink), and a source symlink is read through, so the folder holds
    # none; conform's payload_on_disk still refuses any that appeared in the meantime.
    return syncing
