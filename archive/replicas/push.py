"""``archive replicate``: copy every bag version, source file and a catalogue snapshot a replica lacks.

What a replica lacks is read from the catalogue: a bag version whose ``bags[]`` entry has no
``replicas[NAME].replicated_at``. For each such bag, the replica's copy is listed and only the
files missing there, of the wrong size, or (where the storage keeps one) of the wrong stored
SHA-256 are sent, so a killed run resumes where it stopped. Every file goes through
``write_atomic(..., sha256=...)`` with the digest the bag's own manifest gives (the record's
``source.files`` digest for a source file): a local file that rotted is refused there, never
copied as good. A bag counts as a copy only when every one of its files is confirmed; then its
``replicated_at`` and a PREMIS replication event are written in one transaction, batched
(``RECORD_BATCH`` bags, or every ``FLUSH_SECONDS``), so a thousand bags are a handful of writes,
made by a recorder thread while the transfers go on.

Transfers run on a thread pool, one bag per task (bags are written elsewhere, so no os.chdir
here): the boto3 client is shared (it is thread-safe), SFTP gives each thread its own channel
over one SSH connection, a folder needs nothing. A file is read in ``CHUNK`` pieces and S3 sends
multipart parts, so memory stays bounded whatever a file's size. A file that fails is sent again
(``ATTEMPTS``, with backoff) on top of the storages' own request retries (botocore's standard
mode; SFTP reconnecting); ``DOWN_AFTER`` failures in a row with no success between stop the
replica with one line saying why, instead of a line per remaining bag.

A folder replica takes the same path for a bag already there but not recorded (a killed run's),
and otherwise a faster one (folder_push.py): the whole bag copied into a temporary folder, checked
against its manifests and renamed into place, with no fsync per file; one syncfs per recorded batch
makes it durable before it counts. Its source files too are written without an fsync each, under
the ``catalog/.replicate-NAME.unsynced`` mark until the run's closing syncfs. The calling thread
copies (``FOLDER_THREADS``: a second copier thread only traded the GIL; a forked one was measured
slower; two copier threads only when other work holds every core, ``LOADED_COPIERS``), the bags
first and then the sources; with ``--jobs`` above 1 a recorder thread beside it
runs syncfs ahead of the batch's own (``PRESYNC_SECONDS``) and records the batches due mid-run: a
batch holds only bags whose task returned, so every one was renamed into place before the batch's
syncfs; one batch is recorded at a time, the next growing meanwhile.

Last, when the replica was not given up on, the catalogue goes as a snapshot
(``archive.replicas.snapshot.push_snapshot``), after the copies were recorded, so a replica alone
knows what it holds; an unchanged catalogue is not sent again.

A per-replica lock (``catalog/.replicate-NAME.lock``) keeps two runs off the same replica. Nothing
is ever deleted on a replica.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from archive.clock import now_utc
from archive.config import ReplicaSettings
from archive.errors import ArchiveError, RecordNotFoundError, UsageError
from archive.events import make_event
from archive.layout import Archive
from archive.progress import Cancel, Progress, Step, cancelled
from archive.replicas.folder_push import FolderBags, Unsynced, copy_bag, copy_source
from archive.replicas.remote import bag_prefix, replica_lock, replica_settings, replica_storage, source_path
from archive.replicas.settings_io import check_target
from archive.replicas.snapshot import push_snapshot
from archive.replicas.transfer import (
    BagDone,
    Context,
    Counter,
    LocalProblem,
    SourceDone,
    Stopped,
    bag_digests,
)
from archive.source_files import SourceFile, files_of
from archive.storage.base import Entry, Storage, StorageError
from archive.storage.local import LocalStorage

CHUNK = 1 << 20
RECORD_BATCH = 250
FOLDER_RECORD_BATCH = 5000
"""A folder replica's batches are bounded by time (``FLUSH_SECONDS``) rather than by count: a
catalogue transaction costs about 15 fsyncs whatever its size (0.1-1 s on a loaded disk), more
than copying 250 bags. Since a batch is recorded by its own thread while the copiers go on
(``_Run.flush``), batches of 250 were tried for a folder too, so that a 1,000-bag run would not
record everything after its last copy: 10 rounds side by side with the time-bounded batches
(bench_replicate.py --compare-with, load 5-10) gave 0.57-1.38x, median 0.99x, with more CPU
(the extra syncfs and transactions), so the bound stayed. What the recorder thread changes is a
run longer than ``FLUSH_SECONDS``: its mid-run batches no longer stop the copiers."""
FLUSH_SECONDS = 5.0
FOLDER_THREADS = 1
"""Copiers for a folder replica: one, the calling thread. A copy is a system call every few
microseconds, each letting the GIL go; with two copier threads every one of them became a GIL
hand-off (futex wake-ups and context switches were a fifth of perf's samples), and 1,000 seed
bags took 1.9-2.2 s of CPU against 1.1-1.2 s in one thread, 1.7-2.1 s wall against 1.3-1.5 s
(seventh session, file creation not slowed by ext4's recently-deleted inodes: see
bench/README.md). The two copiers measured faster in the sixth session only where the kernel's
part was many times larger (3.9-6.4 s against 5.6-9.3 s, when ``cp -a`` too took 5 s and
more). A thread with Python to run beside the copier (a batch's record) starves it the same way
(the convoy effect: the sources took 0.4 s beside a record against 0.14 s alone), so the thread
beside it only waits in the kernel: syncfs ahead of the batch's (``PRESYNC_SECONDS``), and, for
a run longer than ``FLUSH_SECONDS``, the mid-run batches' syncfs and record."""
LOADED_COPIERS = 2
"""Copiers for a folder replica when the machine's cores are all busy with other work: there a
thread gets its share of a core, so a second copier gets the run a second share, where on free
cores it only traded the GIL. Measured beside main's two copiers (bench/README.md, seventh
session): at load 10-16 one copier took 2.62 s and 4.36 s (median of 5 rounds) against 2.18 s
and 2.99 s, for the same CPU; on a quiet machine 1.09-1.53 s against 2.03-2.12 s."""
PRESYNC_SECONDS = 0.25
"""While bags are copied to a folder, a syncfs every this often (and one when the last bag is
copied) in the recorder thread: the disk writes the bags out while the copying goes on, so the
syncfs each batch waits for before it is recorded finds little left (0.02-0.03 s against
0.14-0.27 s for 1,000 seed bags). Only the batch's own syncfs makes anything count."""
ATTEMPTS = 3
BACKOFF_S = 0.5
DOWN_AFTER = 3

__all__ = ["BagDone", "LocalProblem", "ReplicaOutcome", "ReplicationResult", "SourceDone", "Stopped",
           "record_copies", "replicate"]


@dataclass
class ReplicaOutcome:
    """What one replica got in this run."""

    name: str
    storage: str = ""
    bags_planned: int = 0
    bags_copied: int = 0
    """Bags recorded as copies in this run (some perhaps sent whole by an earlier, killed run)."""
    bags_already: int = 0
    """Bags the catalogue already counted as copies there: not looked at again."""
    files_sent: int = 0
    bytes_sent: int = 0
    sources_sent: int = 0
    failures: list[str] = field(default_factory=list)
    stopped: str = ""
    snapshot: str = ""
    """The catalogue snapshot latest.json names on the replica after this run."""
    snapshot_sent: bool = False
    """False when the replica already held a snapshot of the same catalogue."""
    cancelled: bool = False

    def line(self) -> str:
        mb = self.bytes_sent / 1e6
        text = (f"replica {self.name} ({self.storage}): {self.bags_copied} of {self.bags_planned} bags "
                f"copied ({self.files_sent} files, {mb:,.1f} MB sent; {self.sources_sent} source files), "
                f"{self.bags_already} already there")
        if self.failures:
            text += f"; {len(self.failures)} FAILED"
        if self.snapshot:
            text += f"; catalogue snapshot {'sent' if self.snapshot_sent else 'unchanged'}: {self.snapshot}"
        if self.cancelled:
            text += "; cancelled"
        return text

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "storage": self.storage, "bags_planned": self.bags_planned,
                "bags_copied": self.bags_copied, "bags_already": self.bags_already,
                "files_sent": self.files_sent, "bytes_sent": self.bytes_sent,
                "sources_sent": self.sources_sent, "failures": list(self.failures),
                "stopped": self.stopped, "snapshot": self.snapshot,
                "snapshot_sent": self.snapshot_sent, "cancelled": self.cancelled,
                "ok": not self.failures and not self.cancelled}


@dataclass
class ReplicationResult:
    replicas: list[ReplicaOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(not r.failures and not r.cancelled for r in self.replicas)

    @property
    def cancelled(self) -> bool:
        return any(r.cancelled for r in self.replicas)

    def lines(self) -> list[str]:
        return [r.line() for r in self.replicas]

    def failures(self) -> list[str]:
        """One line per failure, naming the replica and the bag or file."""
        return [line for r in self.replicas for line in r.failures]

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "cancelled": self.cancelled, "seconds": round(self.seconds, 3),
                "replicas": [r.as_json() for r in self.replicas]}


def _bag_context(ctx: Context) -> Context:
    """The context bags are sent in: on a folder replica, a second view of it whose fsyncs wait
    for ``sync`` before each batch is recorded (sources and the snapshot keep an fsync each)."""
    if not isinstance(ctx.storage, LocalStorage):
        return ctx
    deferred = LocalStorage(ctx.storage.root)
    deferred.defer_sync()
    return replace(ctx, storage=deferred, deferred=True)


# ----- planning ------------------------------------------------------------------------------


def _copied(entry: dict[str, Any], name: str) -> bool:
    copy = (entry.get("replicas") or {}).get(name)
    return isinstance(copy, dict) and bool(copy.get("replicated_at"))


def _records(arc: Archive) -> list[dict[str, Any]]:
    """Every record, deaccessioned ones too: deaccession is not deletion, their bags stay. Only
    what replication reads is kept (a catalogue of 100,000 records stays small in memory); each
    shard is read once (``documents_of``), not a ``get`` per record. Those values are the store's
    own documents' and only ever read here (a copy of every record was most of this call's cost)."""
    wanted = ("id", "bags", "source")
    ids = list(arc.store.ids())
    try:
        found = arc.store.documents_of(ids).values()
    except RecordNotFoundError:  # one went missing under us: read the rest one by one
        found = _each_found(arc, ids)
    return [{key: record[key] for key in wanted if key in record} for record in found]


def _each_found(arc: Archive, ids: list[str]) -> Iterator[dict[str, Any]]:
    for record_id in ids:
        try:
            yield arc.store.get(record_id)
        except RecordNotFoundError:
            continue


# ----- the workers ---------------------------------------------------------------------------


def _listing(storage: Storage, prefix: str) -> dict[str, Entry]:
    """The replica's files under ``prefix``, by path; {} when nothing is there yet."""
    try:
        return {e.path: e for e in storage.walk(prefix) if e.kind == "file"}
    except StorageError:
        if storage.stat(prefix) is None:
            return {}
        raise


def _confirmed(ctx: Context, there: Entry | None, size: int, sha256: str) -> bool:
    """A file under its final name was confirmed when written: right size (and stored digest);
    on a deferred folder replica its bytes are hashed again, as a crash may have lost them."""
    if there is None or there.kind != "file" or there.size != size:
        return False
    stored = there.checksums.get("sha256")
    if stored is not None:
        return stored == sha256
    if ctx.deferred:
        from archive.fixity.inventory import Inventory, hash_checked  # only after a crash: see bag_digests

        inv = Inventory(root=ctx.storage.label, storage=ctx.storage, files={there.path: there})
        try:
            return hash_checked(inv, there.path, ["sha256"])[0]["sha256"] == sha256
        except (OSError, StorageError):
            return False
    return True


class _Stream:
    """A local file's bytes in CHUNK pieces, remembering whether a failure was local or a stop."""

    def __init__(self, ctx: Context, local: Storage, rel: str, entry: Entry) -> None:
        self.ctx, self.local, self.rel, self.entry = ctx, local, rel, entry
        self.local_error: BaseException | None = None
        self.stopped = False
        self.exhausted = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            reader = self.local.open_read(self.rel, self.entry)
        except (OSError, StorageError) as exc:
            self.local_error = exc
            raise
        with reader:
            while True:
                if self.ctx.stop.is_set():
                    self.stopped = True
                    raise Stopped("stopped")
                try:
                    chunk = reader.read(CHUNK)
                except (OSError, StorageError) as exc:
                    self.local_error = exc
                    raise
                if not chunk:
                    break
                self.ctx.sent.add(len(chunk))
                yield chunk
        self.exhausted = True


def _local_sha256(local: Storage, rel: str, entry: Entry) -> str:
    from archive.fixity.inventory import Inventory, hash_checked  # imported where used: see bag_digests

    inv = Inventory(root=local.label, storage=local, files={rel: entry})
    try:
        return hash_checked(inv, rel, ["sha256"])[0]["sha256"]
    except (OSError, StorageError) as exc:
        raise LocalProblem(f"cannot read {rel} here: {getattr(exc, 'reason', None) or exc}") from None


def _send(ctx: Context, local: Storage, rel: str, entry: Entry, remote: str, sha256: str) -> None:
    """One file to the replica, confirmed against ``sha256``; retried when the replica failed."""
    last: StorageError | None = None
    for attempt in range(ATTEMPTS):
        if ctx.stop.is_set():
            raise Stopped("stopped")
        stream = _Stream(ctx, local, rel, entry)
        try:
            ctx.storage.write_atomic(remote, stream, sha256=sha256)
            return
        except Stopped:
            raise
        except Exception as exc:  # a backend's own error type (paramiko's) is a failed write too
            if stream.stopped:
                raise Stopped("stopped") from None
            if stream.local_error is not None:
                reason = getattr(stream.local_error, "reason", None) or stream.local_error
                raise LocalProblem(f"cannot read {rel} here: {reason}") from None
            if stream.exhausted and _local_sha256(local, rel, entry) != sha256:
                raise LocalProblem(f"{rel} here does not match its sha256 {sha256} (run archive verify "
                                   "and repair); not sent") from None
            last = exc if isinstance(exc, StorageError) else \
                StorageError(f"{ctx.storage.label}: {remote}: write failed: {type(exc).__name__}: {exc}")
        if attempt + 1 < ATTEMPTS and ctx.stop.wait(BACKOFF_S * 2 ** attempt):
            raise Stopped("stopped")
    assert last is not None
    raise last


def push_bag(ctx: Context, record_id: str, entry: dict[str, Any]) -> BagDone:
    """Every file of one local bag version that the replica lacks; raises on the first failure."""
    version = int(entry["version"])
    local = ctx.arc.bag_storage(record_id, version)
    from archive.fixity.inventory import walk as walk_bag  # imported where used: see bag_digests

    inv = walk_bag(local)
    if inv.problems:
        raise LocalProblem(f"the bag here cannot be copied: {inv.problems[0].line()}")
    if "bagit.txt" not in inv.files:
        raise LocalProblem(f"the bag here is missing or incomplete ({entry.get('path')}); not copied")
    digests = bag_digests(inv, entry)
    prefix = bag_prefix(record_id, version)
    remote = _listing(ctx.storage, prefix)
    sent = sent_bytes = total = 0
    for rel in sorted(inv.files):
        if ctx.stop.is_set():
            raise Stopped("stopped")
        file = inv.files[rel]
        total += file.size
        sha256 = digests.get(rel) or _local_sha256(local, rel, file)
        target = f"{prefix}/{rel}"
        if _confirmed(ctx, remote.get(target), file.size, sha256):
            continue
        _send(ctx, local, rel, file, target, sha256)
        sent += 1
        sent_bytes += file.size
    return BagDone(record_id, version, len(inv.files), total, sent, sent_bytes)


def push_bag_to_folder(bags: FolderBags, ctx: Context, record_id: str, entry: dict[str, Any]) -> BagDone:
    """A bag to a folder replica: copied whole and renamed into place (folder_push.copy_bag), or,
    when a killed run left it there unrecorded, checked and completed file by file."""
    return copy_bag(ctx, bags, record_id, entry) or push_bag(ctx, record_id, entry)


def push_sources(ctx: Context, record: dict[str, Any], remote: dict[str, Entry],
                 sources_dir: str = "", files: list[SourceFile] | None = None) -> SourceDone:
    """The record's source files (sources/<id>/), each confirmed against the catalogue's digest;
    ``sources_dir``: the archive's sources/ as a string, and ``files``: ``files_of(record)``, both
    computed once by the caller (which needs the files to plan the task)."""
    record_id = record["id"]
    sent = sent_bytes = 0
    files = files_of(record) if files is None else files
    if isinstance(ctx.storage, LocalStorage):  # a folder replica: no descent, no fsync per file
        sources_dir = sources_dir or str(ctx.arc.sources_dir)
        for item in files:
            target = source_path(record_id, item.filename)
            copied = copy_source(ctx, record_id, item.filename, item.sha256, remote.get(target),
                                 partial(_confirmed, ctx), sources_dir)
            if copied is not None:
                sent += 1
                sent_bytes += copied
        return SourceDone(record_id, sent, sent_bytes)
    local = LocalStorage(ctx.arc.sources_dir)
    for item in files:
        rel = f"{record_id}/{item.filename}"
        file = local.stat(rel)
        if file is None or file.kind != "file":
            raise LocalProblem(f"source file sources/{rel} is missing here (or not a regular file); not sent")
        sha256 = item.sha256 or _local_sha256(local, rel, file)
        target = source_path(record_id, item.filename)
        if _confirmed(ctx, remote.get(target), file.size, sha256):
            continue
        _send(ctx, local, rel, file, target, sha256)
        sent += 1
        sent_bytes += file.size
    return SourceDone(record_id, sent, sent_bytes)


# ----- recording -----------------------------------------------------------------------------


def record_copies(arc: Archive, name: str, label: str, done: list[BagDone]) -> None:
    """One transaction for a batch of confirmed bags: replicated_at and a replication event each,
    the batch's records read and written once per shard (the store's batch calls).

    The records are read as the store's documents (``peek_many``) and only the ones changed are
    copied, a bag entry at a time; the events share one ``make_event`` (its time, its agents: the
    user's name is a passwd look-up) and differ in their id and what they say."""
    at = now_utc()
    template = make_event("rep", "", bag_version=0)
    with arc.store.transaction() as tx:
        current = _found_in(tx, [bag.record_id for bag in done])
        changed: dict[str, dict[str, Any]] = {}
        events = []
        for bag in done:
            record = changed.get(bag.record_id) or current.get(bag.record_id)
            if record is None:
                continue
            changed[bag.record_id] = {**record, "bags": [_with_copy(entry, bag.version, name, at)
                                                         for entry in record.get("bags") or []]}
            events.append({
                **template, "id": str(uuid.uuid4()), "record_id": bag.record_id,
                "detail": f"bag v{bag.version} copied to replica {name} ({label}); every file's "
                          f"sha256 confirmed there",
                "outcome_detail": {"replica": name, "storage": label, "files": bag.files,
                                   "bytes": bag.bytes, "sent": bag.sent},
                "bag_version": bag.version,
            })
        tx.log_many(events)
        tx.update_many(changed.values(), bookkeeping=True)


def _with_copy(entry: dict[str, Any], version: int, name: str, at: str) -> dict[str, Any]:
    """The bag entry with ``replicas[name].replicated_at`` set when it is bag ``version``; else
    the entry itself (the store's document, never changed)."""
    if entry.get("version") != version:
        return entry
    copies = entry.get("replicas") or {}
    return {**entry, "replicas": {**copies, name: {**(copies.get(name) or {}), "replicated_at": at}}}


def _found_in(tx: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The records of ``ids`` that exist, as the store's documents (to read, never to change);
    one gone is left out, as ``get`` would."""
    try:
        return tx.peek_many(ids)
    except RecordNotFoundError:
        found = {}
        for record_id in dict.fromkeys(ids):
            try:
                found[record_id] = tx.get(record_id)
            except RecordNotFoundError:
                continue
        return found


# ----- one replica ---------------------------------------------------------------------------


@dataclass
class _Run:
    """The state of one replica's run, driven from the calling thread."""

    arc: Archive
    replica: ReplicaSettings
    jobs: int
    progress: Progress | None
    cancel: Cancel | None
    steps: Callable[[int], Step]
    outcome: ReplicaOutcome
    ctx: Context | None = None
    bag_ctx: Context | None = None
    batch: list[BagDone] = field(default_factory=list)
    flushed_at: float = field(default_factory=time.monotonic)
    failures_in_a_row: int = 0
    last_error: str = ""
    finished: int = 0
    skipped: int = 0
    batch_size: int = RECORD_BATCH
    synced: bool = False
    """The last flush's syncfs came after every task's result was taken: nothing the run wrote is
    left for a closing sync (a folder replica)."""
    recorder: ThreadPoolExecutor | None = None
    """The one thread that records batches while the copiers go on (``run``); None: each batch is
    recorded in the calling thread (``run_here``)."""
    recording: Future | None = None
    """The batch being recorded by ``recorder``; its result: whether its syncfs came after every
    task's result taken before the batch was handed over."""
    taken: int = 0
    """Tasks whose outcome was taken so far (a batch's syncfs covers only those taken before it)."""
    taken_at_handover: int = 0
    presyncing: Future | None = None
    """A syncfs started ahead of the batch's own (``_presync``)."""
    presynced_at: float = field(default_factory=time.monotonic)

    def fail(self, what: str, exc: BaseException) -> None:
        self.outcome.failures.append(f"replica {self.replica.name}: {what}: {exc}")

    def flush_due(self) -> bool:
        """A batch is due when it is big or old enough, and the last one is recorded: one at a
        time, the next growing meanwhile."""
        if self.recording is not None and not self.recording.done():
            return False
        return len(self.batch) >= self.batch_size or time.monotonic() - self.flushed_at > FLUSH_SECONDS

    def flush(self, *, last: bool = True) -> None:
        """Record the batch: handed to the recorder thread mid-run (``last`` False), so the loop
        goes on feeding the copiers while its syncfs and catalogue transaction run; in the calling
        thread otherwise, after the batch before it is recorded. Either way the batch holds only
        bags whose task returned (renamed into place) before the batch's syncfs began."""
        self._wait_recording()
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        self.flushed_at = time.monotonic()
        if self.recorder is not None and not last:
            self.taken_at_handover = self.taken
            self.recording = self.recorder.submit(self._record, batch)
            return
        self.synced = self._record(batch)

    def _wait_recording(self) -> None:
        """Wait for the batch the recorder holds; a bug there is raised here."""
        if self.recording is None:
            return
        recording, self.recording = self.recording, None
        if recording.result() and self.taken == self.taken_at_handover:
            self.synced = True

    def _record(self, batch: list[BagDone]) -> bool:
        """Make the batch durable (a folder replica: one syncfs) then record it; whether a syncfs
        ran. Called from the recorder thread or the calling thread, never both at once."""
        synced = False
        try:
            if self.bag_ctx is not None and isinstance(self.bag_ctx.storage, LocalStorage):
                self.bag_ctx.storage.sync()  # every file of the batch durable before it counts
                synced = True
            record_copies(self.arc, self.replica.name, self.outcome.storage, batch)
            self.outcome.bags_copied += len(batch)
        except (ArchiveError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.outcome.failures.append(
                f"replica {self.replica.name}: {len(batch)} bags were sent but could not be made "
                f"durable or recorded ({reason}); the next run checks them and records them")
        return synced

    def took(self, what: str, result: Any, exc: BaseException | None) -> None:
        """A finished task: its result recorded or its failure (``exc``) named."""
        self.synced = False  # whatever it came to, it may have written
        self.taken += 1
        if exc is None:
            self.failures_in_a_row = 0
            self.outcome.files_sent += result.sent
            self.outcome.bytes_sent += result.sent_bytes
            if isinstance(result, BagDone):
                self.batch.append(result)
            else:
                self.outcome.sources_sent += result.sent
            return
        if isinstance(exc, Stopped):
            self.skipped += what.startswith("bag ")
            return
        if isinstance(exc, ArchiveError) and not isinstance(exc, StorageError):  # LocalProblem among them
            self.fail(what, exc)
            return
        if not isinstance(exc, (StorageError, OSError)):
            raise exc
        self.fail(what, exc)
        self.failures_in_a_row += 1
        self.last_error = str(exc)
        if self.failures_in_a_row >= DOWN_AFTER and self.ctx is not None and not self.ctx.stop.is_set():
            self.ctx.stop.set()
            self.outcome.stopped = f"{self.failures_in_a_row} failures in a row"

    def run_here(self, tasks: deque[tuple[str, Callable[[], Any]]], *, recorder: bool = False) -> None:
        """The tasks one after the other in the calling thread: a folder replica (see
        ``FOLDER_THREADS``). Progress, cancel and the batch flushes are checked between tasks, as
        in :meth:`run`; with ``recorder``, a batch due mid-run is recorded by a thread of its own
        while the copying goes on (the last one in the calling thread, after the last task)."""
        assert self.ctx is not None
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"replicate-{self.replica.name}-record") \
            if recorder else None
        self.recorder = pool
        try:
            while tasks and not self.ctx.stop.is_set():
                what, call = tasks.popleft()
                try:
                    result, failure = call(), None
                except Exception as exc:  # sorted by took(), as a pool's future's would be
                    result, failure = None, exc
                self._count(what, result, failure)
                self._between_tasks(background=recorder)
                if pool is not None:
                    self._presync(pool, last_bag=what.startswith("bag ") and not (
                        tasks and tasks[0][0].startswith("bag ")))
        finally:
            self.ctx.stop.set()
            try:
                if self.presyncing is not None:
                    wait([self.presyncing])
                self.flush()
            finally:
                self.recorder = None
                if pool is not None:
                    pool.shutdown(wait=True)
        self._say_stopped(tasks)

    def run(self, tasks: deque[tuple[str, Callable[[], Any]]]) -> None:
        """The tasks on ``jobs`` threads (S3, SFTP; a folder replica when other work holds every
        core, ``LOADED_COPIERS``), the calling thread taking their outcomes. To a folder, the
        recorder thread also runs syncfs ahead of the batch's own, as in :meth:`run_here`: without
        it the last batch's syncfs began only after the last copy and took 0.25-0.29 s of a
        1,000-bag run (measured at load 9, `strace -T`), against 0.02-0.03 s after a presync."""
        assert self.ctx is not None
        running: dict[Future, str] = {}
        prefix = f"replicate-{self.replica.name}"
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix=prefix) as pool, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{prefix}-record") as recorder:
            self.recorder = recorder
            try:
                while tasks or running:
                    while tasks and len(running) < 2 * self.jobs and not self.ctx.stop.is_set():
                        what, call = tasks.popleft()
                        running[pool.submit(call)] = what
                    if not running:
                        break
                    done, _ = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
                    bags_before = self.finished
                    for future in done:
                        failure = future.exception()
                        self._count(running.pop(future), None if failure else future.result(), failure)
                    self._between_tasks(background=True)
                    self._presync(recorder, last_bag=bags_before < self.outcome.bags_planned <= self.finished)
            finally:
                self.ctx.stop.set()  # an exception here (a bug): let the workers stop at once
                pool.shutdown(wait=True)
                self.flush()
                self.recorder = None
        self._say_stopped(tasks)

    def _count(self, what: str, result: Any, failure: BaseException | None) -> None:
        """Take a finished task's outcome; a bag counts towards progress whatever it came to."""
        self.took(what, result, failure)
        if what.startswith("bag "):
            self.finished += 1

    def _presync(self, pool: ThreadPoolExecutor, *, last_bag: bool) -> None:
        """Start a syncfs of the folder replica in ``pool``'s thread when none is running and
        ``PRESYNC_SECONDS`` went by since the last began, or the bags are all copied: the disk
        writes what is copied so far while the copying goes on, leaving less to the syncfs that
        each batch waits for before it is recorded. Only that one counts (a presync's failure is
        the batch's syncfs's to report): this one makes nothing count."""
        if self.bag_ctx is None or not isinstance(self.bag_ctx.storage, LocalStorage):
            return
        if self.presyncing is not None and not self.presyncing.done():
            return
        now = time.monotonic()
        if not last_bag and now - self.presynced_at < PRESYNC_SECONDS:
            return
        self.presynced_at = now
        self.presyncing = pool.submit(_presync, self.bag_ctx.storage)

    def _between_tasks(self, *, background: bool = False) -> None:
        """What both loops do between tasks: show progress, honour a cancel, record a due batch
        (handed to the recorder thread when ``background``)."""
        assert self.ctx is not None
        if self.progress:
            self.progress(self.steps(self.finished))
        if cancelled(self.cancel) and not self.ctx.stop.is_set():
            self.outcome.cancelled = True
            self.ctx.stop.set()
        if self.flush_due():
            self.flush(last=not background)

    def _say_stopped(self, tasks: deque[tuple[str, Callable[[], Any]]]) -> None:
        if self.outcome.stopped:
            not_sent = self.skipped + sum(1 for what, _ in tasks if what.startswith("bag "))
            self.outcome.failures.append(
                f"replica {self.replica.name} ({self.outcome.storage}): stopped after "
                f"{self.outcome.stopped}; {not_sent} more bags were not tried; last error: {self.last_error}")


def _push_replica(arc: Archive, replica: ReplicaSettings, records: list[dict[str, Any]], *, jobs: int,
                  progress: Progress | None, cancel: Cancel | None, steps: Callable[[int], Step],
                  outcome: ReplicaOutcome) -> int:
    """Replicate to one replica; returns how many of its bags were finished (for progress)."""
    name = replica.name
    bags = [(r["id"], e) for r in records for e in r.get("bags") or []]
    pending = [(rid, e) for rid, e in bags if not _copied(e, name)]
    outcome.bags_planned = len(pending)
    outcome.bags_already = len(bags) - len(pending)
    try:
        storage = replica_storage(replica)
    except UsageError as exc:
        outcome.failures.append(f"replica {name}: {exc}")
        return 0
    outcome.storage = storage.label
    try:
        lock = replica_lock(arc, name, then="try again when it has finished")
    except ArchiveError as exc:
        outcome.failures.append(str(exc))
        return 0
    run = _Run(arc, replica, jobs, progress, cancel, steps, outcome)
    try:
        check_target(storage, create=False, archive_id=arc.settings.archive_id)
        run.ctx = Context(arc, storage, Counter(), threading.Event())
        run.bag_ctx = _bag_context(run.ctx)
        remote_sources = _listing(storage, "sources")
        ctx, bag_ctx = run.ctx, run.bag_ctx
        send_bag = push_bag
        unsynced: Unsynced | None = None
        if isinstance(storage, LocalStorage):  # a folder replica: whole bags, one rename each
            folder_bags = FolderBags.listed(storage, str(arc.bags_dir))
            folder_bags.sweep_partials({record_id for record_id, _ in pending})
            send_bag = partial(push_bag_to_folder, folder_bags)
            unsynced = Unsynced.mark(arc.catalog_dir, name)
            # Sources too are written without an fsync each; their size alone confirms one found
            # there unless a run died before its final sync (then every one is hashed again).
            ctx = replace(bag_ctx, deferred=unsynced.was_left)
        sources_dir = str(arc.sources_dir)
        source_tasks = [(f"{record['id']} sources",
                         lambda r=record, f=files: push_sources(ctx, r, remote_sources, sources_dir, f))
                        for record in records if (files := files_of(record))]
        bag_tasks = [(f"bag {record_id} v{entry['version']}",
                      lambda rid=record_id, e=entry: send_bag(bag_ctx, rid, e))
                     for record_id, entry in pending]
        # A folder: the bags first, so the sources are copied while the disk writes the bags out.
        tasks: deque[tuple[str, Callable[[], Any]]] = \
            deque(bag_tasks + source_tasks if unsynced is not None else source_tasks + bag_tasks)
        if isinstance(storage, LocalStorage):
            run.batch_size = FOLDER_RECORD_BATCH
            run.jobs = _folder_copiers(jobs)
            if run.jobs > 1:
                run.run(tasks)
            else:
                run.run_here(tasks, recorder=jobs > 1)
        else:
            run.run(tasks)
        if unsynced is not None:
            _sync_folder(bag_ctx.storage, unsynced, outcome, run.synced)
        if not outcome.stopped and not outcome.cancelled:
            _push_snapshot(arc, storage, outcome)

    except (StorageError, ArchiveError) as exc:
        outcome.failures.append(f"replica {name}: {exc}")
    except OSError as exc:  # the folder replica's bags/ or the local mark could not be made
        outcome.failures.append(f"replica {name}: {exc.filename or storage.label}: {exc.strerror or exc}")
    finally:
        lock.release()
        close = getattr(storage, "close", None)
        if callable(close):
            close()
    return run.finished


def _folder_copiers(jobs: int) -> int:
    """How many threads copy to a folder replica: ``FOLDER_THREADS``, or ``LOADED_COPIERS`` when
    other work already holds every core (the 1-minute load average at least the core count) and
    ``--jobs`` allows."""
    if jobs <= 1:
        return 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this system
        return FOLDER_THREADS
    return min(jobs, LOADED_COPIERS) if load >= (os.cpu_count() or 1) else FOLDER_THREADS


def _presync(storage: LocalStorage) -> None:
    with contextlib.suppress(StorageError):
        storage.sync()


def _sync_folder(storage: Storage, unsynced: Unsynced, outcome: ReplicaOutcome, synced: bool) -> None:
    """Everything written to a folder replica durable (the source files since the last batch),
    then the run's mark removed; a failure leaves the mark, so the next run checks by content.
    ``synced``: the last batch's syncfs came after the last write, so it made everything durable."""
    assert isinstance(storage, LocalStorage)
    try:
        if not synced:
            storage.sync()
    except StorageError as exc:
        outcome.failures.append(f"replica {outcome.name}: the files sent could not be made durable "
                                f"({exc.reason}); the next run checks them")
        return
    unsynced.clear()


def _push_snapshot(arc: Archive, storage: Storage, outcome: ReplicaOutcome) -> None:
    """The catalogue, last, so it names the copies just recorded; retried like a file."""
    for attempt in range(ATTEMPTS):
        try:
            info = push_snapshot(arc, storage)
        except StorageError as exc:
            if attempt + 1 == ATTEMPTS:
                outcome.failures.append(f"replica {outcome.name}: catalogue snapshot not sent: {exc}")
                return
            time.sleep(BACKOFF_S * 2 ** attempt)
            continue
        except (ArchiveError, OSError) as exc:
            outcome.failures.append(f"replica {outcome.name}: catalogue snapshot not sent: {exc}")
            return
        outcome.snapshot, outcome.snapshot_sent = info.snapshot, info.sent
        return


def replicate(arc: Archive, names: list[str] | None = None, *, jobs: int = 8,
              progress: Progress | None = None, cancel: Cancel | None = None) -> ReplicationResult:
    """Copy to each replica named (None: every replica in archive.toml) what it lacks."""
    started = time.monotonic()
    if names is None:
        names = sorted(arc.settings.replicas)
        if not names:
            raise UsageError("no replicas yet; add one with: archive replica add NAME URL")
    replicas = [replica_settings(arc.settings, name) for name in dict.fromkeys(names)]
    records = _records(arc)
    total = sum(1 for r in replicas for rec in records for e in rec.get("bags") or []
                if not _copied(e, r.name))
    result = ReplicationResult()
    finished_before = 0
    if progress:
        progress(Step(0, total))
    for replica in replicas:
        outcome = ReplicaOutcome(replica.name)
        result.replicas.append(outcome)
        if cancelled(cancel):
            outcome.cancelled = True
            continue
        base = finished_before
        finished_before += _push_replica(
            arc, replica, records, jobs=max(1, jobs), progress=progress, cancel=cancel,
            steps=lambda n, base=base: Step(base + n, total), outcome=outcome)
    result.seconds = time.monotonic() - started
    return result
