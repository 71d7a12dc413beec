"""How long operations report progress and learn that they should stop.

One callback type and one cancel type for every long operation (import, bag, verify, audit,
deposit), so the CLI's bar and the TUI's workers plug into all of them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """How far a long operation has come: ``done`` of ``total`` items (records, bags), and for
    work measured in bytes as well (fixity), ``bytes_done`` of ``bytes_total``."""

    done: int
    total: int
    bytes_done: int | None = None
    bytes_total: int | None = None


Progress = Callable[[Step], None]
"""Called with a ``Step`` after each item; the CLI draws a bar, the TUI a widget."""

Cancel = Callable[[], bool]
"""Polled between steps; True stops the operation at a point where the archive is whole. A
``threading.Event``'s ``is_set`` is one."""


def cancelled(cancel: Cancel | None) -> bool:
    """Whether the caller asked to stop; no ``cancel`` never does."""
    return cancel is not None and bool(cancel())
