"""An index written by an older version is rebuilt, never read with fields missing; a damaged
index file (it is a cache) is rebuilt from its shard, whichever part of it is damaged."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from archive.store import index as index_module
from archive.store.index import INDEX_FORMAT, SPAN_BYTES, IndexShard, haystack, read_hay_at_open


def _index_files(root: Path) -> list[Path]:
    return sorted((root / "catalog" / "index").glob("*.json"))


def _header(path: Path) -> dict:
    return orjson.loads(path.read_bytes().split(b"\n", 1)[0])


def test_an_index_of_an_older_format_is_rebuilt_with_every_field(seeded_root: Path, cli):
    assert cli("--root", seeded_root, "bag", "--all").code == 0
    assert cli("--root", seeded_root, "verify", "--fast").code == 0
    for path in _index_files(seeded_root):  # as the version before fixity modes wrote it
        index = IndexShard.load(path)
        assert index is not None, path
        rows = {rid: dict(row) for rid, row in index.rows.items()}
        for row in rows.values():
            for name in ("fixity_mode", "fixity_full_at", "serial", "good_on"):
                row.pop(name, None)
        path.write_text(json.dumps({"shard_stamp": list(index.stamp), "rows": rows, "hay": index.hay}))

    listed = cli("--root", seeded_root, "list", "--json")
    assert listed.code == 0, listed
    [row] = json.loads(listed.out)
    assert row["fixity_mode"] == "fast", row
    assert row["good_on"] == ["local"] and row["good_copies"] == 1, row
    assert "fast" in cli("--root", seeded_root, "list").out
    assert all(_header(p)["format"] == INDEX_FORMAT for p in _index_files(seeded_root))


def _format_4(stamp: object, ids: list[str], hay: bytes, digests: bytes, lines: list[bytes]) -> bytes:
    """A header carrying every id and row length, then the hay, the digests and the rows."""
    header = orjson.dumps({"format": 4, "shard_stamp": stamp, "ids": ids, "hay_bytes": len(hay),
                           "digest_bytes": len(digests), "row_bytes": [len(line) for line in lines]})
    return b"\n".join((header, hay, digests, *lines))


def _format_5(stamp: object, ids: list[str], hay: bytes, digests: bytes, lines: list[bytes]) -> bytes:
    """A short header; the digests, ids and row lengths as JSON lines, the hay, then the rows."""
    parts = (digests, orjson.dumps(ids), orjson.dumps([len(line) for line in lines]), hay)
    header = orjson.dumps({"format": 5, "shard_stamp": stamp, "count": len(ids),
                           "part_bytes": [len(part) for part in parts],
                           "rows_bytes": sum(map(len, lines)) + len(lines) - 1})
    return b"\n".join((header, *parts, *lines))


@pytest.mark.parametrize("layout", [_format_4, _format_5])
def test_an_index_of_the_previous_layout_is_rebuilt_when_opened(seeded_root: Path, cli, layout):
    """Formats 4 and 5 (the ids, row lengths and digests as JSON; no prefixes, no binary row
    ends) are read by no later version: the store rebuilds the file from the shard on the first
    command, which then answers from the new file."""
    [path] = _index_files(seeded_root)
    index = IndexShard.load(path)
    assert index is not None and index.count == 1 and index._ids is None  # opening read no id
    rows, hay = index.rows, index.hay
    lines = [orjson.dumps(rows[i]) for i in index.ids]
    path.write_bytes(layout(index.stamp, index.ids, hay.encode(), orjson.dumps(index.sha256s), lines))
    assert IndexShard.load(path) is None

    found = cli("--root", seeded_root, "search", "ankara")
    assert found.code == 0 and index.ids[0] in found.out, found
    assert _header(path)["format"] == INDEX_FORMAT == 6
    assert IndexShard.load(path).rows == rows  # type: ignore[union-attr]


def _parts(path: Path) -> list[bytes]:
    """The parts of an index file as its header places them: header, table (digest prefixes, row
    and line ends), hay, digests, ids, rows (the table may hold newline bytes: the header's lengths
    tell)."""
    data = path.read_bytes()
    header, at = data.split(b"\n", 1)[0], data.index(b"\n") + 1
    parts = [header]
    for size in orjson.loads(header)["part_bytes"]:
        parts.append(data[at:at + size])
        at += size + 1
    parts.append(data[at:])
    assert len(parts) == 6, parts
    return parts


def _join(parts: list[bytes]) -> bytes:
    return b"\n".join(parts)


def _damage_rows(path: Path) -> None:
    """Keep the header and the hay, spoil the row (same length, so only parsing it tells)."""
    *head, row = _parts(path)
    path.write_bytes(_join([*head, b"{" + b" " * (len(row) - 2) + b"}"]))


def _damage_table(path: Path) -> None:
    """The digest prefixes and the row and line ends no longer match the header's checksum:
    neither a duplicate check nor a search may trust them."""
    head, table, *rest = _parts(path)
    path.write_bytes(_join([head, bytes(b ^ 0xFF for b in table), *rest]))


def _damage_digests(path: Path) -> None:
    head, table, hay, digests, *rest = _parts(path)
    path.write_bytes(_join([head, table, hay, b"[" + b" " * (len(digests) - 2) + b"]", *rest]))


def _damage_ids(path: Path) -> None:
    *head, ids, row = _parts(path)
    path.write_bytes(_join([*head, b"[" + b" " * (len(ids) - 2) + b"]", row]))


def _damage_hay(path: Path) -> None:
    head, table, hay, *rest = _parts(path)
    path.write_bytes(_join([head, table, b"\xff" * len(hay), *rest]))  # not UTF-8


@pytest.mark.parametrize("damage", [_damage_rows, _damage_table, _damage_digests, _damage_ids, _damage_hay])
@pytest.mark.parametrize("command", [["list"], ["search", "ankara"], ["show", "{id}"], ["add", "{copy}"]])
def test_a_damaged_part_is_rebuilt_from_the_shard_when_first_read(seeded_root: Path, cli, command, damage,
                                                                  seed_copy: Path):
    [path] = _index_files(seeded_root)
    [record_id] = IndexShard.load(path).ids  # read before the damage: set-up, not a CLI run to test
    damage(path)
    assert IndexShard.load(path) is not None  # the header alone looks right: the rest is checked lazily
    result = cli("--root", seeded_root, *[c.format(id=record_id, copy=seed_copy) for c in command])
    if command[0] == "add":  # the duplicate check read the digests: the same text is refused
        assert result.code == 1 and record_id in result.err, result
    else:
        assert result.code == 0, result
        assert record_id in result.out
    listed = cli("--root", seeded_root, "list", "--json")
    assert json.loads(listed.out)[0]["title"].startswith("Russia")


def test_an_index_file_round_trips_and_reads_one_row_alone(seeded_root: Path):
    [path] = _index_files(seeded_root)
    index = IndexShard.load(path)
    assert index is not None
    hit = index.matching(["ankara"])
    assert [r["id"] for r in hit] == index.ids
    assert index._rows is None  # the search parsed the row it returns, not the shard's rows
    again = IndexShard(stamp=index.stamp, rows=index.rows)
    assert again.dumps() == path.read_bytes()


def test_rows_are_read_one_at_a_time_exactly_as_written(tmp_path: Path):
    """Many rows of different lengths (and non-ASCII text): each search hit is its own row."""
    rows = {f"ART-2026-{n:06d}": {"id": f"ART-2026-{n:06d}", "title": f"Zürich story {'x' * n} tag{n % 3}",
                                  "creators": "Ünal, Ada" if n % 2 else "", "sha256": f"{n:064x}"}
            for n in range(1, 40)}
    path = tmp_path / "000000.json"
    path.write_bytes(IndexShard(stamp=(1, 2, 3), rows=rows).dumps())
    index = IndexShard.load(path)
    assert index is not None and index.ids == list(rows)
    assert index.sha256s == [r["sha256"] for r in rows.values()]
    for query, expect in ((["zürich", "tag2"], [r for r in rows.values() if r["title"].endswith("tag2")]),
                          (["ünal"], [r for r in rows.values() if r["creators"]]),
                          (["story", "x" * 38], [rows["ART-2026-000038"], rows["ART-2026-000039"]])):
        assert index.matching(query) == expect, query
    assert index._rows is None
    assert index.rows == rows  # and then all at once


def test_a_duplicate_is_found_in_the_raw_digests_and_in_the_map_alike(tmp_path: Path):
    rows = {f"ART-2026-{n:06d}": {"id": f"ART-2026-{n:06d}", "title": "t", "sha256": f"{n % 7:064x}" if n % 5
                                  else ""} for n in range(1, 30)}
    path = tmp_path / "000000.json"
    path.write_bytes(IndexShard(stamp=(1, 2, 3), rows=rows).dumps())
    for n in range(9):
        digest = f"{n:064x}"
        expected = next((rid for rid, r in rows.items() if r["sha256"] == digest), None)
        raw = IndexShard.load(path)
        assert raw is not None and raw.holding(digest) == expected, digest
        assert raw._sha256s is None  # answered without parsing the digests
        assert (raw._ids is None) == (expected is None)  # the ids are read only where it is found
        parsed = IndexShard.load(path)
        assert parsed is not None and parsed.sha256s and parsed.holding(digest) == expected


def test_rows_of_a_file_replaced_since_its_header_was_read_come_from_the_shard(tmp_path: Path):
    old = {"ART-2026-000001": {"id": "ART-2026-000001", "title": "old", "sha256": ""}}
    new = {"ART-2026-000001": {"id": "ART-2026-000001", "title": "new", "sha256": ""}}
    path = tmp_path / "000000.json"
    path.write_bytes(IndexShard(stamp=(1, 2, 3), rows=old).dumps())
    index = IndexShard.load(path)
    assert index is not None
    replacement = tmp_path / "new.json"
    replacement.write_bytes(IndexShard(stamp=(1, 2, 4), rows=new).dumps())
    replacement.replace(path)  # as another writer renames a new index over it
    index.heal = lambda: IndexShard(stamp=(1, 2, 4), rows=new)
    assert index.rows == new and index.stamp == (1, 2, 4)


def test_search_finds_exactly_the_rows_holding_every_word(tmp_path: Path):
    """The lines a word is in are found from its occurrences (a rare word) or by testing every
    line (a word in most lines): both give what a plain test of each row's text gives."""
    words = ["ankara", "museum", "ank", "zürich", "a", "ß", "2026-0000", "kowalski"]
    rows = {}
    for n in range(1, 257):
        chosen = [words[(n * k) % len(words)] for k in (1, 3, 7) if (n * k) % 5]
        rid = f"ART-2026-{n:06d}"
        rows[rid] = {"id": rid, "title": " ".join(chosen) + f" {'museum ' * (n % 3)}", "sha256": "",
                     "creators": "Straße, Ann" if n % 4 == 0 else ""}
    path = tmp_path / "000000.json"
    path.write_bytes(IndexShard(stamp=(1, 2, 3), rows=rows).dumps())
    for query in (["ankara"], ["museum"], ["ank", "museum"], ["zürich", "a"], ["strasse"], ["a"],
                  ["2026-000012"], ["kowalski", "ankara", "museum"], ["nothing"], ["art-2026", "ß"]):
        expected = [r for r in rows.values() if all(w in haystack(r) for w in query)]
        index = IndexShard.load(path)
        assert index is not None
        assert index.matching(query) == expected, query
        assert index._ids is None  # each hit checked against its hay line, not the ids
        in_memory = IndexShard(stamp=(1, 2, 3), rows=rows)
        assert in_memory.matching(query) == expected, query


