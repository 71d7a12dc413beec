"""Where an unexpected failure (a bug, not an ``ArchiveError``) leaves its traceback.

The CLI shows one line for every failure; for a bug that line cannot say enough, so the whole
traceback goes to ``<root>/logs/archive-<UTC timestamp>-<pid>.log`` and the line names the file.
With no archive open, or a ``logs/`` that cannot be written, the file goes to the system temp dir
instead: a bug report must never be lost because of where it happened.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from archive import __version__
from archive.clock import format_utc

LOGS_DIR = "logs"


def log_name(pid: int | None = None, moment: float | None = None, *, prefix: str = "archive") -> str:
    """``archive-20261129T234012Z-4242.log``: sortable by time, apart per process."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if moment is None else moment))
    return f"{prefix}-{stamp}-{os.getpid() if pid is None else pid}.log"


def log_folder(root: Path | None) -> Path:
    """``root``/logs (made on first need), or the temp dir when there is no archive or it cannot
    be made; for a long-running program (the TUI) that logs to a file of its own."""
    if root is not None:
        folder = Path(root) / LOGS_DIR
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            pass
        else:
            if folder.is_dir() and os.access(folder, os.W_OK):
                return folder
    return Path(tempfile.gettempdir())


def crash_report(exc: BaseException) -> str:
    """The log's text: what ran, with which version, and the full traceback."""
    when = format_utc(time.time())
    head = f"article-archive {__version__}\nat: {when}\nargv: {sys.argv!r}\n\n"
    return head + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _write_new(folder: Path, text: str) -> Path:
    """Create a new file in ``folder``: never through a planted link, never over another log."""
    folder.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    base = log_name()
    for attempt in range(100):
        name = base if attempt == 0 else base.replace(".log", f"-{attempt}.log")
        path = folder / name
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path
    raise FileExistsError(f"no free log name in {folder}")


def write_crash_log(exc: BaseException, root: Path | None = None) -> Path | None:
    """Write ``exc``'s traceback under ``root``/logs, else the temp dir; its path, or None if neither
    could be written (the caller still shows its one line)."""
    text = crash_report(exc)
    folders = ([Path(root) / LOGS_DIR] if root is not None else []) + [Path(tempfile.gettempdir())]
    for folder in folders:
        try:
            return _write_new(folder, text).resolve()
        except OSError:
            continue
    return None
