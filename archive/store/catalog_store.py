"""The Store: open, read, search and write the catalogue.

Writers take an inter-process lock (a lock file beside the shards) and re-read every shard they
touch under it, so two processes never lose each other's updates; each record carries a revision,
and a write made from an older revision is refused. Readers need no lock: every file is replaced
atomically, so they always see a whole version of it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from archive.clock import now_utc
from archive.errors import RecordNotFoundError, StaleRecordError, StoreError
from archive.ids import sequence_of
from archive.records import BOOKKEEPING_WRITES, check_mode, full_check_at, good_places, serial_of
from archive.store import compaction
from archive.store.atomic import atomic_write, remove_stale_temporaries
from archive.store.history import HISTORY, SEGMENTS, HistoryFileGone, HistoryLog
from archive.store.index import SEARCH_FIELDS, IndexShard, haystack, summarize
from archive.store.lockfile import InterProcessLock, LockTimeout
from archive.store.many import validate_many
from archive.store.shard import (
    EVENTS,
    RECORDS,
    ParsedCache,
    ShardStorage,
    damaged,
    file_stamp,
    read_shard,
    shard_of,
)
from archive.store.shard_history import event_total, live_log, record_events, shard_events

# Start-up: the schema validators (jsonschema, langcodes) are imported where
# a write or a query first needs them, so read-only commands (list, show, search) never load them.

LOCK_TIMEOUT_S = 60.0
DIGEST_SCANS = 8
"""Duplicate checks answered by scanning the index files' digests before a map of them is built."""
COUNTER = "counter.json"


