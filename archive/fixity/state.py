"""One rule for a bag's fixity state: only a full check can clear a failure.

A fast check reads no file contents, so it can find a file missing or a size changed but can never
prove a file intact. If it could overwrite ``last_fixity`` a same-size change found by a full check
would read as "ok" after the next nightly fast run, and a fast audit would push every bag to the
back of the full-audit queue. So:

* a full check always sets the state, and ``full_at`` (the due date of the next audit counts from
  it);
* a fast check that fails sets the state (it found something real);
* a fast check that finds nothing replaces a passing state, but a standing failure stays as it was.
"""

from __future__ import annotations

from typing import Any

from archive.records import FAILURE, check_mode, full_check_at, standing_failure

__all__ = ["FAILURE", "check_mode", "full_check_at", "next_fixity", "standing_failure", "standing_note"]


def standing_note(fixity_at: str, found_by_fast: bool) -> str:
    """Why a fast check that found nothing still leaves the bag failed, in one line."""
    day = fixity_at[:10]
    if found_by_fast:
        return f"fast check found nothing; the fast check of {day} failed, and only a full check can clear it"
    return f"fast check found nothing; last full check failed ({day}), and only a full check can clear it"


def next_fixity(previous: dict[str, Any] | None, outcome: str, fast: bool, at: str) -> dict[str, Any]:
    """The bag's ``last_fixity`` after a check with ``outcome`` (see the module's rule)."""
    if fast and outcome != FAILURE and standing_failure(previous):
        return dict(previous or {})
    state: dict[str, Any] = {"at": at, "outcome": outcome, "fast": fast}
    full_at = at if not fast else full_check_at(previous)
    if full_at:
        state["full_at"] = full_at
    return state
