"""``verify --replica NAME``: every confirmed bag copy on a replica checked where it lies.

The remote bytes are streamed and hashed by the same bag check the local disk uses
(:func:`archive.fixity.bagcheck.check_bag` on the bag's :class:`PrefixedStorage`), then held to the
catalogue's pins (Payload-Oxum, the tag manifest's SHA-256), so a copy is proved against what the
archive recorded, not only against itself. ``fast`` reads no file contents: it checks completeness
and sizes, and on a storage that keeps a SHA-256 per object (S3, written at upload) compares that
stored digest with the manifests', which catches a changed object whose stored checksum changed
with it; an object with no stored digest is named, since only a full check can clear it.

Results are PREMIS fixity events naming the replica and set ``bags[i].replicas[NAME].last_fixity``
by the local rule (archive.fixity.state.next_fixity), a few hundred bags per catalogue transaction.
Bags are checked concurrently on threads: the work is waiting on the replica, and hashlib and the
reads release the GIL.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from archive.clock import now_utc
from archive.errors import ArchiveError, StoreError
from archive.events import make_event
from archive.fixity.bagcheck import check_bag
from archive.fixity.inventory import Inventory
from archive.fixity.problems import (
    CHANGED,
    FAILURE,
    FILE_KINDS,
    MISMATCH,
    MISSING,
    UNREADABLE,
    UNSAFE,
    Problem,
    error,
    warning,
)
from archive.fixity.report import BagReport, SourceReport, tally
from archive.fixity.state import next_fixity, standing_failure
from archive.fixity.tagfiles import read_whole
from archive.hashing import hash_reader
from archive.layout import Archive
from archive.progress import Cancel, Progress, Step, cancelled
from archive.replicas.manifests import TAG_MANIFEST, other_tag_manifest, parse_manifest, sha256_of
from archive.replicas.remote import (
    SOURCES,
    bag_on,
    bag_prefix,
    check_belongs,
    replica_settings,
    replica_storage,
)
from archive.source_files import files_of
from archive.storage.base import Storage, StorageError

RECORD_BATCH = 250
"""Bags recorded per catalogue transaction."""
JOBS = 8
"""Bags checked at once by default: enough to keep a remote store busy."""
MAX_TAG = 64 << 20


@dataclass(slots=True)
class CopyTask:
    """One bag version's copy to check; ``entry`` is the bags[] entry."""

    record_id: str
    entry: dict
    fast: bool
    standing: str = ""
    standing_fast: bool = False

    @property
    def version(self) -> int:
        return int(self.entry["version"])


@dataclass(slots=True)
class SourceCopyTask:
    """A record's source files on the replica (sources/<id>/), to check against the catalogue."""

    record: dict
    fast: bool


Task = CopyTask | SourceCopyTask


