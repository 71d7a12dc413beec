"""The event history: one append-only log per shard, committed by the shard write.

Why not in the shard: a shard is rewritten whole on every write, so events kept inside it made
every edit and every full verify rewrite the whole history of 256 records (82 MB for 10,000
records with 11 events each, growing by a record's events on every daily audit). Here a shard
keeps only the current state of its records plus, per record, a fixed-size *head*: where that
record's newest event line is in the shard's log, and how many events it has. A write then costs
the new event lines plus a shard whose size does not depend on the history.

On disk, ``catalog/history/NNNNNN.log`` beside ``catalog/records/NNNNNN.json``. Each line is one
event::

    <crc32 of the rest, 8 hex digits> <record sequence> <previous line's offset> <its length> <event JSON>\\n

The previous-line pointer chains a record's events newest to oldest, so ``history ID`` reads
only that record's lines (one ``pread`` each) however large the log is. JSON never contains a raw
newline byte, so a line ends exactly at its newline; the checksum catches a torn or damaged line.

Transactions, and why a killed process never leaves a half-committed history:

1. Under the catalogue lock, the log is first cut back to its *committed end*: the end of the
   furthest head the current shard references (the last line of the last committed transaction
   is always the newest event of its record). Anything beyond it was appended by a transaction
   that never committed (a killed writer, a full disk) and is dropped.
2. The transaction's event lines are appended (O_APPEND) and fsynced.
3. The shard is written atomically (temporary, fsync, rename) with the new heads. This rename is
   the commit: before it, the new lines lie beyond the committed end and no reader reaches them
   (readers follow heads, a scan stops at the committed end); after it, the record change and its
   events are both durable. A full disk at step 2 or 3 leaves the shard as it was, and the log is
   cut back at once (or by the next writer).

Committed bytes are never rewritten or truncated, so readers need no lock.

Why segments (archive/store/segments.py, archive/store/compaction.py): a record's lines in the log
lie a shard's worth of other records' lines apart (~165 KB at 1,000 events each), so a cold
``history ID`` read one page per event. Once a shard's live log has grown past
``compaction.FLUSH_BYTES``, a compaction rewrites its events grouped by record into an immutable
segment (``NNNNNN.G.seg``, with a per-record index) and starts a new, empty live log
(``NNNNNN.G.log``); size tiers merge segments of similar size, so a byte is rewritten a logarithmic
number of times. The shard's ``segments`` table lists the committed segments; like the heads, it
is committed by the shard write, so a compaction is atomic too, and the files it replaced are
removed only after. A record's history is then one contiguous range per segment plus its chain
in the live log.

Old archives kept
events in an ``events`` table inside each shard; they are read from there until the shard is next
written, when they are moved into the log in their original order (a killed migration leaves the
old shard, whose events are still read from the table, and a tail the next writer drops).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from archive.errors import StoreError

HISTORY = "history"
"""The shard table of heads: doc id = record sequence, doc = {"head": [offset, length], "count": n}."""
SEGMENTS = "segments"
"""The shard table of committed segments: doc id = generation, doc = {"bytes": size, "events": n}."""
LOG_SUFFIX = ".log"
SEGMENT_SUFFIX = ".seg"


class HistoryFileGone(StoreError):
    """A history file the shard referenced is missing: a compaction in another process may have
    replaced it since the shard was read (readers take no lock), so the reader reads the shard
    again before believing it (``Store``)."""


def generations(data: dict) -> list[int]:
    """The committed segments of a parsed shard, oldest first."""
    return sorted(int(key) for key in (data.get(SEGMENTS) or {}))


def log_name(shard: int, data: dict) -> str:
    """The live log's file name: the original ``NNNNNN.log`` until the shard's first compaction,
    then named for the newest segment, so a compaction's commit starts a new, empty log."""
    gens = generations(data)
    return f"{shard:06d}.{gens[-1]}{LOG_SUFFIX}" if gens else f"{shard:06d}{LOG_SUFFIX}"


def segment_name(shard: int, generation: int) -> str:
    return f"{shard:06d}.{generation}{SEGMENT_SUFFIX}"


def damaged_log(path: Path, reason: str) -> StoreError:
    return StoreError(
        f"history file {path} is damaged: {reason}; it was left untouched - restore it from a backup"
    )


def committed_end(heads: dict[str, dict]) -> int:
    """The end of the log's committed prefix: the furthest line any head points at."""
    return max((h["head"][0] + h["head"][1] for h in heads.values()), default=0)


def _dumps(value: Any) -> bytes:
    """JSON bytes for any str, lone surrogates included (orjson refuses those: escape them)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # escaped lone surrogates, which orjson will not read


def encode_line(sequence: int, prev: tuple[int, int] | None, event: dict) -> bytes:
    """One log line: checksum, the record's sequence, the pointer to its previous event, the event."""
    prev_offset, prev_length = prev if prev else (-1, 0)
    body = b"%d %d %d %s" % (sequence, prev_offset, prev_length, _dumps(event))
    return b"%08x %s\n" % (zlib.crc32(body), body)


def decode_header(line: bytes, path: Path, offset: int) -> tuple[int, int, int, bytes]:
    """(sequence, previous offset, previous length, event JSON) of a line whose checksum holds.

    The pointers sit before the event, outside its JSON, so following a chain parses no event."""
    body = line[9:-1]
    try:
        if line[8:9] != b" " or not line.endswith(b"\n") or zlib.crc32(body) != int(line[:8], 16):
            raise ValueError
        sequence, prev_offset, prev_length, event = body.split(b" ", 3)
        return int(sequence), int(prev_offset), int(prev_length), event
    except ValueError:
        raise damaged_log(path, f"the line at byte {offset} fails its checksum "
                                "(a torn or changed line)") from None