@pytest.mark.parametrize("hay_at_open", [False, True])
def test_hits_far_apart_and_close_together_are_read_exactly(tmp_path: Path, hay_at_open: bool, monkeypatch):
    """A search's rows of one file are read in one span when they lie close together, else one
    read each (``_Layout.read_rows``): rows long enough to spread the hits apart, with the hay
    read at open or later, give what each row's text gives, whichever way they were read."""
    rows = {}
    for n in range(1, 200):
        rid = f"ART-2026-{n:06d}"
        near = " near" if 150 <= n < 160 else ""
        rows[rid] = {"id": rid, "title": f"story {'museum' if n % 3 else 'kowalski'}{near} {n}", "sha256": "",
                     "notes": "ü" * (SPAN_BYTES * 60 if n % 17 == 0 and n < 100 else n)}
    path = tmp_path / "000000.json"
    path.write_bytes(IndexShard(stamp=(1, 2, 3), rows=rows).dumps())
    reads: list[int] = []
    real_pread = index_module.os.pread
    monkeypatch.setattr(index_module.os, "pread", lambda *a: reads.append(1) or real_pread(*a))
    read_hay_at_open(hay_at_open)
    try:
        for query, each in ((["museum"], True), (["kowalski"], True), (["story"], True),
                            (["story", "1"], True), (["near"], False), (["near", "kowalski"], False),
                            (["nothing"], None)):
            index = IndexShard.load(path)
            assert index is not None and (index._hay_raw is not None) == hay_at_open
            expected = [r for r in rows.values() if all(w in haystack(r) for w in query)]
            reads.clear()
            assert index.matching(query) == expected, query
            assert index._rows is None
            if each is not None:  # the rows' reads, after the hay's if it was not read at open
                assert len(reads) - (not hay_at_open) == (len(expected) if each else 1), (query, len(reads))
    finally:
        read_hay_at_open(False)