@dataclass(slots=True)
class ReplicaCheckResult:
    """Everything one ``verify --replica`` found; ``ok`` is what the exit code says."""

    name: str
    storage: str
    fast: bool
    started_at: str = ""
    finished_at: str = ""
    bags: list[BagReport] = field(default_factory=list)
    sources: list[SourceReport] = field(default_factory=list)
    """The records' source files on the replica (sources/<id>/), for records with a copy there."""
    not_replicated: list[str] = field(default_factory=list)
    """``ID vN`` of the bags with no confirmed copy on this replica (not checked)."""
    planned: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    unrecorded: str = ""
    stored_checksums: bool = False
    """True when --fast compared each object's stored SHA-256 (S3)."""

    @property
    def ok(self) -> bool:
        return (all(b.state != FAILURE for b in self.bags) and all(s.outcome != FAILURE for s in self.sources)
                and not (self.cancelled and not self.bags))

    def totals(self) -> dict[str, int]:
        return {**tally(self.planned, self.bags, self.sources), "not_replicated": len(self.not_replicated)}

    def summary(self) -> str:
        t = self.totals()
        stored = " and the SHA-256 the replica stored" if self.stored_checksums else ""
        mode = (f"fast check (completeness and sizes{stored}, contents not read)" if self.fast
                else "full check (every remote byte hashed)")
        head = "verify stopped early" if self.cancelled else ("all well" if self.ok else "PROBLEMS FOUND")
        files = ", ".join(f"{t[k]} {k}" for k in (*FILE_KINDS, MISMATCH) if t[k])
        rate = t["hashed_bytes"] / 1e6 / self.seconds if self.seconds else 0.0
        return (f"replica {self.name} ({self.storage}): {head}: {t['checked']} of {t['planned']} bags "
                f"checked, {t['success']} ok, {t['warning']} with warnings, {t['failure']} failed"
                + (f" ({t['standing_failures']} by an earlier check only a full check can clear)"
                   if t["standing_failures"] else "")
                + (f" ({files})" if files else "")
                + (f"; source files of {t['sources_checked']} {_records(t['sources_checked'])} checked, "
                   f"{t['sources_failed']} failed" if self.sources else "")
                + (f"; {t['not_replicated']} not on this replica yet" if t["not_replicated"] else "")
                + f"; {t['hashed_bytes'] / 1e6:.1f} MB read in {self.seconds:.1f} s "
                f"({rate:.1f} MB/s); {mode}")

    def lines(self) -> list[str]:
        """Each failing bag with every problem (one file a line), bags not replicated, the summary."""
        out: list[str] = []
        for bag in self.bags:
            if bag.state == "success":
                continue
            label = "FAILED" if bag.state == FAILURE else "warning"
            out.append(f"{label} {bag.record_id} v{bag.version} on {self.name} ({bag.path})")
            if bag.standing_note():
                out.append(f"  {bag.standing_note()}")
            out += [f"  {problem.line()}" for problem in bag.problems]
        for source in self.sources:
            if source.outcome == "success":
                continue
            label = "FAILED" if source.outcome == FAILURE else "warning"
            out.append(f"{label} {source.record_id} source files on {self.name} ({source.path})")
            out += [f"  {problem.line()}" for problem in source.problems]
        out += [f"NOT REPLICATED {item}: no confirmed copy on {self.name} yet (archive replicate {self.name})"
                for item in self.not_replicated]
        out.append(self.summary())
        return out

    def as_json(self) -> dict[str, Any]:
        return {"replica": self.name, "storage": self.storage, "fast": self.fast, "ok": self.ok,
                "stored_checksums": self.stored_checksums,
                "started_at": self.started_at, "finished_at": self.finished_at,
                "seconds": round(self.seconds, 3), "cancelled": self.cancelled,
                "recorded": not self.unrecorded, "unrecorded": self.unrecorded or None,
                "totals": self.totals(), "not_replicated": list(self.not_replicated),
                "bags": [b.to_dict() for b in self.bags],
                "sources": [s.to_dict() for s in self.sources]}


def _records(count: int) -> str:
    return "record" if count == 1 else "records"


# ----- one copy ---------------------------------------------------------------------------------
def keeps_checksums(storage: Storage) -> bool:
    """Whether ``stat`` gives each object's SHA-256 without reading it: S3, where the archive
    stores it at upload (archive.storage.s3). Folders and SFTP keep none."""
    from archive.storage.s3 import S3Storage

    return isinstance(storage, S3Storage)


def check_copy(storage: Storage, task: CopyTask, *, stored_checksums: bool = False) -> BagReport:
    """The copy of one bag version on ``storage`` (a replica's root); never raises for what the
    replica holds or cannot give: every fault is a problem naming the file."""
    rel = bag_prefix(task.record_id, task.version)
    report = BagReport(path=rel, record_id=task.record_id, version=task.version, fast=task.fast,
                       standing_failure=task.standing if task.fast else "", standing_fast=task.standing_fast)
    try:
        found = storage.stat(rel)
    except StorageError as exc:
        report.problems.append(error(UNREADABLE, "unreadable", rel, exc.reason))
        return report
    if found is None:
        report.problems.append(error(MISSING, "missing-bag", rel, "the bag folder is not on the replica"))
        return report
    if found.kind != "folder":
        report.problems.append(error(UNSAFE, "not-a-folder", rel,
                                     f"the bag path is a {found.kind}, not a folder"))
        return report
    bag = _bag_view(storage, task.record_id, task.version)
    result, inv = check_bag(bag, fast=task.fast)
    report.problems += result.problems
    report.payload_bytes, report.hashed_bytes = result.payload_bytes, result.hashed_bytes
    report.problems += against_catalogue(task, inv, f"{result.payload_bytes}.{result.payload_files}")
    if task.fast and stored_checksums:
        report.problems += _stored_digests(bag, inv, result.digests)
    return report


