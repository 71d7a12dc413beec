"""Threads at a lower OS priority, for the CPU-heavy reads behind the table.

Listing and search narrow 100,000 rows in Python: while they run they compete with the UI thread
twice, for the interpreter (the GIL) and, on a loaded machine, for a core. On Linux a thread has
its own nice value, and processes started from one terminal share one scheduling group
(autogroup), so a search thread at nice ``NICENESS`` leaves the UI thread nearly all of the
group's CPU whenever both want it: a key is echoed first and the search goes on in what is left.

Textual's thread workers run in a shared pool whose threads also do the jobs (bagging, checks);
a nice value cannot be lowered again without privileges, so pool threads are never niced. A
worker instead hands its function to a pool of niced threads and waits (without the GIL), which
keeps the worker's cancellation and the app's "wait for workers" as they were. The pool may run
several at once: a search goes on over the rows read so far while an older, cancelled one still
waits for a shard to be read.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

NICENESS = 10
"""How much lower the search threads run than the UI (0-19; 10 gives the UI about 90 % of a
contended core)."""
THREADS = 8
"""At most this many at once (Textual's own pool allows 6 on two cores)."""


class NicedThreads:
    """Runs functions in daemon threads at a lower OS priority, started when first needed."""

    def __init__(self, name: str, niceness: int = NICENESS) -> None:
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix=name, initializer=lower_priority,
                                        initargs=(niceness,))

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` run in a niced thread; its result, or its exception raised here.
        Called from another thread (a worker), which waits."""
        return self._pool.submit(function, *args).result()


def lower_priority(niceness: int) -> None:
    """Lower the calling thread's OS priority (Linux: per thread); elsewhere, or when refused, nothing."""
    native_id = threading.get_native_id()
    with contextlib.suppress(AttributeError, OSError):
        current = os.getpriority(os.PRIO_PROCESS, native_id)
        os.setpriority(os.PRIO_PROCESS, native_id, min(current + niceness, 19))
