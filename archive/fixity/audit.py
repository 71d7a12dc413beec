"""Audit: verify the bags whose last full check is oldest first, within a count and a time budget.

Meant for cron: each run picks up where the last one left off, because every full check moves its
bag to the back of the queue (its ``last_fixity.full_at`` becomes now). A fast check proves no file
intact, so it does not: a nightly ``audit --fast`` can never stop full audits coming due. The
working copies (sources/) of the records whose bags are checked are checked too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from archive.clock import UTC_FORMAT, now_epoch, now_utc
from archive.errors import UsageError
from archive.fixity.report import VerifyReport
from archive.fixity.state import full_check_at
from archive.fixity.verify import Task, early_pool, run_pages, source_tasks_for, tasks_for
from archive.layout import Archive
from archive.progress import Cancel, Progress, cancelled

PAGE = 1024
"""Records read at a time while finding the bags due (four shards' worth)."""
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """Seconds in '90d', '10m', '2h', '45s' or '1w'; a bare number is seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(f"cannot read duration {text!r}: use a number and s, m, h, d or w (e.g. 90d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _cutoff(older_than: float) -> str:
    """The time ``older_than`` seconds ago; before year 1 every check is newer, so nothing is due."""
    try:
        moment = datetime.fromtimestamp(now_epoch(), UTC) - timedelta(seconds=older_than)
    except (OverflowError, ValueError):
        return ""
    return moment.strftime(UTC_FORMAT)


def due_bags(arc: Archive, older_than: float | None = None,
             limit: int | None = None) -> list[tuple[str, int]]:
    """(record id, version) of bags never fully checked, then oldest full check first."""
    cutoff = None if older_than is None else _cutoff(older_than)
    due: list[tuple[str, str, int]] = []
    ids = arc.store.ids()  # the ids alone: no summary row parsed
    for start in range(0, len(ids), PAGE):  # a page of records in memory at a time, each shard read once
        page = arc.store.documents_of(ids[start:start + PAGE])  # read only: no copy
        for record in page.values():
            for entry in record.get("bags") or []:
                at = full_check_at(entry.get("last_fixity"))
                if cutoff is None or at < cutoff:
                    due.append((at, record["id"], entry["version"]))
    due.sort()
    if limit is not None:
        due = due[:limit]
    return [(record_id, version) for _, record_id, version in due]


def _pages(arc: Archive, chosen: list[tuple[str, int]], fast: bool) -> Iterator[list[Task]]:
    """The bags ``chosen``, in that order, a page at a time, each page followed by the working copies
    of the records it is the first to name. Planned as the checking needs them, like a verify's
    pages: an audit that planned every bag first held every record's task to its end (at 100,000
    bags, most of its peak memory), and checked no working copy before the last bag."""
    seen: set[str] = set()
    for start in range(0, len(chosen), PAGE):
        part = chosen[start:start + PAGE]
        versions: dict[str, set[int]] = {}
        for record_id, version in part:
            versions.setdefault(record_id, set()).add(version)
        records = list(arc.store.documents_of(versions).values())  # read only: not copied
        order = {key: i for i, key in enumerate(part)}
        bag_tasks: list[Task] = sorted(tasks_for(arc, records, fast, versions),
                                       key=lambda t: order[(t.record_id, t.version)])
        first_named = [record for record in records if record["id"] not in seen]
        seen.update(record["id"] for record in first_named)
        yield [*bag_tasks, *source_tasks_for(arc, first_named, fast)]


def audit(arc: Archive, *, older_than: float | None = None, limit: int | None = None,
          budget: float | None = None, fast: bool = False, jobs: int | None = None,
          progress: Progress | None = None, cancel: Cancel | None = None) -> VerifyReport:
    """Verify the bags due, stopping between bags once ``budget`` seconds have passed."""
    expected = len(arc.store) if limit is None else min(limit, len(arc.store))
    pool = early_pool(jobs, expected)  # starts while the bags due are found
    try:
        chosen = due_bags(arc, older_than, limit)
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    deadline = time.monotonic() + budget if budget is not None else None

    def stop() -> bool:
        return cancelled(cancel) or (deadline is not None and time.monotonic() >= deadline)

    report = VerifyReport(started_at=now_utc(), fast=fast)
    return run_pages(arc, _pages(arc, chosen, fast), -(-len(chosen) // PAGE), report, jobs=jobs,
                     progress=progress, cancel=stop, pool=pool)
