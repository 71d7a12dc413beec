"""The catalogue's inter-process write lock: flock(2) on a lock file, as filelock does on Unix.

Every ``add`` or ``edit`` takes this lock once, and importing filelock 4 (logging, decimal,
secrets, its own file-system probes) cost a third of what ``bagit.py --version`` costs in all
(issue 13). flock is what filelock's Unix lock uses, on the same file, so a process holding the
lock through filelock (a test, an older copy of the archive) and one holding it here still
exclude each other. Where flock does not exist (Windows), filelock itself is used.
"""

from __future__ import annotations

import errno
import os
import time

from archive.errors import StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_BUSY = frozenset({errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK})
_POLL_FIRST_S, _POLL_MAX_S = 0.001, 0.05
"""A waiter retries soon at first (most writes hold the lock a few milliseconds), then every
50 ms, filelock's own interval."""


class LockTimeout(StoreError):
    """The lock was not free within the timeout (the store says which catalogue was busy)."""


class InterProcessLock:
    """An exclusive lock on ``path`` shared by every process, re-entrant by count in this one
    (callers serialise their own threads, as Store does with an RLock)."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        self.lock_counter = 0
        self._fd: int | None = None
        self._fallback = None

    def acquire(self) -> None:
        """Take the lock (or count one more hold); LockTimeout after ``timeout`` seconds."""
        if self.lock_counter:
            self.lock_counter += 1
            return
        if fcntl is None:  # pragma: no cover - Windows
            self._acquire_with_filelock()
        else:
            self._fd = self._flock()
        self.lock_counter = 1

    def release(self) -> None:
        """Drop one hold; the last one unlocks (the file stays, so waiters share one inode)."""
        if not self.lock_counter:
            return
        self.lock_counter -= 1
        if self.lock_counter:
            return
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release()
            self._fallback = None
        elif self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _flock(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        pause = _POLL_FIRST_S
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except OSError as exc:
                    if exc.errno not in _BUSY:
                        raise
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LockTimeout(self.path)
                time.sleep(min(pause, left))  # flock cannot wait with a timeout: poll, as filelock does
                pause = min(pause * 2, _POLL_MAX_S)
        except BaseException:
            os.close(fd)
            raise

    def _acquire_with_filelock(self) -> None:  # pragma: no cover - Windows
        from filelock import FileLock, Timeout

        lock = FileLock(self.path, timeout=self.timeout, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise LockTimeout(self.path) from None
        self._fallback = lock
