"""The summary index: the few fields that listing and search need, for every record, in memory.

Holding 100,000 full records in memory costs gigabytes (design.md: 1.6 GB through TinyDB). The
index keeps one small summary per record instead, stored per shard beside the shard it describes.
Each index file remembers the stamp of its shard; when they disagree (a writer was killed between
the two renames) the index file is rebuilt from the shard, which is the truth.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections.abc import Callable
from itertools import accumulate, compress, islice, repeat
from operator import add, sub
from pathlib import Path
from typing import Any

import orjson

from archive.creators import format_creator
from archive.records import changed_since_bag, check_mode, full_check_at, good_places, serial_of
from archive.store.shard import FileStamp

SEARCH_FIELDS = ("id", "title", "creators", "publication", "subjects", "references")
INDEX_FORMAT = 6
"""Bumped whenever ``summarize`` gains or changes a field (2: fixity mode, last full check, serial;
4: good_on) or the file's layout changes (3: header, hay and rows read separately; 5: a short header,
the ids and row lengths read only when needed; 6: digest prefixes and binary row ends beside the
header, read with it), so an index written by an older version is rebuilt from its shard instead of
lacking them."""


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


PREFIX_BYTES = 8
"""Bytes of each row's source digest kept in the prefixes part: a duplicate check looks there and
reads a shard's whole digests only where the prefix is found."""
NO_PREFIX = bytes(PREFIX_BYTES)
"""The prefix of a row without a digest (or with one that is not 64 hex digits, see ``odd_digests``)."""
TABLE_BYTES = PREFIX_BYTES + 4 + 4
"""Per row in the table part: its digest prefix, where its row ends, where its hay line ends."""
HEAD_READ = 8192
"""Bytes read when an index file is opened: the header and the table of a full shard (256 rows:
about 4.3 KB) come in this one read."""


_READ_HAY_AT_OPEN = [False]
"""Set by ``read_hay_at_open`` (a command about to search every shard): ``load`` then reads each
file's hay through the descriptor it opened for the header, instead of opening the file again."""


def read_hay_at_open(on: bool = True) -> None:
    """Have ``IndexShard.load`` read the hay with the header (one open per index file, not two):
    for ``search``, which scans every shard's hay; other commands never read most of it."""
    _READ_HAY_AT_OPEN[0] = on


SPAN_BYTES = 4096
"""A search's rows of one index file are read in one span, first to last, when the span is less
than this many bytes per row it holds (copying a few KB costs about what a system call does),
else each row alone."""


def _prefix(digest: str) -> bytes:
    """The first PREFIX_BYTES of a hex digest, or NO_PREFIX for '' and for anything not hex."""
    if len(digest) != 64:
        return NO_PREFIX
    try:
        return bytes.fromhex(digest[: 2 * PREFIX_BYTES])
    except ValueError:
        return NO_PREFIX


