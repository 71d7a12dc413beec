"""Worker processes that die with the process that started them.

A pool worker waits on a queue whose write end it holds itself, so it never sees the end of that
queue when the CLI is killed: without help, every SIGKILLed ``bag`` or ``verify`` left its
workers running for ever (24 processes after a few kills). ``die_with_parent`` is the pool
initializer that prevents it, for fork and forkserver workers alike. ``owner`` is the process
that made the pool:

- a watchdog thread blocks on a pidfd of the owner (Linux 5.3+), which becomes readable the
  moment the owner ends, and then ends the worker; where pidfds are missing it polls instead,
  every second, whether the owner is alive and the worker's parent unchanged;
- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` as well: the kernel kills the worker when the
  thread that forked it ends. For fork workers that is the owner's main thread (bagging forks
  only when the process runs no other thread); for forkserver workers the fork server's only one.

The fork server then ends by itself: it exits when the pipe that the owner and every worker hold
reaches end of file, which happens once they are all gone. The resource tracker exits in the
same way when the last process holding its pipe has ended.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
POLL_INTERVAL_S = 1.0


def _parent_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when the thread that forked it ends (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def alive(pid: int) -> bool:
    """True while a process with this pid exists (even one we may not signal)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(owner: int, parent: int, pidfd: int | None) -> None:
    """End this process as soon as ``owner`` has ended (or, polling, this one was re-parented)."""
    if pidfd is not None:
        try:
            select.select([pidfd], [], [])  # readable once the owner has exited
        except OSError:
            pass
        else:
            os._exit(1)
    stop = threading.Event()
    while not stop.wait(POLL_INTERVAL_S):
        if os.getppid() != parent or not alive(owner):
            os._exit(1)


def _pidfd(pid: int) -> int | None:
    """A pidfd for ``pid``, or None where the platform has none; raises if ``pid`` is gone."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return opener(pid)
    except ProcessLookupError:
        raise
    except OSError:  # an old kernel, a sandbox that forbids the call
        return None


def die_with_parent(owner: int | None = None) -> None:
    """Pool initializer: make this worker end when ``owner`` (default: its parent) ends.

    If the owner is already gone when the worker gets here, the worker ends at once: that closes
    the gap between the fork and the watch.
    """
    parent = os.getppid()
    owner = parent if owner is None else owner
    _parent_death_signal()
    try:
        pidfd = _pidfd(owner)
    except ProcessLookupError:
        os._exit(1)
    if not alive(owner) or (parent == 1 and owner != 1):  # re-parented already
        os._exit(1)
    with contextlib.suppress(RuntimeError):  # interpreter shutting down: nothing to guard
        threading.Thread(target=_watch, args=(owner, parent, pidfd), name="owner-watch",
                         daemon=True).start()
