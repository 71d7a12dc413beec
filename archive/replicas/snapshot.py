"""The catalogue as one file on a replica, so a replica alone can rebuild the whole archive.

A snapshot is JSON Lines, named ``catalog/snapshots/<UTC stamp>-<sha256[:16]>.jsonl``::

    {"format": "article-archive-catalog-snapshot/1", "at": UTC, "archive_toml": TEXT,
     "counter": N, "records": n, "events": m}
    {"record": {...}}        n lines, in accession order
    {"event": {...}}         m lines, shard by shard in the order they were committed

then ``catalog/latest.json`` ``{"snapshot", "sha256", "size", "at", "content_sha256"}`` is replaced
atomically, last, so it only ever names a snapshot already confirmed on the replica.
``content_sha256`` hashes everything but the header's ``at``: a catalogue that has not changed since
the last snapshot is not sent again (snapshots are immutable and never deleted, so one a run would
send only to say the same thing would pile up).

Why one coherent read: the snapshot is written under the catalogue's lock, so no record, event,
counter or archive.toml change can fall between two of its lines; the lock is held only while the
file is streamed into staging/ (never the whole catalogue in memory), not while it is uploaded.

Reading one back (``load_snapshot``) trusts nothing on the replica: the bytes must hash to
latest.json's digest, the header must name this format, and every record and event must pass the
schemas and the checks of :mod:`archive.untrusted`. Each refusal is one line naming the replica path.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from archive.clock import now_utc
from archive.config import CONFIG_NAME, Settings, settings_from
from archive.errors import ArchiveError, SnapshotError
from archive.ids import is_id, sequence_of
from archive.layout import Archive
from archive.replicas.remote import LATEST, SNAPSHOTS
from archive.storage.base import Storage, StorageError
from archive.untrusted import MAX_DEPTH, depth, stored_record_problems

FORMAT = "article-archive-catalog-snapshot/1"
CHUNK = 1 << 20
MAX_LATEST = 64 << 10
RECORDS_AT_ONCE = 1024
"""Records read a shard at a time (``documents_of``: the parsed documents, only serialised here)
rather than by one ``get`` each, which copied every record (a third of a 1,000-record snapshot's
time); in slices, so a large catalogue is never held twice."""
MAX_LINE = 64 << 20
"""No record or event comes near this; a longer line is hostile (a replica's file, not ours)."""
NAME_RE = re.compile(r"^catalog/snapshots/\d{8}T\d{6}Z-([0-9a-f]{16})\.jsonl$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SnapshotInfo:
    """What ``push_snapshot`` left on the replica; ``sent`` is False when latest already named
    a snapshot of the same content and nothing was written."""

    snapshot: str
    sha256: str
    size: int
    at: str
    records: int
    events: int
    sent: bool

    def as_json(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "sha256": self.sha256, "size": self.size, "at": self.at,
                "records": self.records, "events": self.events, "sent": self.sent}


def _dumps(value: Any) -> bytes:
    """One JSON line's bytes; JSON never holds a raw newline, so a line ends at its newline."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # a lone surrogate (old events): escaped, as the history log does
        return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _stamp(at: str) -> str:
    """2026-11-30T04:25:00Z -> 20261130T042500Z: sortable and safe in every storage's names."""
    return at.replace("-", "").replace(":", "")[:15] + "Z"


# ----- writing ------------------------------------------------------------------------------
@dataclass
class _Written:
    path: Path
    sha256: str
    content_sha256: str
    size: int
    at: str
    records: int
    events: int


class _HashedFile:
    """A file written line by line with two digests: the whole file, and its content without
    the header's time (what tells an unchanged catalogue)."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.whole = hashlib.sha256()
        self.content = hashlib.sha256()
        self.size = 0

    def line(self, data: bytes, *, content: bytes | None = None) -> None:
        data += b"\n"
        self.handle.write(data)
        self.whole.update(data)
        self.content.update(data if content is None else content + b"\n")
        self.size += len(data)


def _write_local(arc: Archive, folder: Path) -> _Written:
    """Stream the catalogue into a file in ``folder`` under the catalogue's lock."""
    store = arc.store
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix="snapshot-", suffix=".jsonl", delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle, store.locked():
            store.refresh()
            at = now_utc()
            ids = store.ids()
            events_expected = store.event_count()
            header = {"format": FORMAT, "at": at,
                      "archive_toml": (arc.root / CONFIG_NAME).read_bytes().decode("utf-8"),
                      "counter": store.last_sequence(), "records": len(ids), "events": events_expected}
            out = _HashedFile(handle)
            out.line(_dumps(header), content=_dumps({**header, "at": ""}))
            for start in range(0, len(ids), RECORDS_AT_ONCE):
                for record in store.documents_of(ids[start:start + RECORDS_AT_ONCE]).values():
                    out.line(_dumps({"record": record}))
            events = 0
            for event in store.iter_events():
                out.line(_dumps({"event": event}))
                events += 1
            if events != events_expected:
                raise SnapshotError(f"{store.folder}: the history holds {events} events but the shards "
                                    f"count {events_expected}; run archive verify before replicating")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _Written(path, out.whole.hexdigest(), out.content.hexdigest(), out.size, at, len(ids), events)


def _latest_content(storage: Storage) -> tuple[str, dict] | None:
    """latest.json's content digest and body when it names a snapshot still there at its size."""
    try:
        latest = _read_latest(storage)
    except (SnapshotError, StorageError):
        return None
    found = storage.stat(latest["snapshot"])
    if found is None or found.kind != "file" or found.size != latest["size"]:
        return None
    content = latest.get("content_sha256")
    return (content, latest) if isinstance(content, str) else None


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def push_snapshot(arc: Archive, storage: Storage) -> SnapshotInfo:
    """Send the catalogue to ``storage`` (a replica's root) unless it already holds the same.

    The snapshot is uploaded with its digest confirmed, then latest.json replaced: a killed run
    leaves latest naming the previous snapshot, never one not wholly there.
    """
    written = _write_local(arc, arc.staging_dir)
    try:
        previous = _latest_content(storage)
        if previous is not None and previous[0] == written.content_sha256:
            latest = previous[1]
            return SnapshotInfo(latest["snapshot"], latest["sha256"], latest["size"], latest["at"],
                                written.records, written.events, sent=False)
        name = f"{SNAPSHOTS}/{_stamp(written.at)}-{written.sha256[:16]}.jsonl"
        storage.write_atomic(name, _chunks(written.path), sha256=written.sha256)
        latest_body = _dumps({"snapshot": name, "sha256": written.sha256, "size": written.size,
                              "at": written.at, "content_sha256": written.content_sha256})
        storage.write_atomic(LATEST, [latest_body], sha256=hashlib.sha256(latest_body).hexdigest())
    finally:
        written.path.unlink(missing_ok=True)
    return SnapshotInfo(name, written.sha256, written.size, written.at, written.records, written.events,
                        sent=True)


# ----- reading ------------------------------------------------------------------------------
def _refuse(storage: Storage, path: str, reason: str) -> SnapshotError:
    return SnapshotError(f"replica {storage.label}: {path}: {reason}")


def _read_small(storage: Storage, path: str, limit: int) -> bytes:
    entry = storage.stat(path)
    if entry is None:
        raise _refuse(storage, path, "not there (the replica holds no catalogue snapshot; "
                                     "run archive replicate first)")
    if entry.kind != "file":
        raise _refuse(storage, path, f"not a regular file ({entry.kind})")
    with storage.open_read(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _refuse(storage, path, f"larger than {limit} bytes; not read")
    return data


def _read_latest(storage: Storage) -> dict[str, Any]:
    """latest.json, every field checked: it names which file to trust."""
    data = _read_small(storage, LATEST, MAX_LATEST)
    try:
        latest = _loads(data)
    except ValueError:
        raise _refuse(storage, LATEST, "not JSON") from None
    if not isinstance(latest, dict):
        raise _refuse(storage, LATEST, "not a JSON object")
    name, digest, size = latest.get("snapshot"), latest.get("sha256"), latest.get("size")
    match = NAME_RE.match(name) if isinstance(name, str) else None
    if match is None:
        raise _refuse(storage, LATEST, "its snapshot is not a name catalog/snapshots/<stamp>-<hex>.jsonl")
    if not isinstance(digest, str) or not HEX64.match(digest) or not digest.startswith(match.group(1)):
        raise _refuse(storage, LATEST, "its sha256 is not 64 lower-case hex digits matching the "
                                       "snapshot's name")
    if type(size) is not int or size < 1:
        raise _refuse(storage, LATEST, "its size is not a positive whole number")
    if not isinstance(latest.get("at"), str):
        raise _refuse(storage, LATEST, "its at is not a time")
    return latest


@dataclass
class Snapshot:
    """A snapshot read from a replica and checked whole, held in a local file (deleted by
    ``close``); ``records()`` and ``events()`` stream what was checked."""

    path: str
    """Where it lies on the replica."""
    sha256: str
    at: str
    archive_toml: str
    settings: Settings
    counter: int
    record_count: int
    event_count: int
    local: Path = field(repr=False)

    def _lines(self, key: str) -> Iterator[dict]:
        with open(self.local, "rb") as handle:
            handle.readline()
            for line in handle:
                item = _loads(line)
                if key in item:
                    yield item[key]

    def records(self) -> Iterator[dict]:
        return self._lines("record")

    def events(self) -> Iterator[dict]:
        return self._lines("event")

    def close(self) -> None:
        self.local.unlink(missing_ok=True)

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _download(storage: Storage, path: str, sha256: str, size: int, folder: Path | None) -> Path:
    """The snapshot's bytes in a local file, refused unless they are ``size`` bytes hashing to ``sha256``."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix="snapshot-in-", suffix=".jsonl", delete=False)  # noqa: SIM115
    local = Path(handle.name)
    try:
        digest = hashlib.sha256()
        got = 0
        entry = storage.stat(path)
        if entry is None or entry.kind != "file":
            raise _refuse(storage, path, "named by catalog/latest.json but not there")
        with handle, storage.open_read(path, entry) as remote:
            while chunk := remote.read(CHUNK):
                got += len(chunk)
                if got > size:
                    raise _refuse(storage, path, f"longer than the {size} bytes latest.json gives; refused")
                digest.update(chunk)
                handle.write(chunk)
        if got != size or digest.hexdigest() != sha256:
            raise _refuse(storage, path, f"does not match catalog/latest.json ({got} bytes hashing to "
                                         f"{digest.hexdigest()[:16]}..., not {size} bytes hashing to "
                                         f"{sha256[:16]}...); tampered with or damaged, refused")
    except BaseException:
        local.unlink(missing_ok=True)
        raise
    return local


def _header(storage: Storage, path: str, line: bytes) -> tuple[dict, Settings]:
    try:
        header = _loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise _refuse(storage, path, "line 1: not a snapshot header")
    if header.get("format") != FORMAT:
        shown = str(header.get("format"))[:60]
        raise _refuse(storage, path, f"line 1: unknown format {shown!r} (this version reads {FORMAT})")
    for key in ("counter", "records", "events"):
        if type(header.get(key)) is not int or header[key] < 0:
            raise _refuse(storage, path, f"line 1: {key} is not a whole number")
    if not isinstance(header.get("at"), str) or not isinstance(header.get("archive_toml"), str):
        raise _refuse(storage, path, "line 1: at or archive_toml is not text")
    try:
        settings = settings_from(tomllib.loads(header["archive_toml"]), f"{path}: archive_toml")
    except tomllib.TOMLDecodeError as exc:
        raise _refuse(storage, path, f"line 1: archive_toml is not valid TOML ({exc})") from None
    except ArchiveError as exc:
        raise SnapshotError(f"replica {storage.label}: {exc}") from None
    return header, settings


class _Checker:
    """Every line after the header: records first, then events, each valid and belonging."""

    def __init__(self, storage: Storage, path: str, header: dict):
        self.storage, self.path, self.header = storage, path, header
        self.ids: set[str] = set()
        self.last = 0
        self.events = 0

    def fail(self, number: int, reason: str) -> SnapshotError:
        return _refuse(self.storage, self.path, f"line {number}: {reason}")

    def take(self, number: int, line: bytes) -> None:
        if len(line) > MAX_LINE:
            raise self.fail(number, "longer than any record or event; refused")
        try:
            item = _loads(line)
        except ValueError:
            item = None
        if not isinstance(item, dict) or len(item) != 1 or not ({"record", "event"} & set(item)):
            raise self.fail(number, 'not a {"record": ...} or {"event": ...} line')
        if "record" in item:
            self.record(number, item["record"])
        else:
            self.event(number, item["event"])

    def record(self, number: int, record: Any) -> None:
        if self.events:
            raise self.fail(number, "a record after the events")
        problems = stored_record_problems(record)
        if problems:
            raise self.fail(number, f"record refused: {problems[0]}")
        sequence = sequence_of(record["id"])
        if record["id"] in self.ids or sequence <= self.last:
            raise self.fail(number, f"record {record['id']} repeated or out of accession order")
        self.ids.add(record["id"])
        self.last = sequence

    def event(self, number: int, event: Any) -> None:
        from archive import schema

        if not isinstance(event, dict) or depth(event) > MAX_DEPTH:
            raise self.fail(number, "event refused: not an object, or nested too deep")
        problems = schema.problems(event, "event")
        if problems:
            raise self.fail(number, f"event refused: {problems[0]}")
        if not is_id(event["record_id"]) or event["record_id"] not in self.ids:
            raise self.fail(number, f"event of {str(event['record_id'])[:40]!r}, a record the snapshot lacks")
        self.events += 1

    def finish(self) -> None:
        header = self.header
        if len(self.ids) != header["records"] or self.events != header["events"]:
            raise _refuse(self.storage, self.path,
                          f"holds {len(self.ids)} records and {self.events} events; "
                          f"its header says {header['records']} and {header['events']}")
        if header["counter"] < self.last:
            raise _refuse(self.storage, self.path, f"its counter {header['counter']} is below its highest "
                                                   f"record's number {self.last}")


def _check_file(storage: Storage, path: str, local: Path) -> tuple[dict, Settings]:
    with open(local, "rb") as handle:
        header, settings = _header(storage, path, handle.readline(MAX_LINE))
        checker = _Checker(storage, path, header)
        for number, line in enumerate(handle, 2):
            checker.take(number, line)
    checker.finish()
    return header, settings


def load_snapshot(storage: Storage, *, staging: Path | None = None) -> Snapshot:
    """The snapshot catalog/latest.json names, downloaded into ``staging`` (the system's temporary
    folder when None) and checked whole before anything is returned: a SnapshotError otherwise."""
    latest = _read_latest(storage)
    local = _download(storage, latest["snapshot"], latest["sha256"], latest["size"], staging)
    try:
        header, settings = _check_file(storage, latest["snapshot"], local)
    except BaseException:
        local.unlink(missing_ok=True)
        raise
    return Snapshot(path=latest["snapshot"], sha256=latest["sha256"], at=header["at"],
                    archive_toml=header["archive_toml"], settings=settings, counter=header["counter"],
                    record_count=header["records"], event_count=header["events"], local=local)