@pytest.mark.parametrize("row", [0, 1, 2])
def test_row_ends_that_pass_the_checksum_but_are_wrong_are_healed(tmp_path: Path, row: int):
    """A table rewritten with its checksum (so only the row ends themselves can tell): a row
    read where a wrong end says is refused and the rows come from the shard."""
    from array import array
    from binascii import crc32

    rows = {f"ART-2026-{n:06d}": {"id": f"ART-2026-{n:06d}", "title": f"museum {n}", "sha256": ""}
            for n in range(1, 4)}
    path = tmp_path / "000000.json"
    path.write_bytes(IndexShard(stamp=(1, 2, 3), rows=rows).dumps())
    head, rest = path.read_bytes().split(b"\n", 1)
    header = orjson.loads(head)
    table = bytearray(rest[:header["part_bytes"][0]])
    count = len(rows)
    ends = array("I", table[8 * count:12 * count])
    ends[1] = ends[0] if row == 0 else ends[2] - 1 if row == 1 else ends[1] + 1  # last end: see below
    if row == 2:
        ends[0] += 1  # row 0 takes a byte of its newline, row 1 starts inside the next
    table[8 * count:12 * count] = ends.tobytes()
    header["table_crc"] = crc32(bytes(table))
    path.write_bytes(b"\n".join([orjson.dumps(header), bytes(table) + rest[len(table):]]))
    index = IndexShard.load(path)
    assert index is not None
    index.heal = lambda: IndexShard(stamp=(1, 2, 3), rows=rows)
    assert index.matching(["museum"]) == list(rows.values())
    assert index._file is None  # healed: the rows came from the shard


def test_an_index_opened_from_its_file_has_every_attribute_one_made_from_rows_has(tmp_path: Path):
    """``load`` makes the object without ``__init__`` (opening 391 files is on every command's
    path): it must set every attribute ``__init__`` sets, or a later read fails on a missing one."""
    rows = {"ART-2026-000001": {"id": "ART-2026-000001", "title": "t", "sha256": ""}}
    path = tmp_path / "000000.json"
    made = IndexShard(stamp=(1, 2, 3), rows=rows)
    path.write_bytes(made.dumps())
    opened = IndexShard.load(path)
    assert opened is not None
    assert sorted(vars(opened)) == sorted(vars(made))