def summaries_of(path: Path, records: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """The index rows of a shard's records; a record whose fields have the wrong shape (a
    ``bags`` that is not a list, a creator that is a number) names the shard as damaged."""
    rows: dict[str, dict[str, Any]] = {}
    for key, doc in records.items():
        try:
            rows[doc["id"]] = summarize(doc)
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
            raise damaged(path, f"record document {key} has a field of the wrong shape "
                                f"({type(exc).__name__}: {exc})") from None
    return rows


def _without_fixity(entry: Any) -> Any:
    return {k: v for k, v in entry.items() if k != "last_fixity"} if isinstance(entry, dict) else entry


def _only_fixity_differs(current: dict, record: dict) -> bool:
    """Whether ``record`` (a bookkeeping change of ``current``, so its descriptive fields are
    equal, and the fingerprint of its metadata too) differs from ``current`` in its bags only in
    their ``last_fixity``. A top-level ``last_fixity`` is fingerprinted, so it must be equal."""
    if current.get("last_fixity") != record.get("last_fixity"):
        return False
    old, new = current.get("bags") or [], record.get("bags") or []
    if not isinstance(old, list) or not isinstance(new, list) or len(old) != len(new):
        return False
    return all(a is b or _without_fixity(a) == _without_fixity(b) for a, b in zip(old, new, strict=True))


def fixity_refreshed(row: dict[str, Any], record: dict) -> dict[str, Any]:
    """The summary row of ``record`` when ``row`` is its previous version's and only its bags'
    ``last_fixity`` or its status changed since (``_only_fixity_differs``): the fields those feed,
    and the counters, made again as ``summarize`` makes them; the rest (the metadata fingerprint
    comparison above all) cannot have changed. tests/test_index_format.py holds the two equal."""
    bags = record.get("bags") or []
    fixity = bags[-1].get("last_fixity") if bags else None
    return {**row, "status": record.get("status", ""),
            "fixity_at": fixity["at"] if fixity else "",
            "fixity_outcome": fixity["outcome"] if fixity else "",
            "fixity_mode": check_mode(fixity), "fixity_full_at": full_check_at(fixity),
            "good_on": good_places(record), "revision": record["revision"], "serial": serial_of(record),
            "updated_at": record.get("updated_at", "")}


def _copy(document: dict) -> dict:
    """A deep copy, so callers can never mutate what the parse cache holds."""
    return orjson.loads(orjson.dumps(document))


class Store:
    """A catalogue folder: ``records/`` shards, ``index/`` summaries, a counter and a lock."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.records_dir = folder / "records"
        self.index_dir = folder / "index"
        self.history_dir = folder / "history"
        self.cache = ParsedCache()
        self._file_lock: InterProcessLock | None = None
        self._thread_lock = threading.RLock()
        self._index: dict[int, IndexShard] = {}
        self._index_stamps: dict[int, Any] = {}
        self._count = 0
        self._cleaned = False
        self._by_sha256: dict[str, str] | None = None
        """Source digest -> first record holding it; built once DIGEST_SCANS lookups were made."""
        self._digest_lookups = 0

    # ----- opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path) -> Store:
        """Lay out an empty catalogue."""
        (folder / "records").mkdir(parents=True, exist_ok=True)
        (folder / "index").mkdir(parents=True, exist_ok=True)
        (folder / "history").mkdir(parents=True, exist_ok=True)
        store = cls(folder)
        if not (folder / COUNTER).exists():
            atomic_write(folder / COUNTER, orjson.dumps({"last": 0}))
        return store

    @classmethod
    def open(cls, folder: Path) -> Store:
        """Open a catalogue and load its summary index (the only part read at start-up)."""
        if not (folder / "records").is_dir():
            raise StoreError(f"{folder} holds no catalogue (records/ is missing)")
        store = cls(folder)
        store.refresh()
        return store

    @property
    def _lock(self) -> InterProcessLock:
        """The inter-process write lock, made on first use (flock on ``.lock``, see lockfile.py)."""
        if self._file_lock is None:
            self._file_lock = InterProcessLock(str(self.folder / ".lock"), timeout=LOCK_TIMEOUT_S)
        return self._file_lock

    def _shard_path(self, shard: int) -> Path:
        return self.records_dir / f"{shard:06d}.json"

    def _history(self, shard: int, data: dict) -> HistoryLog:
        """The shard's live log (its name changes with each compaction, see history.py)."""
        return live_log(self.history_dir, shard, data)

    def _read_history(self, shard: int, read: Any) -> Any:
        """``read(shard data)`` of a shard's history files, the shard read again if a file it
        listed is gone: a compaction in another process replaced it after our read of the shard."""
        path = self._shard_path(shard)
        while True:
            stamp = file_stamp(path)
            try:
                return read(read_shard(path, self.cache))
            except HistoryFileGone:
                if file_stamp(path) == stamp:
                    raise

    def _index_path(self, shard: int) -> Path:
        return self.index_dir / f"{shard:06d}.json"

    def _shards_on_disk(self) -> list[int]:
        names = os.listdir(self.records_dir)
        return sorted(int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit())

    def refresh(self) -> bool:
        """Pick up what other processes wrote since the last look; True when anything changed."""
        changed = False
        on_disk = self._shards_on_disk()
        for shard in set(self._index) - set(on_disk):
            self._forget_shard(shard)
            changed = True
        # Paths joined as text, once per folder: 391 Path objects, or os.path.join calls, at
        # 100,000 records cost more than the system calls (every command opens the store).
        records, index = os.path.join(self.records_dir, ""), os.path.join(self.index_dir, "")
        for shard in on_disk:
            name = f"{shard:06d}.json"
            stamp = file_stamp(records + name)
            known = self._index.get(shard)
            if known is not None and known.stamp == stamp:
                continue
            loaded = IndexShard.load(index + name)
            if loaded is None or loaded.stamp != stamp:
                loaded = self._rebuild_index(shard)
            else:  # its rows are read on first use: a damaged one is rebuilt then
                loaded.heal = lambda shard=shard: self._rebuild_index(shard)
            self._set_index(shard, loaded)
            changed = True
        return changed

    def changed_on_disk(self) -> bool:
        """Whether ``refresh`` would find anything: a shard added, removed or replaced since the
        store last looked (True too when the folder cannot be read: the refresh will say why).

        Safe from another thread while the owning thread uses the store: it reads a copy of what
        the store knows and changes nothing. The TUI asks from a worker every few seconds, so its
        UI thread refreshes (and stats every shard: 391 at 100,000 records) only after a change."""
        known = {shard: index.stamp for shard, index in list(self._index.items())}  # one C-level copy
        try:
            on_disk = self._shards_on_disk()
        except OSError:
            return True
        if set(on_disk) != set(known):
            return True
        records = os.path.join(self.records_dir, "")
        return any(file_stamp(f"{records}{shard:06d}.json") != stamp for shard, stamp in known.items())

    def _rebuild_index(self, shard: int) -> IndexShard:
        """Summaries straight from the shard, saved so the next open is fast again."""
        path = self._shard_path(shard)
        data = read_shard(path, self.cache)
        stamp = file_stamp(path)
        index = IndexShard(stamp=stamp, rows=summaries_of(path, data.get(RECORDS) or {}))
        with contextlib.suppress(StoreError):  # the index is a cache: a full disk must not stop reads
            atomic_write(self._index_path(shard), index.dumps(), durable=False)
        return index

    def _forget_shard(self, shard: int) -> None:
        old = self._index.pop(shard, None)
        if old:
            self._count -= old.count
            if self._by_sha256 is not None:
                for record_id, digest in zip(old.ids, old.sha256s, strict=True):
                    if self._by_sha256.get(digest) == record_id:
                        del self._by_sha256[digest]

    def _set_index(self, shard: int, index: IndexShard) -> None:
        self._forget_shard(shard)
        self._index[shard] = index
        self._count += index.count
        if self._by_sha256 is not None:
            self._add_digests(self._by_sha256, index)

    @staticmethod
    def _add_digests(by_sha256: dict[str, str], index: IndexShard) -> None:
        for record_id, digest in zip(index.ids, index.sha256s, strict=True):
            if digest:
                by_sha256.setdefault(digest, record_id)

    # ----- reading -------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    def summaries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every record's summary in accession order, optionally of one status."""
        rows: list[dict[str, Any]] = []
        with _collector_paused():
            for shard in sorted(self._index):
                values = self._index[shard].rows.values()
                rows.extend(values if status is None else (r for r in values if r["status"] == status))
        return rows

    def search_text_pages(self) -> Iterator[tuple[list[dict[str, Any]], list[str]]]:
        """Every record's summary in accession order with, line for line, the text ``search``
        looks in (``haystack``), one shard at a time.

        For a caller that shows the first records before the rest are read and searches the same
        rows again as a query is typed (the TUI): at 100,000 records reading every summary costs
        most of a second, one shard's a millisecond, and the texts come from the index file rather
        than being made again row by row. The shards are those known when the iteration starts.
        """
        for _, index in sorted(self._index.items()):
            rows = list(index.rows.values())
            texts = index.hay.split("\n") if rows else []
            if len(texts) != len(rows):  # cannot happen for a valid index: hay has a line per row
                texts = [haystack(row) for row in rows]
            yield rows, texts

    def summary(self, record_id: str) -> dict[str, Any]:
        index = self._index.get(shard_of(sequence_of(record_id)))
        if index is None or record_id not in index.rows:
            raise RecordNotFoundError(f"no record {record_id}")
        return index.rows[record_id]

    def search(self, query: str, field: str | None = None) -> list[dict[str, Any]]:
        """Records whose metadata contains every word of ``query``, case-insensitively."""
        words = query.casefold().split()
        if field is not None and field not in SEARCH_FIELDS:
            raise StoreError(f"cannot search field {field!r}; use one of {', '.join(SEARCH_FIELDS)}")
        hits: list[dict[str, Any]] = []
        with _collector_paused():
            for shard in sorted(self._index):
                index = self._index[shard]
                if field is None:
                    hits.extend(index.matching(words))
                    continue
                for row in index.rows.values():
                    text = haystack(row, (field,))
                    if all(w in text for w in words):
                        hits.append(row)
        return hits

    def find_by_sha256(self, digest: str) -> str | None:
        """The id of a record whose source has this digest, for duplicate warnings."""
        if not digest:
            return None
        self._digest_lookups += 1
        if self._by_sha256 is None and self._digest_lookups <= DIGEST_SCANS:
            # One add: scan each shard's raw digests line rather than parse them all into a map.
            return next((found for shard in sorted(self._index)
                         if (found := self._index[shard].holding(digest))), None)
        if self._by_sha256 is None:  # an import: from the digests alone, no summary row is parsed
            self._by_sha256 = {}
            for shard in sorted(self._index):
                self._add_digests(self._by_sha256, self._index[shard])
        return self._by_sha256.get(digest)

    def get(self, record_id: str) -> dict:
        """The full record, read from its shard (parsed shards are cached)."""
        data = read_shard(self._shard_path(shard_of(sequence_of(record_id))), self.cache)
        doc = (data.get(RECORDS) or {}).get(str(sequence_of(record_id)))
        if doc is None or doc.get("id") != record_id:
            raise RecordNotFoundError(f"no record {record_id}")
        return _copy(dict(doc))

    def records_of(self, ids: Iterable[str]) -> dict[str, dict]:
        """The full records of ``ids`` (each once, in the order first asked), as ``get`` returns
        them: for a caller that reads thousands at once (verify, audit, a batch of bookkeeping).

        Each shard is read once (one stat and parse-cache look-up) and its records copied in one
        JSON round trip; a ``get`` per record pays those per record, most of a batch's cost.
        """
        docs = self.documents_of(ids)
        return dict(zip(docs, orjson.loads(orjson.dumps(list(docs.values()))), strict=True))

    def documents_of(self, ids: Iterable[str]) -> dict[str, dict]:
        """``records_of`` without the copy: the parsed documents themselves, which the caller
        must not change (the parse cache holds them; make changed copies, as ``dict(doc)``). For
        readers of thousands that only read (a verify's planning, the store's own checks of a
        write): the copy per record was most of what they cost."""
        order = list(dict.fromkeys(ids))
        by_shard: dict[int, list[str]] = {}
        for record_id in order:
            by_shard.setdefault(shard_of(sequence_of(record_id)), []).append(record_id)
        found: dict[str, dict] = {}
        for shard, wanted in by_shard.items():
            table = read_shard(self._shard_path(shard), self.cache).get(RECORDS) or {}
            found.update((i, doc) for i in wanted
                         if (doc := table.get(str(sequence_of(i)))) is not None and doc.get("id") == i)
        missing = next((i for i in order if i not in found), None)
        if missing is not None:
            raise RecordNotFoundError(f"no record {missing}")
        return {record_id: found[record_id] for record_id in order}

    def events(self, record_id: str) -> list[dict]:
        """The record's events, oldest first (by time, then in the order they were committed).

        Reads only this record's range of each history segment and its lines of its shard's live
        log (see archive/store/history.py), plus, in a shard not yet written since the upgrade, its
        old ``events`` table.
        """
        sequence = sequence_of(record_id)
        return self._read_history(shard_of(sequence), lambda data: self._events_in(data, record_id))

    def history(self, record_id: str) -> list[dict]:
        """``events`` of a record that exists (RecordNotFoundError otherwise), from one read of its
        shard: what ``archive history ID`` prints, with nothing read but that shard and the
        record's own lines of the log (no summary index row is parsed)."""
        sequence = sequence_of(record_id)

        def read(data: dict) -> list[dict]:
            doc = (data.get(RECORDS) or {}).get(str(sequence))
            if doc is None or doc.get("id") != record_id:
                raise RecordNotFoundError(f"no record {record_id}")
            return self._events_in(data, record_id)

        return self._read_history(shard_of(sequence), read)

    def _events_in(self, data: dict, record_id: str) -> list[dict]:
        sequence = sequence_of(record_id)
        shard = shard_of(sequence)
        old = [(int(key), e) for key, e in (data.get(EVENTS) or {}).items() if e["record_id"] == record_id]
        found = [_copy(e) for _, e in sorted(old, key=lambda pair: pair[0])]
        found.extend(record_events(self.history_dir, shard, data, sequence, record_id))
        return sorted(found, key=lambda e: e["at"])  # stable: ties keep the committed order

    def iter_events(self) -> Iterator[dict]:
        """Every committed event of the catalogue, streamed: shard by shard in accession order,
        each shard's events in the order they were committed (an unmigrated shard's old table in
        its document order; a compacted shard's segments record by record first, see
        shard_history.py). For PREMIS export and replicas; memory stays small."""
        for shard in self._shards_on_disk():
            data = read_shard(self._shard_path(shard), self.cache)
            old = data.get(EVENTS) or {}
            for key in sorted(old, key=int):
                yield _copy(old[key])
            events = self._read_history(shard, functools.partial(self._opened_events, shard))
            yield from events

    def _opened_events(self, shard: int, data: dict) -> Iterator[dict]:
        """``shard_events`` started, so its files are open (or HistoryFileGone raised) now."""
        events = shard_events(self.history_dir, shard, data)
        first = next(events, None)
        if first is None:
            return iter(())
        return itertools.chain((first,), events)

    def ids(self) -> list[str]:
        """Every record's id in accession order, as ``summaries`` lists them, from each index
        shard's id list alone: no summary row is parsed (at 100,000 records the rows were 131 MB
        of an audit's peak memory, which reads only the ids)."""
        return [record_id for shard in sorted(self._index) for record_id in self._index[shard].ids]

    def last_sequence(self) -> int:
        """The highest accession number ever handed out (the counter, healed as ``_last_sequence``
        does): what a catalogue snapshot carries so a restored archive never reuses an id."""
        return self._last_sequence()

    def event_count(self) -> int:
        """How many committed events the catalogue holds, from the shards' heads alone (no log is
        read): a snapshot's header states it before its event lines are streamed."""
        total = 0
        for shard in self._shards_on_disk():
            data = read_shard(self._shard_path(shard), self.cache)
            total += len(data.get(EVENTS) or {})
            total += event_total(data)
        return total

    # ----- writing -------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the inter-process write lock (re-entrant within this process)."""
        with self._thread_lock:
            try:
                self._lock.acquire()
            except LockTimeout:
                raise StoreError(
                    f"the catalogue is busy: another process has held its lock for "
                    f"{LOCK_TIMEOUT_S:.0f} s; try again"
                ) from None
            try:
                if self._lock.lock_counter == 1 and not self._cleaned:
                    # Temporaries are only left by a killed writer; once per process is enough.
                    remove_stale_temporaries(self.records_dir)
                    remove_stale_temporaries(self.index_dir)
                    remove_stale_temporaries(self.folder)
                    remove_stale_temporaries(self.history_dir)
                    self._cleaned = True
                yield
            finally:
                self._lock.release()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Group writes: all are checked first, then each touched shard is written once."""
        with self.locked():
            tx = Transaction(self)
            yield tx
            tx.commit()

    def _last_sequence(self) -> int:
        """The highest sequence ever handed out: the counter, or a record beyond it.

        Only the highest shard can hold a record beyond the counter (a writer killed between
        its shard and its counter write), so only that shard is read.
        """
        try:
            last = int(orjson.loads((self.folder / COUNTER).read_bytes())["last"])
        except (OSError, orjson.JSONDecodeError, KeyError, ValueError, TypeError):
            last = 0
        shard = shard_of(max(last, 1))
        if not self._shard_path(shard).exists():
            shards = self._shards_on_disk()  # the counter was lost: look at every shard
            shard = shards[-1] if shards else 0
        while self._shard_path(shard + 1).exists():
            shard += 1
        data = read_shard(self._shard_path(shard), self.cache)
        return max([last, *(int(k) for k in (data.get(RECORDS) or {}))])

    def _save_counter(self, last: int) -> None:
        # Not fsynced: the shards are, and _last_sequence() reads the highest one as well.
        atomic_write(self.folder / COUNTER, orjson.dumps({"last": last}), durable=False)

    def _write_shard(self, shard: int, puts: list[dict], events: list[dict],
                     fixity_only: set[str] | frozenset[str] = frozenset()) -> None:
        path = self._shard_path(shard)
        # The shard's TinyDB storage, used directly: a TinyDB around it added nothing but the
        # import of tinydb to every add and edit (issue 13).
        storage = ShardStorage(str(path), self.cache)
        stamp_before = file_stamp(path)
        data = storage.read() or {}
        records = dict(data.get(RECORDS) or {})
        for record in puts:
            records[str(sequence_of(record["id"]))] = record
        heads = dict(data.get(HISTORY) or {})
        old_table = data.get(EVENTS) or {}
        # An old shard's events move into the log on its first write, before this write's own.
        pending = [(sequence_of(old_table[k]["record_id"]), old_table[k]) for k in sorted(old_table, key=int)]
        pending += [(sequence_of(event["record_id"]), event) for event in events]
        log = self._history(shard, data)
        new_heads = log.append(heads, pending) if pending else heads
        # One TinyDB write per shard per transaction, and the commit of the appended events:
        # insert_multiple/upsert would rewrite the file once per document.
        written = {RECORDS: records, HISTORY: new_heads}
        if data.get(SEGMENTS):
            written[SEGMENTS] = data[SEGMENTS]
        try:
            storage.write(written)
        except BaseException:
            if pending:
                log.roll_back(heads)
            raise
        if compaction.due(written):
            # The transaction is committed; a compaction that fails (a full disk) leaves the
            # history as it was and the next write of this shard tries again.
            with contextlib.suppress(StoreError):
                compaction.compact(self.history_dir, shard, written, storage.write)
        index = self._index.get(shard)
        if index is not None and index.stamp == stamp_before:
            rows = dict(index.rows)
        else:  # another process wrote this shard since we indexed it: start from the shard
            rows = summaries_of(path, records)
            fixity_only = frozenset()  # its rows are the new records' already
        for record in puts:
            row = rows.get(record["id"]) if record["id"] in fixity_only else None
            rows[record["id"]] = summarize(record) if row is None else fixity_refreshed(row, record)
        new_index = IndexShard(stamp=file_stamp(path), rows=rows)
        with contextlib.suppress(StoreError):  # the shard is durable; a stale index is rebuilt
            atomic_write(self._index_path(shard), new_index.dumps(), durable=False)
        self._set_index(shard, new_index)


class Transaction:
    """Writes staged under the lock, validated, then committed shard by shard."""

    def __init__(self, store: Store):
        self.store = store
        self._puts: dict[str, dict] = {}
        self._fixity_only: set[str] = set()
        """Staged records whose change since disk is only to their fixity state (``update_many``)."""
        self._events: list[dict] = []
        self._last_sequence: int | None = None

    def reserve_sequences(self, count: int) -> list[int]:
        """New sequence numbers, persisted only if the transaction commits.

        Numbers are never reused once a record holding them is written; an aborted transaction
        leaves the counter (and so the whole catalogue) exactly as it was.
        """
        if self._last_sequence is None:
            self._last_sequence = self.store._last_sequence()
        first = self._last_sequence + 1
        self._last_sequence += count
        return list(range(first, first + count))

    def reserve_through(self, sequence: int) -> None:
        """Move the counter past ``sequence``, a number taken from outside (an ingested bag's id),
        so it is never handed out again; persisted only if the transaction commits."""
        if self._last_sequence is None:
            self._last_sequence = self.store._last_sequence()
        self._last_sequence = max(self._last_sequence, sequence)

    def get(self, record_id: str) -> dict:
        """The record as it is now on disk (or as staged in this transaction)."""
        if record_id in self._puts:
            return _copy(self._puts[record_id])
        return self.store.get(record_id)  # read through the shard's stamp check: always current

    def insert(self, record: dict) -> dict:
        """Stage a new record at revision 1 (and serial 1)."""
        record = dict(record)
        stamp = now_utc()
        record.setdefault("created_at", stamp)
        record["updated_at"] = stamp
        record["revision"] = record["serial"] = 1
        from archive import schema

        schema.validate(record)
        self._puts[record["id"]] = record
        return record

    def put_restored(self, record: dict) -> dict:
        """Stage a record exactly as another copy of this archive holds it (a restore from a
        replica): id, revision, serial and timestamps kept, so the restored catalogue equals the
        original record for record. Validated like every write; refused when the id is taken."""
        from archive import schema

        schema.validate(record)
        if record["id"] in self._puts or self._exists(record["id"]):
            raise StoreError(f"{record['id']} is already in this catalogue; "
                             "a restore only fills an empty one")
        self._puts[record["id"]] = _copy(record)
        return record

    def _exists(self, record_id: str) -> bool:
        try:
            self.store.get(record_id)
        except RecordNotFoundError:
            return False
        return True

    def update(self, record: dict, *, expected_revision: int | None = None,
               bookkeeping: bool = False) -> dict:
        """Stage a change, refused when the record moved on since the copy it was made from.

        Two counters: ``serial`` moves on every write, ``revision`` only on the archivist's own
        changes (add, edit, a form's save, deaccession), so "revision 2" means the second version
        of what someone typed. ``bookkeeping=True`` marks what the archive records about a record
        (a bag written, a fixity check, a deposit): it may change only ``BOOKKEEPING_WRITES``,
        leaves ``revision`` and ``updated_at`` alone, and is refused if any write came between
        (stale ``serial``). An archivist's change is refused when another archivist's change came
        between (stale ``revision``, or ``expected_revision``) or when its copy predates a
        bookkeeping write it would undo (stale ``serial``).
        """
        from archive import schema

        record = self._checked_update(record, self.get(record["id"]), expected_revision, bookkeeping)
        schema.validate(record)
        self._fixity_only.discard(record["id"])
        self._puts[record["id"]] = record
        return record

    def get_many(self, ids: Iterable[str]) -> dict[str, dict]:
        """``get`` for many records at once (each once, in the order first asked): the staged as
        staged, the rest as they are now on disk, each shard read once (``Store.records_of``)."""
        order = list(dict.fromkeys(ids))
        on_disk = self.store.records_of(i for i in order if i not in self._puts)
        return {i: on_disk[i] if i in on_disk else _copy(self._puts[i]) for i in order}

    def update_many(self, records: Iterable[dict], *, bookkeeping: bool = False) -> list[dict]:
        """``update`` for many records (each from the copy the caller read, with the same checks
        of revision, serial, bookkeeping fields and schema), their current versions read in one
        go: for a batch of thousands (a verify's fixity results), not a ``get`` per record."""
        records = list(records)
        current = self.peek_many(r["id"] for r in records)  # only read, so not copied
        staged = []
        for record in records:  # a record given twice is checked against its first change, as update would
            staged.append(self._checked_update(record, current[record["id"]], None, bookkeeping))
            self._note_fixity_only(current[record["id"]], staged[-1], bookkeeping)
            current[record["id"]] = staged[-1]
        validate_many(staged)
        for record in staged:
            self._puts[record["id"]] = record
        return staged

    def peek_many(self, ids: Iterable[str]) -> dict[str, dict]:
        """``get_many`` without the copies: the current version of each record (staged, else on
        disk) to read, never to change; a caller stages a changed copy (``{**doc, "bags": ...}``).
        A verify's batch of fixity results used to copy each record twice to change one field."""
        order = list(dict.fromkeys(ids))
        on_disk = self.store.documents_of(i for i in order if i not in self._puts)
        return {i: on_disk[i] if i in on_disk else self._puts[i] for i in order}

    def _note_fixity_only(self, current: dict, record: dict, bookkeeping: bool) -> None:
        """Remember whether ``record`` differs from the version on disk only in what feeds the
        fixity fields of its summary row (its bags' ``last_fixity``, its status), so the commit
        updates those fields of the row instead of summarizing the record again (which hashes its
        metadata): a verify changes nothing else. Staged twice, both changes must be such."""
        record_id = record["id"]
        first = record_id not in self._puts
        still = first or record_id in self._fixity_only
        if bookkeeping and still and _only_fixity_differs(current, record):
            self._fixity_only.add(record_id)
        else:
            self._fixity_only.discard(record_id)

    def log_many(self, events: Iterable[dict]) -> None:
        """``log`` for many events: each validated before any is staged."""
        events = list(events)
        validate_many(events, "event")
        self._events.extend(events)

    def _checked_update(self, record: dict, current: dict, expected_revision: int | None,
                        bookkeeping: bool) -> dict:
        """The record as it will be written, once the revision, serial and bookkeeping checks
        pass against ``current`` (the record as it is now); its schema is the caller's check."""
        if not bookkeeping:
            expected = record.get("revision") if expected_revision is None else expected_revision
            if expected != current["revision"]:
                raise StaleRecordError(
                    f"{record['id']} was changed elsewhere (now revision {current['revision']}, "
                    f"you edited revision {expected}); reload it and edit again"
                )
        if serial_of(record) != serial_of(current):
            raise StaleRecordError(
                f"{record['id']} was updated elsewhere since it was read (now revision "
                f"{current['revision']}); reload it and try again"
            )
        if bookkeeping:
            self._check_bookkeeping(current, record)
        record = dict(record)
        record["created_at"] = current["created_at"]
        record["serial"] = serial_of(current) + 1
        if bookkeeping:
            record["revision"], record["updated_at"] = current["revision"], current["updated_at"]
        else:
            record["revision"] = current["revision"] + 1
            record["updated_at"] = now_utc()
        return record

    @staticmethod
    def _check_bookkeeping(current: dict, record: dict) -> None:
        """A bookkeeping write changes what the archive records, never what the archivist typed."""
        ignored = {"revision", "serial", "updated_at", "created_at"}
        keys = (set(current) | set(record)) - ignored
        changed = sorted(k for k in keys if current.get(k) != record.get(k))
        wrong = [k for k in changed if k not in BOOKKEEPING_WRITES]
        if record.get("status") != current.get("status") and "deaccessioned" in (
            record.get("status"), current.get("status")
        ):
            wrong.append("status")
        if wrong:
            raise StoreError(
                f"{record['id']}: a bookkeeping write may not change {', '.join(sorted(set(wrong)))}; "
                "that is an edit and needs a new revision"
            )

    def log(self, event: dict) -> None:
        """Stage an event; validated here so a bad one never reaches disk."""
        from archive import schema

        schema.validate(event, "event")
        self._events.append(event)

    def commit(self) -> None:
        by_shard: dict[int, tuple[list[dict], list[dict]]] = {}
        for record in self._puts.values():
            by_shard.setdefault(shard_of(sequence_of(record["id"])), ([], []))[0].append(record)
        for event in self._events:
            by_shard.setdefault(shard_of(sequence_of(event["record_id"])), ([], []))[1].append(event)
        for shard, (puts, events) in sorted(by_shard.items()):
            self.store._write_shard(shard, puts, events, self._fixity_only)
        if self._last_sequence is not None:
            # After the shards: a crash in between is healed by _last_sequence() reading the
            # highest id on disk, so a written id is never handed out again.
            self.store._save_counter(self._last_sequence)
        self._puts.clear()
        self._fixity_only.clear()
        self._events.clear()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector held off while rows are parsed in bulk: rows are JSON values,
    which hold no cycles, and its passes over the ever longer list of them cost a search of
    every record at 100,000 (``search a``) a third of its time. Left as it was found (another
    thread, or the caller, may have it off)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