class IndexShard:
    """One index file: the summaries of one shard and the shard stamp they were made from.

    ``hay`` joins every row's search text with newlines (which no field may contain), so a search
    scans one string per shard with ``bytes.find`` instead of looping over 100,000 small strings.

    The file (format 6) is laid out so that a command reads only what it uses: a short JSON
    header line (the shard stamp, the row count, the byte length of every later part and a
    checksum of the table), then the table (binary: each row's digest prefix, then the end of
    each row and of each hay line as uint32 in native order), the hay as plain UTF-8, the rows'
    source digests and the ids (JSON lists), then one JSON row per line. Opening reads the first
    HEAD_READ bytes: the header and the table. ``add`` looks for its digest among the prefixes and
    reads the digests and ids only of a shard where it is found; ``search`` reads the hay, finds
    the lines holding a word through the line ends (no line is cut out of the hay), then reads
    the rows it returns where the row ends say they are, in one span when they lie close, else
    one by one (no id list is read: a row is checked against its own hay line, which starts with
    its id);
    ``rows`` are read on first use. Every later read checks that the file is still the one the
    header came from (bench/bench_startup.py).
    """

    def __init__(self, stamp: FileStamp | None, rows: dict[str, dict[str, Any]] | None = None,
                 hay: str = "") -> None:
        self.stamp = stamp
        self._rows: dict[str, dict[str, Any]] | None = dict(rows or {})
        self._ids: list[str] | None = list(self._rows)
        self._count = len(self._ids)
        self._sha256s: list[str] | None = [str(r.get("sha256") or "") for r in self._rows.values()]
        self._hay: str | None = hay or "\n".join(haystack(row) for row in self._rows.values())
        self._hay_raw: bytes | None = None
        self._file: _Layout | None = None
        """Where ``load`` found the parts, so they are read later (and only the parts needed)
        from the very file the header came from."""
        self._digests_raw: bytes | None = None
        self._table: bytes | None = None
        self._table_crc: int | None = 0
        """The table's checksum from the header, None once the table was checked against it."""
        self._odd_digests = False
        self.heal: Callable[[], IndexShard] | None = None
        """Set by the store: rebuilds this shard's index from its shard when a lazily read part
        of the file turns out to be damaged or replaced (the index is a cache; the shard is the truth)."""

    def dumps(self) -> bytes:
        from array import array  # writers only
        from binascii import crc32

        rows, ids, digests = self.rows, self.ids, self.sha256s
        lines = [orjson.dumps(rows[i]) for i in ids]
        hay = self.hay.encode("utf-8")
        hay_lines = hay.split(b"\n") if ids else []
        table = b"".join((*map(_prefix, digests), array("I", accumulate(map(len, lines))).tobytes(),
                          array("I", map(add, accumulate(map(len, hay_lines)), range(len(ids)))).tobytes()))
        parts = (table, hay, orjson.dumps(digests), orjson.dumps(ids))
        header = orjson.dumps({
            "format": INDEX_FORMAT, "shard_stamp": self.stamp, "count": len(ids),
            "part_bytes": [len(part) for part in parts],
            "rows_bytes": sum(map(len, lines)) + len(lines) - 1 if lines else 0,
            "table_crc": crc32(table),
            "odd_digests": any(d and _prefix(d) == NO_PREFIX for d in digests),
        })
        return b"\n".join((header, *parts, *lines))

    @classmethod
    def load(cls, path: str | Path) -> IndexShard | None:
        """None when the file is missing, unreadable, of another format or of the wrong shape:
        the caller rebuilds it from the shard. One read: the header, the digest prefixes and the
        row ends; the other parts are read (and checked) when first needed, from this same file."""
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                st = os.fstat(fd)
                head = os.pread(fd, HEAD_READ, 0)
                newline = head.find(b"\n")
                header = orjson.loads(head[:newline])
                if newline == -1 or type(header) is not dict or header.get("format") != INDEX_FORMAT:
                    return None  # written by another version: its rows may lack fields
                stamp = tuple(header["shard_stamp"]) if header["shard_stamp"] else None
                count, part_bytes, rows_bytes = header["count"], header["part_bytes"], header["rows_bytes"]
                crc, odd = header["table_crc"], header["odd_digests"]
                if not (type(count) is int and type(rows_bytes) is int and type(part_bytes) is list
                        and type(crc) is int and type(odd) is bool
                        and len(part_bytes) == 4 and set(map(type, part_bytes)) == {int}
                        and count >= 0 and part_bytes[0] == TABLE_BYTES * count
                        and min(part_bytes[2:]) >= 2 and part_bytes[1] >= 0
                        and (rows_bytes >= 2 * count - 1 if count else rows_bytes == 0)):
                    return None
                layout = _Layout(path, (st.st_ino, st.st_size, st.st_mtime_ns), newline + 1, part_bytes,
                                 count, rows_bytes)
                if layout.end != st.st_size:
                    return None
                hay = _read_range(fd, layout.hay, head) if _READ_HAY_AT_OPEN[0] else None
            finally:
                os.close(fd)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            return None  # a cache of the wrong shape is rebuilt, never trusted (JSONDecodeError too)
        # Made without __init__, which builds an index from rows: opening 391 files at 100,000
        # records is on the start-up path of every command.
        index = cls.__new__(cls)
        index.stamp, index._count, index._file, index.heal = stamp, count, layout, None  # type: ignore[assignment]
        index._rows = index._ids = index._sha256s = index._hay = index._hay_raw = None
        index._digests_raw = index._table = None
        index._table_crc, index._odd_digests = crc, odd
        at, size = layout.table
        if at + size <= len(head):  # a full shard's comes with the header
            index._table = head[at:at + size]
        if hay is not None and _is_utf8(hay):  # else read (and healed) again when first needed
            index._hay_raw = hay
        return index

    @property
    def count(self) -> int:
        """How many rows the shard has (from the header: no id need be read to count them)."""
        return self._count

    @property
    def ids(self) -> list[str]:
        """The ids in row order; read when first needed."""
        if self._ids is None:
            assert self._file is not None
            [blob] = self._file.read([self._file.ids]) or [b""]
            try:
                ids = orjson.loads(blob)
            except orjson.JSONDecodeError:
                ids = None
            if not (type(ids) is list and len(ids) == self._count and set(map(type, ids)) <= {str}):
                return self._healed().ids  # (type checks by map and set: C speed)
            self._ids = ids
        return self._ids

    @property
    def hay(self) -> str:
        """Every row's search text, one line per row; read when first needed."""
        if self._hay is None:
            self._hay = self._hay_bytes().decode("utf-8")  # checked as UTF-8 when read
        return self._hay

    def _hay_bytes(self) -> bytes:
        """The hay as UTF-8, what a search scans: read from the file (and checked to be UTF-8)
        when first needed."""
        if self._hay_raw is None:
            if self._file is None:
                self._hay_raw = (self._hay if self._hay is not None else self.hay).encode("utf-8")
                return self._hay_raw
            [raw] = self._file.read([self._file.hay]) or [None]
            if raw is None or not _is_utf8(raw):  # (its lines: where the checksummed table says)
                return self._healed()._hay_bytes()
            self._hay_raw = raw
        return self._hay_raw

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
        """The first id here whose source has this digest, for a single duplicate check at
        start-up: looked for among the digest prefixes (read with the header), then, only where
        one matches, in the raw digests line without parsing it (one C-speed scan); the ids are
        read only when it is found."""
        if self._sha256s is not None or self._file is None:
            return next((i for i, d in zip(self.ids, self.sha256s, strict=True) if d == digest), None)
        prefix = _prefix(digest)
        if prefix != NO_PREFIX and not self._odd_digests:
            table = self._checked_table()
            if table is None:
                return self._healed().holding(digest)
            prefixes = table[:PREFIX_BYTES * self._count]
            at = prefixes.find(prefix)
            while at != -1 and at % PREFIX_BYTES:
                at = prefixes.find(prefix, at + 1)
            if at == -1:
                return None
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

    def _checked_table(self) -> bytes | None:
        """The table (digest prefixes, row ends, line ends), checked once against the header's
        checksum; None when it does not match (the caller heals the index)."""
        assert self._file is not None
        if self._table_crc is not None:
            from binascii import crc32

            if self._table is None:
                [self._table] = self._file.read([self._file.table]) or [None]
            if self._table is None or crc32(self._table) != self._table_crc:
                return None
            self._table_crc = None  # checked: not again
        return self._table

    def _rows_bounds(self) -> list[int] | None:
        """0, then where each row ends in the rows part, not counting the newlines between rows:
        row i starts at ``bounds[i] + i`` and is ``bounds[i + 1] - bounds[i]`` bytes long. None if
        the table is damaged. The table passed its checksum, and each row read is checked where
        it is used (``rows_at``)."""
        table = self._checked_table()
        if table is None:
            return None
        count = self._count
        bounds = [0, *_uint32s(table[PREFIX_BYTES * count:(PREFIX_BYTES + 4) * count])]
        # The last row ends where the header says the rows do.
        if count and bounds[-1] + count - 1 != self._file.all_rows[1]:
            return None
        return bounds

    def _line_bounds(self, text: bytes) -> list[int] | None:
        """-1, then where each hay line ends (its newline, or the end of the hay): line i is
        ``text[bounds[i] + 1:bounds[i + 1]]``. From the table when the index was read from a
        file; None if the table is damaged."""
        if self._file is None:
            ends = [m.start() for m in re.finditer(b"\n", text)] + [len(text)]
        else:
            table = self._checked_table()
            if table is None:
                return None
            ends = _uint32s(table[(PREFIX_BYTES + 4) * self._count:])
        if len(ends) != self._count or (ends and ends[-1] != len(text)):
            return None
        return [-1, *ends]

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

    def rows_at(self, positions: list[int],
                hay: tuple[bytes, list[int]] | None = None) -> list[dict[str, Any]]:
        """The summaries at these positions, reading and parsing those rows alone while the
        rest of the shard's rows are not needed (a search returns a few rows of many shards).

        ``hay`` (the hay's bytes and its line bounds, as a search has them) lets each row be
        checked against its own line, which starts with its id, instead of reading the ids."""
        if self._rows is not None or self._file is None or not positions:
            return [self.rows[self.ids[i]] for i in positions]
        bounds = self._rows_bounds()
        if bounds is None:
            return self._healed().rows_at(positions)
        # Each row is at least ``{}``; one that is not where the table says fails to parse as
        # one row, or parses as a row without the id of its position. (C-level maps: a search
        # reads thousands of rows.)
        begins = list(map(bounds.__getitem__, positions))
        offsets = list(map(add, begins, map(add, positions, repeat(self._file.rows_at))))
        lengths = list(map(sub, map(bounds.__getitem__, map(add, positions, repeat(1))), begins))
        blobs = self._file.read_rows(offsets, lengths) if min(lengths) >= 2 else None
        try:
            parsed = None if blobs is None else orjson.loads(b"[" + b",".join(blobs) + b"]")
        except orjson.JSONDecodeError:
            parsed = None
        if parsed is None or len(parsed) != len(positions) or not self._rows_agree(parsed, positions, hay):
            return self._healed().rows_at(positions)
        return parsed

    def _rows_agree(self, parsed: list[Any], positions: list[int],
                    hay: tuple[bytes, list[int]] | None) -> bool:
        """Each parsed row an object whose id is the one at its position (by the ids, or by its
        hay line, which begins with the id and a field separator). Every step runs in C: a search
        checks thousands of rows."""
        if set(map(type, parsed)) != {dict}:
            return False
        ids = list(map(dict.get, parsed, repeat("id")))
        if set(map(type, ids)) != {str}:
            return False
        if hay is None or self._ids is not None:
            return list(map(self.ids.__getitem__, positions)) == ids
        text, bounds = hay
        try:
            heads = ("\x1f\n".join(ids) + "\x1f").casefold().encode("utf-8").split(b"\n")
        except UnicodeEncodeError:
            return False
        starts = map(add, map(bounds.__getitem__, positions), repeat(1))
        return len(heads) == len(ids) and all(map(text.startswith, heads, starts))

    def _healed(self) -> IndexShard:
        """The index rebuilt from its shard, taken over in place, when a part read late was
        damaged, or the file was replaced since its header was read."""
        if self.heal is None:
            from archive.errors import StoreError

            raise StoreError("a summary index file is damaged or changed; run the command again")
        fresh = self.heal()
        self.stamp, self._rows, self._ids, self._sha256s = fresh.stamp, fresh.rows, fresh.ids, fresh.sha256s
        self._count = len(fresh.ids)
        self._hay, self._hay_raw, self._file, self._digests_raw = fresh.hay, None, None, None
        self._table = None
        return self

    def matching(self, words: list[str]) -> list[dict[str, Any]]:
        """Rows whose search text holds every word, in accession order.

        The words are looked for in the hay's UTF-8 bytes, as read (no text is decoded): UTF-8
        is self-synchronising, so a word's bytes occur in a line's bytes exactly when the word
        occurs in the line."""
        if not words or not self._count:
            return list(self.rows.values()) if not words else []
        text = self._hay_bytes()
        needles = sorted((word.encode("utf-8") for word in words), key=len, reverse=True)  # longest: rarest
        if any(n not in text for n in needles):  # most shards are ruled out by one C-speed scan
            return []
        bounds = self._line_bounds(text)
        if bounds is None:
            return self._healed().matching(words)
        # Every loop below runs in C (map, compress, accumulate, bisect): no Python step per line
        # or hit. The first word's occurrences name the lines to look at, unless it is in most
        # lines: ``split`` (one fast scan) cuts the hay at each, and the pieces' lengths say where
        # each occurrence ends, so in which line it is.
        cap = self._count // 2 + 1
        pieces = text.split(needles[0], cap)
        if len(pieces) <= cap:  # fewer than ``cap`` occurrences
            after = accumulate(map(add, map(len, islice(pieces, len(pieces) - 1)), repeat(len(needles[0]))))
            found = list(map(sub, dict.fromkeys(map(bisect_left, repeat(bounds), after)), repeat(1)))
            needles = needles[1:]
        else:
            found = list(range(self._count))
        del pieces
        for needle in needles:  # counted in each line where it is, not cut out of the hay
            starts = map(add, map(bounds.__getitem__, found), repeat(1))
            ends = map(bounds.__getitem__, map(add, found, repeat(1)))
            found = list(compress(found, map(text.count, repeat(needle), starts, ends)))
            if not found:
                return []
        return self.rows_at(found, (text, bounds))


