"""Audit: verify the bags whose last check is oldest first, within a count and a time budget.

Meant for cron: each run picks up where the last one left off, because every check moves its bag
to the back of the queue (its ``last_fixity.at`` becomes now).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from archive.errors import ArchiveError
from archive.fixity.report import VerifyReport
from archive.fixity.verify import Cancel, Progress, _cancelled, run_checks, tasks_for
from archive.layout import Archive
from archive.store.catalog_store import now_epoch, now_utc

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """Seconds in '90d', '10m', '2h', '45s' or '1w'; a bare number is seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise ArchiveError(f"cannot read duration {text!r}: use a number and s, m, h, d or w (e.g. 90d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def due_bags(arc: Archive, older_than: float | None = None,
             limit: int | None = None) -> list[tuple[str, int]]:
    """(record id, version) of bags never checked, then oldest check first."""
    cutoff = None
    if older_than is not None:
        moment = datetime.fromtimestamp(now_epoch(), UTC) - timedelta(seconds=older_than)
        cutoff = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    due: list[tuple[str, str, int]] = []
    for row in arc.store.summaries():
        record = arc.store.get(row["id"])
        for entry in record.get("bags") or []:
            at = (entry.get("last_fixity") or {}).get("at", "")
            if cutoff is None or at < cutoff:
                due.append((at, record["id"], entry["version"]))
    due.sort()
    if limit is not None:
        due = due[:limit]
    return [(record_id, version) for _, record_id, version in due]


def audit(arc: Archive, *, older_than: float | None = None, limit: int | None = None,
          budget: float | None = None, fast: bool = False, jobs: int | None = None,
          progress: Progress | None = None, cancel: Cancel = None) -> VerifyReport:
    """Verify the bags due, stopping between bags once ``budget`` seconds have passed."""
    chosen = due_bags(arc, older_than, limit)
    versions: dict[str, set[int]] = {}
    for record_id, version in chosen:
        versions.setdefault(record_id, set()).add(version)
    records = [arc.store.get(record_id) for record_id in versions]
    tasks = tasks_for(arc, records, fast, versions)
    order = {key: i for i, key in enumerate(chosen)}
    tasks.sort(key=lambda t: order[(t.record_id, t.version)])
    deadline = time.monotonic() + budget if budget is not None else None

    def stop() -> bool:
        return _cancelled(cancel) or (deadline is not None and time.monotonic() >= deadline)

    report = VerifyReport(started_at=now_utc(), fast=fast)
    return run_checks(arc, tasks, report, jobs=jobs, progress=progress, cancel=stop)
