"""The summary index: the few fields that listing and search need, for every record, in memory.

Holding 100,000 full records in memory costs gigabytes (design.md: 1.6 GB through TinyDB). The
index keeps one small summary per record instead, stored per shard beside the shard it describes.
Each index file remembers the stamp of its shard; when they disagree (a writer was killed between
the two renames) the index file is rebuilt from the shard, which is the truth.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from itertools import accumulate, compress, repeat
from operator import contains
from pathlib import Path
from typing import Any

import orjson

from archive.creators import format_creator
from archive.records import changed_since_bag, check_mode, full_check_at, good_places, serial_of
from archive.store.shard import FileStamp

SEARCH_FIELDS = ("id", "title", "creators", "publication", "subjects", "references")
INDEX_FORMAT = 5
"""Bumped whenever ``summarize`` gains or changes a field (2: fixity mode, last full check, serial;
4: good_on) or the file's layout changes (3: header, hay and rows read separately; 5: a short header,
the ids and row lengths read only when needed), so an index written by an older version is rebuilt
from its shard instead of lacking them."""


def summarize(record: dict) -> dict[str, Any]:
    """The summary row of a record: what the table shows and what search looks at."""
    bags = record.get("bags") or []
    last_bag = bags[-1] if bags else None
    fixity = last_bag.get("last_fixity") if last_bag else None
    return {
        "id": record["id"],
        "title": record.get("title", ""),
        "creators": "; ".join(format_creator(c) for c in record.get("creators") or []),
        "publication": record.get("container_title") or record.get("publisher") or "",
        "issued": record.get("issued", ""),
        "status": record.get("status", ""),
        "subjects": "; ".join(record.get("subjects") or []),
        "references": "; ".join(r["name"] for r in record.get("references") or []),
        "bag_version": last_bag["version"] if last_bag else 0,
        "changed_since_bag": changed_since_bag(record),
        "fixity_at": fixity["at"] if fixity else "",
        "fixity_outcome": fixity["outcome"] if fixity else "",
        "fixity_mode": check_mode(fixity),
        "fixity_full_at": full_check_at(fixity),
        "good_on": good_places(record),
        "sha256": (record.get("source") or {}).get("sha256", ""),
        "revision": record["revision"],
        "serial": serial_of(record),
        "updated_at": record.get("updated_at", ""),
    }


class IndexShard:
    """One index file: the summaries of one shard and the shard stamp they were made from.

    ``hay`` joins every row's search text with newlines (which no field may contain), so a search
    scans one string per shard with ``str.find`` instead of looping over 100,000 small strings.

    The file (format 5) is laid out so that a command reads only what it uses: a short JSON
    header line (the shard stamp, the row count and the byte length of every later part), a line
    listing the rows' source digests, the ids in row order, the byte length of each row, the hay
    as plain UTF-8, then one JSON row per line. Opening reads the short header alone (391 of them
    at 100,000 records); ``add`` scans the raw digests and reads the ids only of a shard where the
    digest is found; ``search`` reads the hay, and the ids and rows only of the shards it returns
    rows from; ``rows`` are read on first use. Every later read checks that the file is still the
    one the header came from (bench/bench_startup.py).
    """

    def __init__(self, stamp: FileStamp | None, rows: dict[str, dict[str, Any]] | None = None,
                 hay: str = "") -> None:
        self.stamp = stamp
        self._rows: dict[str, dict[str, Any]] | None = dict(rows or {})
        self._ids: list[str] | None = list(self._rows)
        self._count = len(self._ids)
        self._sha256s: list[str] | None = [str(r.get("sha256") or "") for r in self._rows.values()]
        self._hay: str | None = hay or "\n".join(haystack(row) for row in self._rows.values())
        self._file: _Layout | None = None
        self._digests_raw: bytes | None = None
        """Where ``load`` found the digests, ids and rows, so they are read later (and only the
        parts needed) from the very file the header came from."""
        self.heal: Callable[[], IndexShard] | None = None
        """Set by the store: rebuilds this shard's index from its shard when a lazily read part
        of the file turns out to be damaged or replaced (the index is a cache; the shard is the truth)."""

    def dumps(self) -> bytes:
        rows, ids = self.rows, self.ids
        lines = [orjson.dumps(rows[i]) for i in ids]
        row_bytes = [len(line) for line in lines]
        parts = (orjson.dumps(self.sha256s), orjson.dumps(ids), orjson.dumps(row_bytes),
                 self.hay.encode("utf-8"))
        header = orjson.dumps({"format": INDEX_FORMAT, "shard_stamp": self.stamp, "count": len(ids),
                               "part_bytes": [len(part) for part in parts],
                               "rows_bytes": sum(row_bytes) + len(lines) - 1 if lines else 0})
        return b"\n".join((header, *parts, *lines))

    @classmethod
    def load(cls, path: str | Path) -> IndexShard | None:
        """None when the file is missing, unreadable, of another format or of the wrong shape:
        the caller rebuilds it from the shard. Only the short header is read here; the other
        parts are read (and checked) when first needed, from this same file."""
        try:
            with open(path, "rb") as handle:
                header_line = handle.readline()
                header = orjson.loads(header_line)
                if header.get("format") != INDEX_FORMAT:
                    return None  # written by another version: its rows may lack fields
                stamp = tuple(header["shard_stamp"]) if header["shard_stamp"] else None
                count, part_bytes, rows_bytes = header["count"], header["part_bytes"], header["rows_bytes"]
                if not (type(count) is int and type(rows_bytes) is int and type(part_bytes) is list
                        and len(part_bytes) == 4 and all(type(n) is int and n >= 0 for n in part_bytes)
                        and count >= 0 and min(part_bytes[:3]) >= 2
                        and (rows_bytes >= 2 * count - 1 if count else rows_bytes == 0)):
                    return None
                st = os.fstat(handle.fileno())
            layout = _Layout(path, (st.st_ino, st.st_size, st.st_mtime_ns), len(header_line),
                             part_bytes, count, rows_bytes)
            if layout.end != st.st_size:
                return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            return None  # a cache of the wrong shape is rebuilt, never trusted (JSONDecodeError too)
        index = cls(stamp=stamp)  # type: ignore[arg-type]
        index._rows, index._sha256s, index._ids, index._count = None, None, None, count
        index._hay, index._file = None, layout
        return index

    @property
    def count(self) -> int:
        """How many rows the shard has (from the header: no id need be read to count them)."""
        return self._count

    @property
    def ids(self) -> list[str]:
        """The ids in row order; read, with the rows' byte lengths, when first needed."""
        if self._ids is None:
            assert self._file is not None
            layout = self._file
            got = layout.read([layout.ids, layout.row_bytes_part])
            try:
                ids, row_bytes = map(orjson.loads, got) if got is not None else (None, None)
            except orjson.JSONDecodeError:
                ids = row_bytes = None
            if not (type(ids) is list and type(row_bytes) is list
                    and len(ids) == len(row_bytes) == self._count
                    and set(map(type, ids)) <= {str} and set(map(type, row_bytes)) <= {int}
                    and min(row_bytes, default=1) >= 1
                    and (sum(row_bytes) + self._count - 1 if self._count else 0) == layout.all_rows[1]):
                return self._healed().ids  # (type checks by map and set: C speed)
            layout.row_bytes = row_bytes
            self._ids = ids
        return self._ids

    @property
    def hay(self) -> str:
        """Every row's search text, one line per row; read when the first search needs it."""
        if self._hay is None:
            assert self._file is not None
            [raw] = self._file.read([self._file.hay]) or [b"\xff"]
            try:
                hay = raw.decode("utf-8")
            except UnicodeDecodeError:
                hay = None
            if hay is None or (hay.count("\n") + 1 if self._count else 0) != self._count:
                return self._healed().hay
            self._hay = hay
        return self._hay

    @property
    def sha256s(self) -> list[str]:
        """Each row's source digest ('' if none), in row order; read when first asked for."""
        if self._sha256s is None:
            assert self._file is not None
            [blob] = self._file.read([self._file.digests]) or [b""]
            try:
                digests = orjson.loads(blob)
            except orjson.JSONDecodeError:
                digests = None
            if (type(digests) is not list or len(digests) != self._count
                    or not set(map(type, digests)) <= {str}):
                return self._healed().sha256s
            self._sha256s = digests
        return self._sha256s

    def holding(self, digest: str) -> str | None:
        """The first id here whose source has this digest, found in the raw digests line without
        parsing it (one C-speed scan), for a single duplicate check at start-up; the ids are read
        only when it is found."""
        if self._sha256s is not None or self._file is None:
            return next((i for i, d in zip(self.ids, self.sha256s, strict=True) if d == digest), None)
        if self._digests_raw is None:
            [raw] = self._file.read([self._file.digests]) or [b""]
            if not (raw[:1] == b"[" and raw[-1:] == b"]"
                    and (raw == b"[]" if not self._count else raw[1:2] == b'"' == raw[-2:-1])):
                return self._healed().holding(digest)  # healed: the digests are parsed now
            self._digests_raw = raw
        raw = self._digests_raw
        at = raw.find(b'"' + digest.encode("ascii", "replace") + b'"')
        if at == -1:
            return None
        # Checked in full only where the digest is found: a list of ``count`` strings of hex digits
        # has no comma and no quote inside them.
        if raw.count(b'"') != 2 * self._count or raw.count(b",") != self._count - 1:
            return self._healed().holding(digest)
        position = raw.count(b",", 0, at)
        return self.ids[position]  # (reading the ids may heal the index: the position stands)

    # ----- rows, read when first needed ----------------------------------------------------------
    @property
    def rows(self) -> dict[str, dict[str, Any]]:
        """Every summary of the shard by id, in accession order."""
        if self._rows is None:
            assert self._file is not None
            ids = self.ids
            if self._rows is not None:  # reading the ids healed the whole index
                return self._rows
            [blob] = self._file.read([self._file.all_rows]) or [b""]
            parsed = _parsed_rows(b"[" + blob.replace(b"\n", b",") + b"]", ids)
            if parsed is None:
                return self._healed().rows
            self._rows = dict(zip(ids, parsed, strict=True))
        return self._rows

    def rows_at(self, positions: list[int]) -> list[dict[str, Any]]:
        """The summaries at these positions, reading and parsing those rows alone while the
        rest of the shard's rows are not needed (a search returns a few rows of many shards)."""
        if self._rows is not None or not positions:
            return [self.rows[self.ids[i]] for i in positions]
        ids = self.ids
        if self._file is None:  # reading the ids healed the whole index
            return [self.rows[ids[i]] for i in positions]
        blobs = self._file.read([self._file.row(i) for i in positions])
        parsed = None if blobs is None else _parsed_rows(b"[" + b",".join(blobs) + b"]",
                                                        [ids[i] for i in positions])
        if parsed is None:
            return self._healed().rows_at(positions)
        return parsed

    def _healed(self) -> IndexShard:
        """The index rebuilt from its shard, taken over in place, when a part read late was
        damaged, or the file was replaced since its header was read."""
        if self.heal is None:
            from archive.errors import StoreError

            raise StoreError("a summary index file is damaged or changed; run the command again")
        fresh = self.heal()
        self.stamp, self._rows, self._ids, self._sha256s = fresh.stamp, fresh.rows, fresh.ids, fresh.sha256s
        self._count = len(fresh.ids)
        self._hay, self._file, self._digests_raw = fresh.hay, None, None
        return self

    def matching(self, words: list[str]) -> list[dict[str, Any]]:
        """Rows whose search text holds every word, in accession order."""
        if not words or not self._count:
            return list(self.rows.values()) if not words else []
        text = self.hay
        if any(w not in text for w in words):  # most shards are ruled out by one C-speed scan
            return []
        # Each word tested against every remaining line by map/compress, which loop in C: a common
        # word (a name in every row) costs no Python step per hit. Longest first: usually rarest.
        lines = text.split("\n")
        found: range | list[int] = range(len(lines))
        for word in sorted(words, key=len, reverse=True):
            candidates = lines if len(found) == len(lines) else [lines[i] for i in found]
            found = list(compress(found, map(contains, candidates, repeat(word))))
            if not found:
                return []
        return self.rows_at(list(found))