class _Layout:
    """The byte ranges of an index file's parts, and the file's identity."""

    def __init__(self, path: str | Path, identity: tuple[int, int, int], at: int, part_bytes: list[int],
                 count: int, rows_bytes: int) -> None:
        self.path, self.identity = path, identity
        table, hay, digests, ids = part_bytes  # each after its newline
        self.table = (at, table)
        self.hay = (at := at + table + 1, hay)
        self.digests = (at := at + hay + 1, digests)
        self.ids = (at := at + digests + 1, ids)
        at += ids + 1
        self.rows_at = at
        self.all_rows = (at, rows_bytes)
        self.end = at + rows_bytes if count else at - 1

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

    def read_rows(self, offsets: list[int], lengths: list[int]) -> list[bytes] | None:
        """Like ``read``, for many short ranges in file order (a search's rows): in one read of
        the span from the first to the last when they lie close together on average (less than
        SPAN_BYTES a range), else a ``pread`` each. Either way every step is made from C (``map``),
        not a Python loop per row."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        first, end = offsets[0], offsets[-1] + lengths[-1]
        try:
            st = os.fstat(fd)
            if (st.st_ino, st.st_size, st.st_mtime_ns) != self.identity:
                return None
            if 0 <= first < end <= first + SPAN_BYTES * len(offsets):
                span = os.pread(fd, end - first, first)
                starts = list(map(sub, offsets, repeat(first)))
                got = list(map(span.__getitem__, map(slice, starts, map(add, starts, lengths))))
            else:
                got = list(map(os.pread, repeat(fd), lengths, offsets))
        except (OSError, ValueError, OverflowError):  # (an offset the table got wrong)
            return None
        finally:
            os.close(fd)
        return got if list(map(len, got)) == lengths else None


def _read_range(fd: int, where: tuple[int, int], head: bytes) -> bytes | None:
    """The bytes at ``where`` (offset, length) of the open file, taken from ``head`` (its first
    bytes, already read) as far as they reach; None if the file is shorter."""
    at, size = where
    if at + size <= len(head):
        return head[at:at + size]
    got = os.pread(fd, size, at)
    return got if len(got) == size else None


def _uint32s(raw: bytes) -> list[int]:
    """The table's native-order uint32 values as a list (indexing and bisect on a list are
    cheaper than on a memoryview, and a shard has 256 of them)."""
    return memoryview(raw).cast("I").tolist()


def _is_utf8(raw: bytes) -> bool:
    """True when the bytes are valid UTF-8: one C-speed pass for the usual ASCII case."""
    if raw.isascii():
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