def _bag_view(storage: Storage, record_id: str, version: int) -> Storage:
    """The bag version on the replica as a storage rooted at the bag. A folder replica's is a
    LocalStorage of the bag folder, exactly as the local verify checks a bag of its own: through
    the PrefixedStorage view every entry of every listing and read was made again with its prefix
    stripped (dataclasses.replace), which on 1,000 seed-sized bags cost an eighth of the check and
    kept ``verify --replica`` of a folder under 80% of the local rate. The caller has just found
    the bag path to be a folder reached with no link along it (LocalStorage.stat descends with
    O_NOFOLLOW), as the local verify finds its bag folder before checking it."""
    from archive.storage.local import LocalStorage

    if type(storage) is LocalStorage:
        return LocalStorage(os.path.join(storage.root, bag_prefix(record_id, version)))
    return bag_on(storage, record_id, version)


def against_catalogue(task: CopyTask, inv: Inventory, oxum: str) -> list[Problem]:
    """The copy held to what the catalogue pinned when the bag was made: its Payload-Oxum, and
    (full check) the SHA-256 of its tagmanifest-sha256.txt, which anchors every other digest."""
    problems: list[Problem] = []
    recorded = task.entry.get("payload_oxum")
    if recorded and recorded != oxum:
        problems.append(error(MISMATCH, "oxum-differs-from-catalogue", "",
                              f"the catalogue recorded Payload-Oxum {recorded}; the copy holds {oxum}"))
    pinned = task.entry.get("tagmanifest_sha256")
    if task.fast or not pinned:
        return problems
    data, problem = read_whole(inv, TAG_MANIFEST, 64 << 20)
    if problem is not None and problem.kind == MISSING:
        problems.append(error(MISSING, "missing", TAG_MANIFEST, "the catalogue pinned this tag manifest; "
                              "it is not in the copy"))
    elif problem is not None:
        problems.append(problem)
    elif sha256_of(data or b"") != pinned:
        problems.append(error(MISMATCH, "tagmanifest-differs", TAG_MANIFEST,
                              "differs from the digest recorded when the bag was made"))
    else:
        problems += other_tagmanifests(inv, data or b"")
    return problems


def other_tagmanifests(inv: Inventory, pinned: bytes) -> list[Problem]:
    """The tag manifests no manifest lists (tagmanifest-sha512.txt) held to what confirms them: the
    bytes this archive writes for the tag files the pinned tag manifest confirms, as the local full
    verify holds them (archive.fixity.crosscheck). Catches a change BagIt itself accepts (hex in
    capitals), so a copy that restore would refuse never passes its check."""
    contents: dict[str, bytes] = {}
    for name, digest in parse_manifest(pinned).items():
        data, problem = read_whole(inv, name, MAX_TAG)
        if problem is not None or sha256_of(data or b"") != digest:
            return []  # that tag file is named already; no manifest is blamed for it
        contents[name] = data or b""
    problems: list[Problem] = []
    for rel in sorted(inv.files):
        if not (rel.startswith("tagmanifest-") and rel.endswith(".txt")) or rel == TAG_MANIFEST:
            continue
        algorithm = rel[len("tagmanifest-"):-len(".txt")]
        if algorithm not in hashlib.algorithms_available:
            continue
        actual, problem = read_whole(inv, rel, MAX_TAG)
        if problem is None and actual != other_tag_manifest(algorithm, contents):
            problems.append(error(MISMATCH, "tagmanifest-differs", rel,
                                  "is not the tag manifest this archive wrote for these tag files"))
    return problems


def _stored_digests(bag: Storage, inv: Inventory, payload: dict[str, dict[str, str]]) -> list[Problem]:
    """Fast check on a storage that keeps digests: each object's stored SHA-256 against the
    manifests' (tag files against tagmanifest-sha256.txt as the copy holds it)."""
    wanted = {path: digests["sha256"] for path, digests in payload.items() if "sha256" in digests}
    if TAG_MANIFEST in inv.files:
        data, _ = read_whole(inv, TAG_MANIFEST, 64 << 20)
        wanted.update(parse_manifest(data or b""))
    problems: list[Problem] = []
    for path in sorted(p for p in wanted if p in inv.files):
        try:
            entry = bag.stat(path)
        except StorageError as exc:
            problems.append(error(UNREADABLE, "unreadable", path, exc.reason))
            continue
        stored = entry.checksums.get("sha256") if entry is not None else None
        if entry is None:
            problems.append(error(MISSING, "missing", path, "gone since the listing"))
        elif not stored:
            problems.append(warning(CHANGED, "no-stored-checksum", path,
                                    "the replica keeps no SHA-256 for this object (not written by "
                                    "replicate); only its size was compared, a full check reads it"))
        elif stored != wanted[path]:
            problems.append(error(CHANGED, "changed", path,
                                  "the SHA-256 the replica stored differs from the manifest's"))
    return problems


