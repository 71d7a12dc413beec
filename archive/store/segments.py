"""History segments: one shard's events grouped by record, written once by a compaction, never changed.

Why: in the live log a record's events are interleaved with the 255 other records of its shard,
so reading one record's history touched one page per event. A segment holds each record's events
side by side, so ``history ID`` reads one contiguous range per segment (see compaction.py for
when segments are written and merged).

Layout::

    <record A's events, oldest first, one event JSON a line> <record B's ...> ...
    <index: one entry per record, sorted by sequence: sequence, offset, length, count, crc32 of the range>
    <footer: MAGIC, index offset, number of entries, crc32 of the index>

The footer is fixed-size and last, so a reader finds the index with one read of the file's tail
(small: 24 bytes a record). Each range carries its own checksum, so a damaged byte is named
before any event of that record is believed. A segment is written under a temporary name,
fsynced and renamed; it becomes part of the history only when a shard that lists it is written.
"""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from archive.store.atomic import TMP_SUFFIX, fsync_dir
from archive.store.history import _loads, damaged_log, missing_file, write_error

MAGIC = b"ARCHSEG1"
FOOTER = struct.Struct("<8sQII")
"""magic, index offset, entries, crc32 of the index."""
ENTRY = struct.Struct("<IQIII")
"""record sequence, offset of its range, length, events in it, crc32 of the range."""
TAIL_READ = 16384
"""Bytes read from a segment's end at open: the footer and, for a shard of 256 records, the index."""
WRITE_BUFFER = 1 << 20


class Segment:
    """One segment opened for reading: its file descriptor and its index."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise missing_file(path) from None
        try:
            self.index = self._read_index()
        except BaseException:
            os.close(self.fd)
            raise

    def _read_index(self) -> dict[int, tuple[int, int, int, int]]:
        size = os.fstat(self.fd).st_size
        if size < FOOTER.size:
            raise damaged_log(self.path, f"it holds {size} bytes, too few for a segment")
        tail_start = max(0, size - TAIL_READ)
        tail = os.pread(self.fd, size - tail_start, tail_start)
        magic, index_offset, entries, index_crc = FOOTER.unpack(tail[-FOOTER.size:])
        index_end = size - FOOTER.size
        if magic != MAGIC or index_offset + entries * ENTRY.size != index_end:
            raise damaged_log(self.path, "its footer is not a segment's (a torn or changed file)")
        if index_offset >= tail_start:
            raw = tail[index_offset - tail_start:index_end - tail_start]
        else:
            raw = os.pread(self.fd, index_end - index_offset, index_offset)
        if zlib.crc32(raw) != index_crc:
            raise damaged_log(self.path, "its index fails its checksum")
        index = {}
        for sequence, offset, length, count, crc in ENTRY.iter_unpack(raw):
            if offset + length > index_offset or count < 1:
                raise damaged_log(self.path, f"its index entry for record {sequence} points outside "
                                             "its events")
            index[sequence] = (offset, length, count, crc)
        return index

    def raw(self, sequence: int) -> tuple[bytes, int]:
        """A record's range (event JSON lines, checksum checked) and how many events it holds;
        (b"", 0) when the record has none here."""
        entry = self.index.get(sequence)
        if entry is None:
            return b"", 0
        offset, length, count, crc = entry
        data = os.pread(self.fd, length, offset)
        if len(data) != length or zlib.crc32(data) != crc:
            raise damaged_log(self.path, f"the events of record {sequence} at byte {offset} fail their "
                                         "checksum (a torn or changed file)")
        return data, count

    def events(self, sequence: int) -> list[dict]:
        data, count = self.raw(sequence)
        return parse_range(data, count, self.path, sequence) if count else []

    def ranges(self) -> Iterator[tuple[int, bytes, int]]:
        """(sequence, range, count) of every record, in sequence order."""
        for sequence in sorted(self.index):
            data, count = self.raw(sequence)
            yield sequence, data, count

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> Segment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_range(data: bytes, count: int, path: Path, sequence: int) -> list[dict]:
    """The events of one record's range: its lines are JSON with no raw newline, so they join
    into one JSON array parsed in one call."""
    try:
        events = _loads(b"[" + data[:-1].replace(b"\n", b",") + b"]") if data.endswith(b"\n") else None
    except ValueError:
        events = None
    if not isinstance(events, list) or len(events) != count or not all(isinstance(e, dict) for e in events):
        raise damaged_log(path, f"the events of record {sequence} are not {count} events")
    return events


class SegmentWriter:
    """Writes a new segment record by record (in increasing sequence), under a temporary name
    until ``finish`` fsyncs and renames it."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(f"{path.name}.{os.getpid()}{TMP_SUFFIX}")
        self.entries: list[bytes] = []
        self.buffer = bytearray()
        self.position = 0
        self.events = 0
        try:
            self.fd: int | None = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise write_error(path, exc) from None

    def add(self, sequence: int, data: bytes, count: int) -> None:
        """One record's events: ``data`` is ``count`` event JSON lines, each ending in a newline."""
        self.entries.append(ENTRY.pack(sequence, self.position, len(data), count, zlib.crc32(data)))
        self.buffer += data
        self.position += len(data)
        self.events += count
        if len(self.buffer) >= WRITE_BUFFER:
            self._flush()

    def _flush(self) -> None:
        assert self.fd is not None
        try:
            view = memoryview(self.buffer)
            while view:
                view = view[os.write(self.fd, view):]
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from None
        finally:
            view.release()
        self.buffer.clear()

    def finish(self) -> tuple[int, int]:
        """Index, footer, fsync, rename: the segment is whole on disk; returns (bytes, events)."""
        index = b"".join(self.entries)
        self.buffer += index + FOOTER.pack(MAGIC, self.position, len(self.entries), zlib.crc32(index))
        size = self.position + len(index) + FOOTER.size
        self._flush()
        assert self.fd is not None
        try:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None
            os.replace(self.tmp, self.path)
            fsync_dir(self.path.parent)
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from None
        return size, self.events

    def abort(self) -> None:
        """Drop the unfinished segment (best effort: the next compaction removes what is left)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
        with contextlib.suppress(OSError):
            self.tmp.unlink(missing_ok=True)


def event_lines(events: list[bytes]) -> bytes:
    """Event JSON values as a segment's lines."""
    return b"".join(e + b"\n" for e in events)

