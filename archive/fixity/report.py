"""The archive-wide verification report: per bag its outcome and failures, plus totals.

Plain dataclasses with ``to_dict``, so the CLI can write JSON, the TUI can show it from a worker
thread, and a cron job can keep the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.fixity.problems import (
    ERROR,
    FAILURE,
    FILE_KINDS,
    MISMATCH,
    SUCCESS,
    WARNING,
    Problem,
    count_kinds,
    outcome_of,
)
from archive.fixity.state import standing_note


@dataclass(slots=True)
class BagReport:
    """One bag of the archive as checked: which record and version it holds, and what was found."""

    path: str
    """Relative to the archive root, e.g. bags/ART-2016-000001/v1."""
    record_id: str | None
    version: int | None
    fast: bool
    problems: list[Problem] = field(default_factory=list)
    payload_bytes: int = 0
    hashed_bytes: int = 0
    standing_failure: str = ""
    """For a fast check: when the failure it cannot clear was found ('' when none stands)."""
    standing_fast: bool = False
    """True when that standing failure was itself found by a fast check."""

    @property
    def outcome(self) -> str:
        """What this check found, by itself."""
        return outcome_of(self.problems)

    @property
    def state(self) -> str:
        """The bag's fixity after this check: a fast check never clears a standing failure."""
        return FAILURE if self.standing_failure else self.outcome

    def standing_note(self) -> str:
        """The line that says why a fast check that found nothing still fails."""
        if not self.standing_failure or self.outcome == FAILURE:
            return ""
        return standing_note(self.standing_failure, self.standing_fast)

    def counts(self) -> dict[str, int]:
        return count_kinds(self.problems, (*FILE_KINDS, MISMATCH))

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "record_id": self.record_id,
            "version": self.version,
            "outcome": self.outcome,
            "state": self.state,
            "mode": "fast" if self.fast else "full",
            "fast": self.fast,
            "standing_failure": self.standing_failure or None,
            "standing_note": self.standing_note() or None,
            "payload_bytes": self.payload_bytes,
            "hashed_bytes": self.hashed_bytes,
            "counts": self.counts(),
            "failures": [p.to_dict() for p in self.problems if p.severity == ERROR],
            "warnings": [p.to_dict() for p in self.problems if p.severity == WARNING],
        }


@dataclass(slots=True)
class SourceReport:
    """One record's working copy in sources/<id>/ as checked against the catalogue."""

    path: str
    """Relative to the archive root, e.g. sources/ART-2016-000001."""
    record_id: str
    fast: bool
    problems: list[Problem] = field(default_factory=list)
    hashed_bytes: int = 0

    @property
    def outcome(self) -> str:
        if any(p.severity == ERROR for p in self.problems):
            return FAILURE
        return WARNING if self.problems else SUCCESS

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "record_id": self.record_id,
            "outcome": self.outcome,
            "mode": "fast" if self.fast else "full",
            "hashed_bytes": self.hashed_bytes,
            "failures": [p.to_dict() for p in self.problems if p.severity == ERROR],
            "warnings": [p.to_dict() for p in self.problems if p.severity == WARNING],
        }


def tally(planned: int, bags: list[BagReport], sources: list[SourceReport]) -> dict[str, int]:
    """The counts every fixity report gives (a local verify, a replica's): bags by state, files by
    kind of problem (a working copy's included), bytes read. One tally, so ``verify`` and ``verify
    --replica`` count the same damage the same way."""
    totals = {"planned": planned, "checked": len(bags), "success": 0, "warning": 0, "failure": 0,
              "missing_bags": 0, "payload_bytes": 0, "hashed_bytes": 0, "standing_failures": 0,
              "sources_checked": len(sources), "sources_failed": 0}
    totals.update(dict.fromkeys((*FILE_KINDS, MISMATCH), 0))
    for bag in bags:
        totals[bag.state] += 1
        totals["standing_failures"] += bool(bag.standing_note())
        totals["payload_bytes"] += bag.payload_bytes
        totals["hashed_bytes"] += bag.hashed_bytes
        if not bag.problems:  # nearly every bag: nothing to count
            continue
        if any(p.code == "missing-bag" for p in bag.problems):
            totals["missing_bags"] += 1
        for kind, count in bag.counts().items():
            totals[kind] += count
    for source in sources:
        totals["hashed_bytes"] += source.hashed_bytes
        totals["sources_failed"] += source.outcome == FAILURE
        for problem in source.problems:
            if problem.severity == ERROR and problem.kind in totals:
                totals[problem.kind] += 1
    return totals


@dataclass(slots=True)
class VerifyReport:
    """Everything one verify run found; ``ok`` is what the exit code says."""

    started_at: str
    fast: bool
    bags: list[BagReport] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    """Bag folders on disk that no record claims, relative to the root."""
    sources: list[SourceReport] = field(default_factory=list)
    """The working copies checked (records' files in sources/)."""
    leftovers: list[str] = field(default_factory=list)
    """sources/ folders no record owns and half-copied ``*.partial`` files: warnings."""
    unrecorded: str = ""
    """Why the results could not be recorded in the catalogue ('' when they were)."""
    finished_at: str = ""
    seconds: float = 0.0
    cancelled: bool = False
    planned: int = 0

    @property
    def ok(self) -> bool:
        return (not self.orphans and all(b.state != FAILURE for b in self.bags)
                and all(s.outcome != FAILURE for s in self.sources))

    def totals(self) -> dict[str, int]:
        return {**tally(self.planned, self.bags, self.sources), "orphans": len(self.orphans),
                "leftovers": len(self.leftovers)}

    def summary(self) -> str:
        """One line for people and cron mail."""
        t = self.totals()
        mode = "fast check (completeness and Payload-Oxum only)" if self.fast else "full check"
        head = "verify stopped early" if self.cancelled else ("all well" if self.ok else "PROBLEMS FOUND")
        files = ", ".join(f"{t[k]} {k}" for k in (*FILE_KINDS, MISMATCH) if t[k])
        return (f"{head}: {t['checked']} of {t['planned']} bags checked, {t['success']} ok, "
                f"{t['warning']} with warnings, {t['failure']} failed"
                + (f" ({t['standing_failures']} by an earlier check only a full check can clear)"
                   if t["standing_failures"] else "")
                + (f" ({files})" if files else "")
                + (f", {t['orphans']} orphan bag folders" if t["orphans"] else "")
                + (f"; {t['sources_checked']} working {'copy' if t['sources_checked'] == 1 else 'copies'} "
                   f"checked, {t['sources_failed']} failed" if self.sources else "")
                + (f"; {t['leftovers']} leftovers in sources/" if t["leftovers"] else "")
                + f"; {t['hashed_bytes'] / 1e6:.1f} MB read in {self.seconds:.1f} s; {mode}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds": round(self.seconds, 3),
            "fast": self.fast,
            "ok": self.ok,
            "cancelled": self.cancelled,
            "totals": self.totals(),
            "recorded": not self.unrecorded,
            "unrecorded": self.unrecorded or None,
            "orphans": list(self.orphans),
            "leftovers": list(self.leftovers),
            "bags": [b.to_dict() for b in self.bags],
            "sources": [s.to_dict() for s in self.sources if s.problems],
        }