def check_source_copy(storage: Storage, task: SourceCopyTask, *,
                      stored_checksums: bool = False) -> SourceReport:
    """A record's source files on the replica against the sizes and digests the catalogue holds
    (a file whose digests it does not hold, an old record's text, by size only). Fast: sizes, and
    on a storage that keeps them the stored SHA-256s."""
    record_id = task.record["id"]
    report = SourceReport(path=f"{SOURCES}/{record_id}", record_id=record_id, fast=task.fast)
    mode = ("stored" if stored_checksums else "size") if task.fast else "hash"
    for item in files_of(task.record):
        rel = f"{SOURCES}/{record_id}/{item.filename}"
        if "/" in item.filename or item.filename in ("", ".", ".."):
            report.problems.append(error(UNSAFE, "unsafe-name", rel, f"the {item.role} file: the catalogued "
                                         "name is not a plain file name; not read"))
            continue
        problem = _check_source_file(storage, rel, item.size, item.digests, mode, report)
        if problem is not None:
            report.problems.append(Problem(problem.severity, problem.kind, problem.code, problem.path,
                                           f"the {item.role} file: {problem.message}"))
    return report


def _check_source_file(storage: Storage, rel: str, size: int | None, digests: dict[str, str], mode: str,
                       report: SourceReport) -> Problem | None:
    """One source file; ``mode`` is "size", "stored" (the storage's SHA-256) or "hash"."""
    try:
        entry = storage.stat(rel)
        if entry is None:
            return error(MISSING, "missing", rel, "not on the replica")
        if entry.kind != "file":
            return error(UNSAFE, "not-a-file", rel, f"a {entry.kind}, not a file; not read")
        if size is not None and entry.size != size:
            return error(CHANGED, "changed", rel, f"{entry.size} bytes; the catalogue recorded {size}")
        if mode == "size" or not digests:
            return None
        if mode == "stored":
            kept = entry.checksums.get("sha256")
            if not kept:
                return warning(CHANGED, "no-stored-checksum", rel,
                               "the replica keeps no SHA-256 for this object")
            if "sha256" in digests and kept != digests["sha256"]:
                return error(CHANGED, "changed", rel,
                             "the SHA-256 the replica stored differs from the catalogue's")
            return None
        with storage.open_read(rel, entry) as reader:
            found, read = hash_reader(reader, list(digests), size_hint=entry.size)
        report.hashed_bytes += read
    except StorageError as exc:
        return error(UNREADABLE, "unreadable", rel, exc.reason)
    bad = sorted(a for a, want in digests.items() if found[a] != want)
    if bad:
        return error(CHANGED, "changed", rel, f"its {', '.join(bad)} differs from the catalogue")
    return None


# ----- the run ----------------------------------------------------------------------------------
def copy_tasks(records: list[dict], name: str, fast: bool) -> tuple[list[CopyTask], list[str]]:
    """A task per bag version with a confirmed copy on ``name``, and ``ID vN`` of the others."""
    tasks: list[CopyTask] = []
    absent: list[str] = []
    for record in records:
        for entry in record.get("bags") or []:
            copy = (entry.get("replicas") or {}).get(name) or {}
            if not copy.get("replicated_at"):
                absent.append(f"{record['id']} v{entry['version']}")
                continue
            last = copy.get("last_fixity")
            tasks.append(CopyTask(record["id"], dict(entry), fast,
                                  standing=standing_failure(last) if fast else "",
                                  standing_fast=bool((last or {}).get("fast"))))
    return tasks, absent


