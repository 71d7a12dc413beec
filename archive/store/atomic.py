"""Crash-safe file replacement.

A catalogue file is never written in place: the new bytes go to a temporary file beside it, are
fsynced, and then renamed over the old one, and the folder is fsynced so the rename itself is
durable. A process killed at any instant leaves the old file or the new one, never a torn one; a
full disk leaves the old one.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from archive.errors import StoreError

TMP_SUFFIX = ".tmp"


def fsync_path(path: Path) -> None:
    """Flush a file's bytes, or a folder's entries, to disk by name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename or create in ``folder`` survive a power cut."""
    fsync_path(folder)


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers and crashes see all of it or none.

    ``durable=False`` skips the fsyncs for files that can be rebuilt from durable ones (the
    summary index, the id counter): after a power cut they may be old or empty, never torn, and
    the store notices and rebuilds them.
    """
    tmp = path.with_name(f"{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # on a read-only mount the clean-up fails too (EROFS)
            tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise StoreError(
                f"disk full while writing {path.name}; nothing was changed ({exc.strerror})"
            ) from None
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}; nothing was changed") from None
    if durable:
        fsync_dir(path.parent)


def remove_stale_temporaries(folder: Path) -> None:
    """Drop temporaries left by a killed writer; only called while holding the catalogue lock."""
    if folder.is_dir():
        for leftover in folder.glob(f"*{TMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)
