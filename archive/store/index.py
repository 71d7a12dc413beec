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
INDEX_FORMAT = 4
"""Bumped whenever ``summarize`` gains or changes a field (2: fixity mode, last full check, serial;
4: good_on) or the file's layout changes (3: header, hay and rows read separately), so an index written by an
older version is rebuilt from its shard instead of lacking them."""


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

    The file (format 3) is laid out so that a command reads only what it uses: a JSON header line
    (the shard stamp, the ids in row order, the byte lengths of the hay, the digests and each
    row), the hay as plain UTF-8, a line listing the rows' source digests, then one JSON row per
    line. Opening reads the header lines alone; ``search`` reads the hay and only the rows it
    returns; ``add`` scans the raw digests; ``rows`` are read on first use. Every later read
    checks that the file is still the one the header came from. At 100,000 records this turns
    ``archive search`` and ``archive add`` from parsing 74 MB of JSON into reading a few MB
    (bench/bench_startup.py).
    """

    def __init__(self, stamp: FileStamp | None, rows: dict[str, dict[str, Any]] | None = None,
                 hay: str = "") -> None:
        self.stamp = stamp
        self._rows: dict[str, dict[str, Any]] | None = dict(rows or {})
        self.ids: list[str] = list(self._rows)
        self._sha256s: list[str] | None = [str(r.get("sha256") or "") for r in self._rows.values()]
        self._hay: str | None = hay or "\n".join(haystack(row) for row in self._rows.values())
        self._file: _Layout | None = None
        self._digests_raw: bytes | None = None
        """Where ``load`` found the digests and rows, so they are read later (and only the parts
        needed) from the very file the header came from."""
        self.heal: Callable[[], IndexShard] | None = None
        """Set by the store: rebuilds this shard's index from its shard when a lazily read part
        of the file turns out to be damaged or replaced (the index is a cache; the shard is the truth)."""

    def dumps(self) -> bytes:
        rows = self.rows
        lines = [orjson.dumps(rows[i]) for i in self.ids]
        hay, digests = self.hay.encode("utf-8"), orjson.dumps(self.sha256s)
        header = orjson.dumps({"format": INDEX_FORMAT, "shard_stamp": self.stamp, "ids": self.ids,
                               "hay_bytes": len(hay), "digest_bytes": len(digests),
                               "row_bytes": [len(line) for line in lines]})
        return b"\n".join((header, hay, digests, *lines))

    @classmethod
    def load(cls, path: str | Path) -> IndexShard | None:
        """None when the file is missing, unreadable, of another format or of the wrong shape:
        the caller rebuilds it from the shard. Only the header and the hay are read here; the
        digests and rows are read (and checked) when first needed, from this same file."""
        try:
            with open(path, "rb") as handle:
                header_line = handle.readline()
                header = orjson.loads(header_line)
                if header.get("format") != INDEX_FORMAT:
                    return None  # written by another version: its rows may lack fields
                stamp = tuple(header["shard_stamp"]) if header["shard_stamp"] else None
                ids, hay_bytes, row_bytes = header["ids"], header["hay_bytes"], header["row_bytes"]
                digest_bytes = header["digest_bytes"]
                if not (type(ids) is list and type(row_bytes) is list and len(ids) == len(row_bytes)
                        and type(hay_bytes) is int and type(digest_bytes) is int
                        and set(map(type, ids)) <= {str} and set(map(type, row_bytes)) <= {int}
                        and hay_bytes >= 0 and digest_bytes >= 2 and min(row_bytes, default=1) >= 1):
                    return None  # (type checks by map and set: C speed for 100,000 ids)
                st = os.fstat(handle.fileno())
            layout = _Layout(path, (st.st_ino, st.st_size, st.st_mtime_ns), len(header_line),
                             hay_bytes, digest_bytes, row_bytes)
            if layout.end != st.st_size:
                return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            return None  # a cache of the wrong shape is rebuilt, never trusted (JSONDecodeError too)
        index = cls(stamp=stamp)  # type: ignore[arg-type]
        index._rows, index._sha256s = None, None
        index.ids, index._hay, index._file = ids, None, layout
        return index

    @property
    def hay(self) -> str:
        """Every row's search text, one line per row; read when the first search needs it."""
        if self._hay is None:
            assert self._file is not None
            [raw] = self._file.read([self._file.hay]) or [b""]
            try:
                hay = raw[:-1].decode("utf-8")
            except UnicodeDecodeError:
                hay = None
            if hay is None or raw[-1:] != b"\n" or (hay.count("\n") + 1 if self.ids else 0) != len(self.ids):
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
            if (type(digests) is not list or len(digests) != len(self.ids)
                    or not set(map(type, digests)) <= {str}):
                return self._healed().sha256s
            self._sha256s = digests
        return self._sha256s

    def holding(self, digest: str) -> str | None:
        """The first id here whose source has this digest, found in the raw digests line without
        parsing it (one C-speed scan), for a single duplicate check at start-up."""
        if self._sha256s is not None or self._file is None:
            return next((i for i, d in zip(self.ids, self.sha256s, strict=True) if d == digest), None)
        if self._digests_raw is None:
            [raw] = self._file.read([self._file.digests]) or [b""]
            count = len(self.ids)  # a list of ``count`` strings of hex digits: no comma, no quote inside
            if not (raw[:1] == b"[" and raw[-1:] == b"]" and raw.count(b'"') == 2 * count
                    and raw.count(b",") == max(count - 1, 0)):
                return self._healed().holding(digest)  # healed: the digests are parsed now
            self._digests_raw = raw
        at = self._digests_raw.find(b'"' + digest.encode("ascii", "replace") + b'"')
        return None if at == -1 else self.ids[self._digests_raw.count(b",", 0, at)]

    # ----- rows, read when first needed ----------------------------------------------------------
    @property
    def rows(self) -> dict[str, dict[str, Any]]:
        """Every summary of the shard by id, in accession order."""
        if self._rows is None:
            assert self._file is not None
            [blob] = self._file.read([self._file.all_rows]) or [b""]
            parsed = _parsed_rows(b"[" + blob.replace(b"\n", b",") + b"]", self.ids)
            if parsed is None:
                return self._healed().rows
            self._rows = dict(zip(self.ids, parsed, strict=True))
        return self._rows

    def rows_at(self, positions: list[int]) -> list[dict[str, Any]]:
        """The summaries at these positions, reading and parsing those rows alone while the
        rest of the shard's rows are not needed (a search returns a few rows of many shards)."""
        if self._rows is not None or not positions:
            return [self.rows[self.ids[i]] for i in positions]
        assert self._file is not None
        blobs = self._file.read([self._file.row(i) for i in positions])
        parsed = None if blobs is None else _parsed_rows(b"[" + b",".join(blobs) + b"]",
                                                        [self.ids[i] for i in positions])
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
        self.stamp, self._rows, self.ids, self._sha256s = fresh.stamp, fresh.rows, fresh.ids, fresh.sha256s
        self._hay, self._file, self._digests_raw = fresh.hay, None, None
        return self

    def matching(self, words: list[str]) -> list[dict[str, Any]]:
        """Rows whose search text holds every word, in accession order."""
        if not words or not self.ids:
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
    """The byte ranges of an index file's digests line and rows, and the file's identity."""

    def __init__(self, path: str | Path, identity: tuple[int, int, int], hay_at: int, hay_bytes: int,
                 digest_bytes: int, row_bytes: list[int]) -> None:
        self.path, self.identity = path, identity
        self.hay = (hay_at, hay_bytes + 1)  # with the newline that ends it
        digests_at = hay_at + hay_bytes + 1
        self.digests = (digests_at, digest_bytes)
        self.rows_at = digests_at + digest_bytes + 1
        self.row_bytes = row_bytes
        self._row_ends: list[int] | None = None
        self.all_rows = (self.rows_at, sum(row_bytes) + len(row_bytes) - 1 if row_bytes else 0)
        self.end = self.rows_at + self.all_rows[1] if row_bytes else digests_at + digest_bytes

    @property
    def row_ends(self) -> list[int]:
        """Row i ends at ``row_ends[i] + i`` (i newlines before it); summed when a row is first
        read, since opening the catalogue reads every index file's header and most rows never."""
        if self._row_ends is None:
            self._row_ends = list(accumulate(self.row_bytes))
        return self._row_ends

    def row(self, i: int) -> tuple[int, int]:
        start = self.row_ends[i - 1] + i if i else 0
        return self.rows_at + start, self.row_ends[i] + i - start

    def read(self, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """These (offset, length) ranges of the file, or None if it is no longer the same file."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if (st.st_ino, st.st_size, st.st_mtime_ns) != self.identity:
                return None
            return [os.pread(fd, length, offset) for offset, length in ranges]
        except OSError:
            return None
        finally:
            os.close(fd)


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