def source_copy_tasks(records: list[dict], name: str, fast: bool) -> list[SourceCopyTask]:
    """A task per record with a source and at least one confirmed bag copy on ``name``."""
    return [SourceCopyTask(record, fast) for record in records if files_of(record) and any(
        ((e.get("replicas") or {}).get(name) or {}).get("replicated_at") for e in record.get("bags") or [])]


def _source_event(report: SourceReport, name: str, label: str) -> tuple[str, str, dict, int | None]:
    """(outcome, detail, outcome_detail, bag_version) of the fix event of a record's source files."""
    mode = "fast check" if report.fast else "full fixity check"
    failures = [f"{p.kind} {p.path}: {p.code}" for p in report.problems if p.severity == "error"]
    said = f"{len(failures)} files failed" if failures else ("warnings only" if report.problems
                                                             else "all files intact")
    return (report.outcome, f"{mode} of {report.path} on replica {name} ({label}): {said}",
            {"replica": name, "storage": label, "fast": report.fast, "problems": failures[:100],
             "sources": report.path, "hashed_bytes": report.hashed_bytes}, None)


def _fix_event(report: BagReport, name: str, label: str) -> tuple[str, str, dict, int | None]:
    """(outcome, detail, outcome_detail, bag_version) of the fix event of one bag's copy."""
    counts = report.counts()
    found = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    mode = "fast check" if report.fast else "full fixity check"
    quiet = "warnings only" if report.problems else "all files intact"
    said = report.standing_note() or found or quiet
    detail = f"{mode} of {report.path} on replica {name} ({label}): {said}"
    problems = [f"{p.kind} {p.path}: {p.code}" for p in report.problems if p.severity == "error"]
    return (report.outcome, detail, {"replica": name, "storage": label, "fast": report.fast,
                                     "problems": problems[:100], "bag": report.path,
                                     "hashed_bytes": report.hashed_bytes, **counts}, report.version)


def fix_events(reports: list[BagReport | SourceReport], name: str, label: str, at: str) -> list[dict]:
    """A PREMIS fixity event per report, all stamped ``at`` (the batch's ``last_fixity`` time).

    ``make_event`` makes the first event of each outcome and every other is that one with its own
    id, record, detail and version, as the local verify makes them (archive.fixity.verify): making
    each from scratch looks up the user and the clock per event, which on 1,000 bags cost more than
    checking a seed-sized bag's copy on a folder replica.
    """
    made: dict[str, dict] = {}
    events = []
    for report in reports:
        outcome, detail, outcome_detail, version = (
            _source_event(report, name, label) if isinstance(report, SourceReport)
            else _fix_event(report, name, label))
        if outcome not in made:
            made[outcome] = make_event("fix", "", outcome=outcome)
        event = {**made[outcome], "id": str(uuid.uuid4()), "at": at, "record_id": report.record_id or "",
                 "detail": detail, "outcome_detail": outcome_detail}
        if version is not None:
            event["bag_version"] = version
        events.append(event)
    return events


def _with_check(entry: dict, name: str, report: BagReport, at: str) -> dict:
    """A changed copy of a bags[] entry: ``replicas[NAME].last_fixity`` moved on by ``report``
    (the entry itself, the parse cache's, is not changed)."""
    replicas = dict(entry.get("replicas") or {})
    copy = dict(replicas.get(name) or {})
    copy["last_fixity"] = next_fixity(copy.get("last_fixity"), report.outcome, report.fast, at)
    replicas[name] = copy
    return {**entry, "replicas": replicas}


def record_copy_checks(arc: Archive, name: str, label: str, reports: list[BagReport | SourceReport]) -> None:
    """One transaction: a fix event per copy and its ``replicas[NAME].last_fixity`` (source files
    have no fixity state of their own: their event is the record). The records are read together
    and updated together, each shard read and written once, as the local verify records a batch."""
    at = now_utc()
    reports = [r for r in reports if r.record_id is not None]
    bags = [r for r in reports if isinstance(r, BagReport)]
    with arc.store.transaction() as tx:
        current = tx.peek_many(r.record_id for r in bags if r.record_id)
        changed: dict[str, dict] = {}
        for report in bags:
            record_id = report.record_id or ""
            record = changed.get(record_id) or current[record_id]
            changed[record_id] = {**record, "bags": [
                _with_check(entry, name, report, at) if entry["version"] == report.version else entry
                for entry in record.get("bags") or []]}
        if changed:
            tx.update_many(changed.values(), bookkeeping=True)
        tx.log_many(fix_events(reports, name, label, at))


