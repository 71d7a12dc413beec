"""The one helper process the TUI's jobs need, started when it costs the archivist nothing.

Bagging and verifying run worker processes; multiprocessing then starts its resource tracker (a
second Python interpreter) with ``sys.stderr.fileno()``. Inside a running Textual app stderr is
captured (fileno -1), which fails with "bad value(s) in fds_to_keep", so the tracker is started
from the UI thread with the real stderr put back for that moment, before any job's worker needs
it. It used to start before the app ran: its imports and the new interpreter's start (tens of
milliseconds of CPU) then competed with the first screen; now the main screen starts it once
the first listing is done, and every job start makes sure of it (a no-op once it runs).
"""

from __future__ import annotations

import contextlib
import sys


def start_resource_tracker() -> None:
    """Start (or make sure of) multiprocessing's resource tracker; call on the UI thread only."""
    import multiprocessing.resource_tracker

    captured = sys.stderr
    real = sys.__stderr__
    try:
        if real is not None and captured is not real and _fileno(captured) < 0:
            sys.stderr = real  # the tracker inherits the terminal's stderr, as before the app ran
        with contextlib.suppress(Exception):
            multiprocessing.resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


def _fileno(stream: object) -> int:
    try:
        return stream.fileno()  # type: ignore[attr-defined]
    except Exception:
        return -1