class _Layout:
    """The byte ranges of an index file's parts, and the file's identity."""

    def __init__(self, path: str | Path, identity: tuple[int, int, int], at: int, part_bytes: list[int],
                 count: int, rows_bytes: int) -> None:
        self.path, self.identity = path, identity
        ranges = []
        for size in part_bytes:  # digests, ids, row lengths, hay: each after its newline
            ranges.append((at, size))
            at += size + 1
        self.digests, self.ids, self.row_bytes_part, self.hay = ranges
        self.rows_at = at
        self.all_rows = (at, rows_bytes)
        self.end = at + rows_bytes if count else at - 1
        self.row_bytes: list[int] | None = None
        """Each row's length, set when the ids are read (they are read together)."""
        self._row_ends: list[int] | None = None

    @property
    def row_ends(self) -> list[int]:
        """Row i ends at ``row_ends[i] + i`` (i newlines before it); summed when a row is first read."""
        if self._row_ends is None:
            assert self.row_bytes is not None, "the ids (and row lengths) are read before any row"
            self._row_ends = list(accumulate(self.row_bytes))
        return self._row_ends

    def row(self, i: int) -> tuple[int, int]:
        start = self.row_ends[i - 1] + i if i else 0
        return self.rows_at + start, self.row_ends[i] + i - start

    def read(self, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """These (offset, length) ranges of the file, or None if it is no longer the same file
        (or shorter than the header said)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if (st.st_ino, st.st_size, st.st_mtime_ns) != self.identity:
                return None
            got = [os.pread(fd, length, offset) for offset, length in ranges]
        except OSError:
            return None
        finally:
            os.close(fd)
        return got if all(len(g) == n for g, (_, n) in zip(got, ranges, strict=True)) else None


def _parsed_rows(blob: bytes, ids: list[str]) -> list[dict[str, Any]] | None:
    """Rows parsed from ``[row, row, ...]``, or None unless each is an object with its id."""
    try:
        parsed = orjson.loads(blob)
    except orjson.JSONDecodeError:
        return None
    if len(parsed) != len(ids) or not all(
        isinstance(row, dict) and row.get("id") == rid for row, rid in zip(parsed, ids, strict=True)
    ):
        return None
    return parsed


def haystack(row: dict[str, Any], fields: tuple[str, ...] = SEARCH_FIELDS) -> str:
    """The lower-cased text a search looks in; fields joined by a separator no query contains."""
    return "\x1f".join(str(row.get(f, "")) for f in fields).casefold().replace("\n", " ")