def _record(arc: Archive, result: ReplicaCheckResult, reports: list[BagReport | SourceReport]) -> None:
    """Record a batch unless the catalogue cannot be written; then checking goes on read-only."""
    if result.unrecorded or not reports:
        return
    try:
        record_copy_checks(arc, result.name, result.storage, reports)
    except (StoreError, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        result.unrecorded = f"the results could not be recorded in the catalogue ({reason})"


def _check(storage: Storage, task: Task, stored: bool) -> BagReport | SourceReport:
    if isinstance(task, SourceCopyTask):
        return check_source_copy(storage, task, stored_checksums=stored)
    return check_copy(storage, task, stored_checksums=stored)


def checked_in_order(storage: Storage, tasks: list[Task], jobs: int,
                     stored: bool) -> Iterator[BagReport | SourceReport]:
    """Reports in task order, at most ``jobs`` tasks in flight; closing the iterator stops it."""
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="replica-check")
    window: list[Future[BagReport | SourceReport]] = []
    pending = iter(tasks)
    try:
        for task in pending:
            window.append(pool.submit(_check, storage, task, stored))
            if len(window) >= jobs * 2:
                break
        while window:
            report = window.pop(0).result()
            task = next(pending, None)
            if task is not None:
                window.append(pool.submit(_check, storage, task, stored))
            yield report
    finally:
        for future in window:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def open_replica(arc: Archive, name: str) -> Storage:
    """The replica's storage, after a round trip proves it answers and its replica.json does not
    name another archive (a clear error otherwise)."""
    storage = replica_storage(replica_settings(arc.settings, name))
    try:
        if storage.stat("") is None:
            raise ArchiveError(f"replica {name} ({storage.label}): nothing there; "
                               f"run: archive replicate {name}")
    except StorageError as exc:
        raise ArchiveError(f"replica {name}: {exc}") from None
    try:
        check_belongs(storage, arc.settings.archive_id)
    except ArchiveError as exc:
        raise ArchiveError(f"replica {name}: {exc}") from None
    return storage


def verify_replica(arc: Archive, name: str, *, fast: bool = False, ids: list[str] | None = None,
                   jobs: int | None = None, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> ReplicaCheckResult:
    """Check every confirmed copy on replica ``name`` of the bags of ``ids`` (all records when
    None). Safe to call from a worker thread; ``cancel`` is polled between bags."""
    storage = open_replica(arc, name)
    result = ReplicaCheckResult(name=name, storage=storage.label, fast=fast, started_at=now_utc())
    # Read, never changed: the documents themselves, not a copy of each (see record_copy_checks).
    wanted = [row["id"] for row in arc.store.summaries()] if ids is None else ids
    records = list(arc.store.documents_of(wanted).values())
    bag_tasks, result.not_replicated = copy_tasks(records, name, fast)
    tasks: list[Task] = [*bag_tasks, *source_copy_tasks(records, name, fast)]
    result.planned = len(bag_tasks)
    total_bytes = sum(int(t.entry.get("size") or 0) for t in bag_tasks)
    started = time.monotonic()
    done_bytes = 0
    if progress:
        progress(Step(0, len(bag_tasks), 0, total_bytes))
    pending: list[BagReport | SourceReport] = []
    result.stored_checksums = fast and keeps_checksums(storage)
    reports = checked_in_order(storage, tasks, jobs or JOBS, result.stored_checksums)
    try:
        for done, (task, report) in enumerate(zip(tasks, reports, strict=False), 1):
            if isinstance(report, SourceReport):
                result.sources.append(report)
            else:
                result.bags.append(report)
            pending.append(report)
            if isinstance(task, CopyTask):
                done_bytes += int(task.entry.get("size") or 0)
            if len(pending) >= RECORD_BATCH:
                _record(arc, result, pending)
                pending = []
            if progress:
                progress(Step(len(result.bags), len(bag_tasks), done_bytes, total_bytes))
            if cancelled(cancel):
                result.cancelled = done < len(tasks)
                break
    finally:
        reports.close()  # type: ignore[attr-defined]
        _record(arc, result, pending)
    result.seconds = time.monotonic() - started
    result.finished_at = now_utc()
    return result
