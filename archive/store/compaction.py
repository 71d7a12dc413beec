"""Size-tiered compaction of a shard's history: when a shard's live log has grown past
FLUSH_BYTES, its committed events are rewritten grouped by record into a new segment, merged with
the newest segments when they have reached the same size tier.

Why tiers: rewriting a shard's whole history at every compaction would make a verify write
bytes in proportion to the history, not to the records it checks. A segment's *tier* is
``floor(log_FANOUT(bytes / BASE))``. A flush (the live log, >= FLUSH_BYTES = 2 x BASE) is tier 0
or more; whenever the newest FANOUT segments (the flushed one included) share a tier they are
merged into one, which (FANOUT times the least of that tier) is at least a tier higher. So a byte
is rewritten once by the flush and at most once per tier after it: for a shard of S history bytes
at most ``1 + log_FANOUT(S / BASE)`` times (6 for the 165 MB of a shard with 1,000 events a
record). A verify that appends one event per record therefore writes, amortised, that many times
the event's bytes per record checked, whatever the history's length; a single verify may still
pay for a large merge, which the next FANOUT - 1 merges of that tier will not.

The commit is the shard write, under the catalogue lock: the new segment is written under a
temporary name, fsynced and renamed, then the shard is written listing it (and no longer the
segments it merged, with an empty live log of a new name); only then are the replaced files
removed. A kill before the shard write leaves the old history and an unreferenced file, removed
by the next compaction of that shard; a full disk leaves the history as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from archive.errors import StoreError
from archive.store.atomic import TMP_SUFFIX
from archive.store.history import (
    HISTORY,
    SEGMENTS,
    committed_end,
    damaged_log,
    generations,
    log_name,
    segment_name,
)
from archive.store.segments import Segment, SegmentWriter, event_lines
from archive.store.shard_history import live_log

FLUSH_BYTES = 1 << 20
"""A live log this large is compacted: a record's chain in it stays a few lines long."""
FANOUT = 4


def tier(size: int) -> int:
    """The size tier of a segment; BASE (FLUSH_BYTES / 2) is below any flushed log's segment."""
    level, bound = 0, max(1, FLUSH_BYTES // 2) * FANOUT
    while size >= bound:
        level, bound = level + 1, bound * FANOUT
    return level


def merge_count(sizes: list[int], flushed: int) -> int:
    """How many of the newest committed segments (``sizes``, oldest first) merge with a flushed
    log of ``flushed`` bytes: while the newest FANOUT - 1 share the tier of what is being built,
    they join it."""
    stack, top, taken = list(sizes), flushed, 0
    while len(stack) >= FANOUT - 1 and all(tier(s) == tier(top) for s in stack[-(FANOUT - 1):]):
        top += sum(stack[-(FANOUT - 1):])
        del stack[-(FANOUT - 1):]
        taken += FANOUT - 1
    return taken


def due(data: dict) -> bool:
    """Whether a shard's live log is large enough to compact."""
    return committed_end(data.get(HISTORY) or {}) >= FLUSH_BYTES


def _remove_unreferenced(folder: Path, shard: int, data: dict) -> None:
    """Files of this shard a killed compaction left (a renamed segment never committed, files
    replaced by a commit but not yet removed, a temporary): no committed shard lists them."""
    keep = {log_name(shard, data), *(segment_name(shard, g) for g in generations(data))}
    prefix = f"{shard:06d}."
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and entry.name not in keep and (
                    entry.name.endswith((".seg", ".log", TMP_SUFFIX))):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


def _log_by_record(folder: Path, shard: int, data: dict) -> dict[int, list[bytes]]:
    """The live log's committed events grouped by record, in the order committed, each record's
    count checked against its head."""
    heads = data.get(HISTORY) or {}
    log = live_log(folder, shard, data)
    grouped: dict[int, list[bytes]] = {}
    for sequence, event in log.scan_raw(committed_end(heads)):
        grouped.setdefault(sequence, []).append(event)
    for key, head in heads.items():
        if len(grouped.get(int(key), ())) != head["count"]:
            raise damaged_log(log.path, f"record {key} has {len(grouped.get(int(key), ()))} events in it, "
                                        f"the catalogue counts {head['count']}")
    return grouped


def compact(folder: Path, shard: int, data: dict, commit: Callable[[dict], None]) -> dict:
    """Compact one shard's history (the caller holds the catalogue lock and has checked ``due``);
    ``commit(new_data)`` writes the shard atomically. Returns the committed shard data."""
    _remove_unreferenced(folder, shard, data)
    gens = generations(data)
    docs = data.get(SEGMENTS) or {}
    taken = merge_count([docs[str(g)]["bytes"] for g in gens], committed_end(data.get(HISTORY) or {}))
    merged, kept = gens[len(gens) - taken:], gens[:len(gens) - taken]
    generation = (gens[-1] if gens else 0) + 1
    target = folder / segment_name(shard, generation)
    from_log = _log_by_record(folder, shard, data)
    with contextlib.ExitStack() as stack:
        sources = [stack.enter_context(Segment(folder / segment_name(shard, g))) for g in merged]
        writer = SegmentWriter(target)
        try:
            sequences = sorted(set(from_log).union(*(s.index for s in sources)))
            for sequence in sequences:
                parts = [source.raw(sequence) for source in sources]
                tail = from_log.get(sequence, [])
                writer.add(sequence, b"".join(p[0] for p in parts) + event_lines(tail),
                           sum(p[1] for p in parts) + len(tail))
            size, events = writer.finish()
        except BaseException:
            writer.abort()
            raise
    new = {key: table for key, table in data.items() if key not in (HISTORY, SEGMENTS)}
    new[HISTORY] = {}
    new[SEGMENTS] = {str(g): docs[str(g)] for g in kept}
    new[SEGMENTS][str(generation)] = {"bytes": size, "events": events}
    try:
        commit(new)
    except StoreError:  # the shard was not replaced (a failure after its rename is not a StoreError)
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    _remove_unreferenced(folder, shard, new)
    return new
