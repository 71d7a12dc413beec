"""Staging I/O: the payload copied into a new staging folder, as the bag will hold it under data/.

The source files are copied in the kernel (``copy_file_range``) and, for a durable bag, a large copy
starts going to disk on a thread while bagit hashes it; the metadata files are written new with
``staging.write_file`` (fewer system calls than ``open``). Every entry is created new (``O_EXCL``,
``mkdir``), so no symlink is left for bagit to mis-walk.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from archive.bagging.contents import BagJob, metadata_files, source_files
from archive.bagging.staging import write_file
from archive.bagit_format.paths import payload_name
from archive.bagit_format.payload import METADATA_FOLDER, SOURCE_FOLDER
from archive.errors import PayloadError

COPY_CHUNK = 64 << 20


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
    folder.mkdir()  # not mkdir(parents=True) on source/: it fails once first, then makes both
    (folder / SOURCE_FOLDER).mkdir()
    syncing: list[threading.Thread] = []
    for name in source_files(record):
        copy = folder / SOURCE_FOLDER / payload_name(name)
        if kernel_copy(source_dir / name, copy) >= EARLY_SYNC and job.durable:
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
    # No resolve_links walk: every entry above was made new here (mkdir, O_EXCL, which never
    # follows or replaces a symlink), and a source symlink is copied through, so the folder holds
    # none; conform's payload_on_disk still refuses any that appeared in the meantime.
    return syncing