def decode_line(line: bytes, path: Path, offset: int) -> tuple[int, int, int, dict]:
    """(sequence, previous offset, previous length, event) of one line, or a damaged-file error."""
    sequence, prev_offset, prev_length, data = decode_header(line, path, offset)
    try:
        event = _loads(data)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise damaged_log(path, f"the line at byte {offset} holds no event")
    return sequence, prev_offset, prev_length, event


def missing_file(path: Path) -> HistoryFileGone:
    return HistoryFileGone(str(damaged_log(path, "it is missing but the catalogue references it")))


def write_error(path: Path, exc: OSError) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StoreError(f"disk full while writing {path.parent.name}/{path.name}; nothing was changed "
                          f"({exc.strerror})")
    return StoreError(f"cannot write {path}: {exc.strerror or exc}; nothing was changed")


class HistoryLog:
    """One shard's log file."""

    def __init__(self, path: Path):
        self.path = path

    # ----- writing (under the catalogue lock) ------------------------------------------------
    def append(self, heads: dict[str, dict], events: list[tuple[int, dict]]) -> dict[str, dict]:
        """Append ``events`` (record sequence, event) after the committed end of ``heads``,
        fsynced; return the heads that commit them once written into the shard.

        Nothing is visible until the caller writes those heads; on any error the log is cut
        back to where it was and a one-line StoreError says what happened.
        """
        start = committed_end(heads)
        new_heads = dict(heads)
        lines: list[bytes] = []
        position = start
        for sequence, event in events:
            key = str(sequence)
            old = new_heads.get(key)
            line = encode_line(sequence, tuple(old["head"]) if old else None, event)  # type: ignore[arg-type]
            lines.append(line)
            new_heads[key] = {"head": [position, len(line)], "count": (old["count"] if old else 0) + 1}
            position += len(line)
        self.write_lines(start, b"".join(lines))
        return new_heads

    def write_lines(self, start: int, data: bytes) -> None:
        """Cut the log back to ``start`` (dropping an uncommitted tail) and append ``data``, fsynced."""
        created = not self.path.exists()
        try:
            if created:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_error(self.path, exc) from None
        try:
            size = os.fstat(fd).st_size
            if size < start:
                raise damaged_log(self.path, f"it holds {size} bytes but the catalogue has committed {start}")
            if size > start:
                os.ftruncate(fd, start)  # a transaction that never committed
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as exc:
            self._cut(fd, start)
            raise write_error(self.path, exc) from None
        finally:
            os.close(fd)
        if created:
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    @staticmethod
    def _cut(fd: int, start: int) -> None:
        # On failure the next writer cuts it: the tail is beyond the committed end either way.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, start)

    def roll_back(self, heads: dict[str, dict]) -> None:
        """Best effort, after the shard write failed: drop what this transaction appended."""
        try:
            fd = os.open(self.path, os.O_WRONLY)
        except OSError:
            return
        try:
            self._cut(fd, committed_end(heads))
        finally:
            os.close(fd)

    # ----- reading (no lock) --------------------------------------------------------------
    def chain(self, head: dict) -> list[dict]:
        """One record's events, oldest first: follows its chain back, one ``pread`` a line, then
        parses every event in one go."""
        offset, length = head["head"]
        found: list[bytes] = []
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise missing_file(self.path) from None
        try:
            while offset >= 0:
                line = os.pread(fd, length, offset)
                if len(line) != length:
                    raise damaged_log(self.path, f"it ends before byte {offset + length}, "
                                                 "which the catalogue references")
                _, prev_offset, prev_length, event = decode_header(line, self.path, offset)
                found.append(event)
                if prev_offset >= offset:
                    raise damaged_log(self.path, f"the line at byte {offset} points forwards")
                offset, length = prev_offset, prev_length
        finally:
            os.close(fd)
        found.reverse()
        try:
            events = _loads(b"[" + b",".join(found) + b"]")
        except ValueError:
            events = None
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise damaged_log(self.path, "a line of this record holds no event")
        return events

    def scan(self, end: int) -> Iterator[tuple[int, dict]]:
        """Every committed line up to ``end``, in the order committed, as (sequence, event)."""
        for line, position in self._committed_lines(end):
            sequence, _, _, event = decode_line(line, self.path, position)
            yield sequence, event

    def _committed_lines(self, end: int) -> Iterator[tuple[bytes, int]]:
        handle = self.open_for_scan(end)
        if handle is None:
            return
        with handle:
            yield from self.lines_of(handle, end)

    def lines_of(self, handle: BinaryIO, end: int) -> Iterator[tuple[bytes, int]]:
        """(line, its offset) of the log opened as ``handle``, up to ``end``; a log shorter than the
        catalogue says is damaged."""
        position = 0
        while position < end:
            line = handle.readline(end - position)
            if not line:
                raise damaged_log(self.path, f"it ends before byte {end}, which the catalogue references")
            yield line, position
            position += len(line)

    def open_for_scan(self, end: int) -> BinaryIO | None:
        """The log opened for reading (None when nothing is committed): opened before a scan
        starts, so a compaction that removes it later cannot cut the scan short."""
        if end <= 0:
            return None
        try:
            return open(self.path, "rb")
        except FileNotFoundError:
            raise missing_file(self.path) from None

    def scan_raw(self, end: int) -> Iterator[tuple[int, bytes]]:
        """(sequence, event JSON) of every committed line, checksums checked, no event parsed:
        what a compaction copies into a segment."""
        for line, position in self._committed_lines(end):
            sequence, _, _, event = decode_header(line, self.path, position)
            yield sequence, event
