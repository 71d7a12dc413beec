"""Work folders under <root>/staging, named for the process that owns them.

A bag (or an ingest) is assembled in a folder named ``<kind>-<pid>-<token>`` and only a whole
result is moved out by one rename. If the process is killed, the folder stays behind; the next
run removes every such folder whose process is gone, and never one that is still being used.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.processes import alive


def _alive(pid: int) -> bool:
    return pid == os.getpid() or alive(pid)


def clean_stale(staging: Path) -> list[Path]:
    """Remove work folders left by processes that no longer run; returns what was removed."""
    removed: list[Path] = []
    if not staging.is_dir():
        return removed
    for entry in staging.iterdir():
        parts = entry.name.split("-")
        if len(parts) < 3 or not parts[1].isdigit():
            continue
        if _alive(int(parts[1])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry)
    return removed


@contextmanager
def work_folder(staging: Path, kind: str) -> Iterator[Path]:
    """A fresh folder in staging for this process, removed afterwards whatever happens."""
    staging.mkdir(parents=True, exist_ok=True)
    clean_stale(staging)
    folder = staging / f"{kind}-{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_file(path: Path | str, data: bytes, flags: int = _NEW) -> None:
    """Write ``data`` to ``path`` with three system calls (open, write, close): ``open(path, "xb")``
    adds an fstat, an ioctl and an lseek, which cost measurably for a dozen small files a bag.
    ``flags`` defaults to a new file (``O_EXCL``: never through a symlink, never over a file)."""
    fd = os.open(path, flags, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def flush_filesystem(path: Path) -> None:
    """Make everything written on ``path``'s file system durable, in one call per batch of bags.

    One ``syncfs`` per batch costs far less than an fsync per file of a thousand small bags.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.syncfs(fd) == 0:
                return
        except (OSError, AttributeError):
            pass
        os.sync()
    finally:
        os.close(fd)
