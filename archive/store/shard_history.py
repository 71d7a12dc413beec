"""Reading one shard's history: its segments, oldest first, then its live log.

A record's events are its range in each segment, then its chain in the live log (see history.py
and segments.py); none of it needs the catalogue lock. A compaction in another process may remove
files after committing a shard that no longer lists them: a reader then gets ``HistoryFileGone``
and the Store reads the shard again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from archive.store.history import (
    HISTORY,
    SEGMENTS,
    HistoryLog,
    committed_end,
    damaged_log,
    decode_line,
    generations,
    log_name,
    segment_name,
)
from archive.store.segments import Segment, parse_range


def live_log(folder: Path, shard: int, data: dict) -> HistoryLog:
    return HistoryLog(folder / log_name(shard, data))


def record_events(folder: Path, shard: int, data: dict, sequence: int, record_id: str) -> list[dict]:
    """One record's committed events in the order committed: one range per segment holding it,
    then its chain in the live log (whose length the shard's head counts)."""
    found: list[dict] = []
    for generation in generations(data):
        with Segment(folder / segment_name(shard, generation)) as segment:
            found.extend(segment.events(sequence))
    head = (data.get(HISTORY) or {}).get(str(sequence))
    if head is not None:
        log = live_log(folder, shard, data)
        chain = log.chain(head)
        if len(chain) != head["count"]:
            raise damaged_log(log.path, f"{record_id} has {len(chain)} events in it, the catalogue "
                                        f"counts {head['count']}")
        found.extend(chain)
    return found


def shard_events(folder: Path, shard: int, data: dict) -> Iterator[dict]:
    """Every committed event of a shard: each segment's records in sequence order (each record's
    events in the order committed), then the live log in the order committed. Every file is
    opened before the first event is yielded, so a compaction meanwhile cannot cut this short."""
    with contextlib.ExitStack() as stack:
        segments = [stack.enter_context(Segment(folder / segment_name(shard, g))) for g in generations(data)]
        log = live_log(folder, shard, data)
        end = committed_end(data.get(HISTORY) or {})
        handle = log.open_for_scan(end)
        if handle is not None:
            stack.enter_context(handle)
        for segment in segments:
            for sequence, raw, count in segment.ranges():
                yield from parse_range(raw, count, segment.path, sequence)
        if handle is not None:
            for line, position in log.lines_of(handle, end):
                yield decode_line(line, log.path, position)[3]


def event_total(data: dict) -> int:
    """Committed events of a shard, from its tables alone (no history file is read)."""
    return (sum(head["count"] for head in (data.get(HISTORY) or {}).values())
            + sum(doc["events"] for doc in (data.get(SEGMENTS) or {}).values()))
