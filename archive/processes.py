"""Worker processes that die with the process that started them.

A pool worker waits on a queue whose write end it holds itself, so it never sees the end of that
queue when the CLI is killed: without help, every SIGKILLed ``bag`` or ``verify`` left its
workers running for ever (24 processes after a few kills). ``die_with_parent`` is the pool
initializer that prevents it, for fork and forkserver workers alike:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment the thread
  that forked it ends. For fork workers that is the caller's main thread (bagging forks only when
  the process runs no other thread); for forkserver workers it is the fork server's only thread.
- everywhere, a watchdog thread that ends the worker when its parent changes (the parent died
  and the worker was re-parented): the fallback where prctl is missing, and a second guard.

The fork server needs nothing: it exits when the pipe from the process that started it reaches
end of file, which the kernel closes when that process dies, and its own workers follow it by
the rules above. The resource tracker exits when the last process holding its pipe (the caller
and the workers) is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL_S = 1.0


def _parent_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when its parent thread ends (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    """End this process as soon as ``parent`` is no longer its parent."""
    stop = threading.Event()
    while not stop.wait(WATCH_INTERVAL_S):
        if os.getppid() != parent:
            os._exit(1)


def die_with_parent(parent: int | None = None) -> None:
    """Pool initializer: make this worker end when the process that forked it ends.

    ``parent`` is the pid that is expected to have forked this worker (the caller for fork
    workers); if it is already gone by the time the worker runs this, the worker ends at once,
    closing the gap between fork and prctl.
    """
    current = os.getppid()
    _parent_death_signal()
    if (parent is not None and current != parent) or current == 1:
        os._exit(1)
    with contextlib.suppress(RuntimeError):  # interpreter shutting down: nothing to guard
        threading.Thread(target=_watch, args=(current,), name="parent-watch", daemon=True).start()
