"""Verify the archive: every bag of every record (or of the records named), orphans, bag folders
gone, each record's working copy in sources/, and what killed runs left there.

Bags are independent, so they are checked in a process pool (every core by default); results come
back as they finish, are recorded in the catalogue a few hundred at a time (a ``fix`` event per
bag and the bag's ``last_fixity``), and are reported through ``progress``. ``cancel`` is polled
between bags, so the TUI can stop a long run from its worker thread and keep what was checked.
Nothing here changes the working directory or installs signal handlers.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from archive.clock import now_utc
from archive.errors import StoreError
from archive.events import make_event
from archive.fixity.crosscheck import BagTask, check_task
from archive.fixity.report import BagReport, SourceReport, VerifyReport
from archive.fixity.state import next_fixity, standing_failure
from archive.fixity.workingcopy import SourceTask, source_task
from archive.ids import is_id, sequence_of
from archive.layout import Archive
from archive.leftovers import unclaimed_sources
from archive.processes import die_with_parent
from archive.progress import Cancel, Progress, Step, cancelled
from archive.store.shard import shard_of

Task = BagTask | SourceTask

RECORD_BATCH = 250
"""Bags recorded per catalogue transaction, at least: each touched shard is written once per batch,
so a batch grows to the end of the shard its last record is in (bags come in accession order, and
a shard holds SHARD_SIZE neighbouring records), and each shard is written once per verify."""
MAX_BATCH = 4 * RECORD_BATCH
"""...but never more than this, so a killed run loses at most this many recorded results."""
INLINE_BELOW = 8
"""Fewer bags than this are checked in the calling process; a pool would only add start-up time."""
PLAN_PAGE = 1024
"""Records read at a time while planning (four catalogue shards): a 100,000-record verify held
every record and every task at once at its peak."""
CHUNK = 256
"""Tasks sent to a worker at a time, at most. A worker holds its chunk and one more queued
(ProcessPoolExecutor queues one call beyond its workers), and gets the next only when the parent's
manager thread runs; on a loaded machine the parent (which also reads the catalogue and records
results) waits its turn for a core, and with small chunks the workers then sat idle waiting for
it. A chunk of this many bags and working copies is a few tenths of a second of work, which is also
how long a cancelled run waits for the chunks already running."""


def tasks_for(arc: Archive, records: Iterable[dict], fast: bool,
              versions: dict[str, set[int]] | None = None) -> list[BagTask]:
    """One task per bag version the records claim (or only the ``versions`` asked for)."""
    tasks = []
    root = str(arc.root)
    for record in records:
        for entry in record.get("bags") or []:
            if versions is not None and entry["version"] not in versions.get(record["id"], set()):
                continue
            tasks.append(BagTask(root=root, rel=entry["path"], record_id=record["id"],
                                 version=entry["version"], fast=fast, expect=dict(entry),
                                 source=dict(record.get("source") or {}),
                                 standing=standing_failure(entry.get("last_fixity")) if fast else "",
                                 standing_fast=bool((entry.get("last_fixity") or {}).get("fast"))))
    return tasks


def source_tasks_for(arc: Archive, records: Iterable[dict], fast: bool) -> list[SourceTask]:
    """One task per record's working copy in sources/ (bagged or not)."""
    root = str(arc.root)
    return [task for record in records if (task := source_task(root, record, fast)) is not None]


def find_leftovers(arc: Archive) -> list[str]:
    """What a killed add, import or ingest left in sources/, relative to the root (warnings)."""
    found = []
    for path in unclaimed_sources(arc):
        try:
            found.append(path.relative_to(arc.root).as_posix())
        except ValueError:
            found.append(str(path))
    return found


def find_orphans(arc: Archive, records: Iterable[dict]) -> list[str]:
    """Folders under bags/ that no record's bags[] claims (a crash, a copy, a deleted record)."""
    return orphans_beside(arc, claimed_bags(records))


def claimed_bags(records: Iterable[dict]) -> set[str]:
    """Every bag folder (relative to the root) the records' bags[] claim."""
    return {entry["path"] for record in records for entry in record.get("bags") or []}


def orphans_beside(arc: Archive, claimed: set[str]) -> list[str]:
    """Folders under bags/ that are not among ``claimed``; reads bags/ only, not the catalogue."""
    orphans: list[str] = []
    bags = arc.bags_storage()
    for record_dir in bags.list_folder():
        rel = f"bags/{record_dir.path}"
        if record_dir.kind != "folder":
            orphans.append(rel)
            continue
        for version_dir in bags.list_folder(record_dir.path):
            path = f"bags/{version_dir.path}"
            if path not in claimed:
                orphans.append(path)
    return orphans


def _expected_bytes(task: Task) -> int:
    if isinstance(task, SourceTask):
        return 0 if task.fast else sum(f.size or 0 for f in task.files)
    oxum = str(task.expect.get("payload_oxum", "0.0")).split(".")[0]
    return int(task.expect.get("size") or (oxum if oxum.isdigit() else 0))


def _new_pool(jobs: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["archive.fixity.crosscheck"])
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=die_with_parent,
                               initargs=(os.getpid(),))


class EarlyPool:
    """The worker pool, started on a thread of its own while the caller plans the checks.

    Starting it (the fork server imports the checker, then forks each worker) takes a few hundred
    milliseconds of CPU the parent would otherwise wait for after planning; on a thread it runs
    beside the reading of the catalogue and the orphan scan, on the other core. ``take`` waits for
    it (and raises what starting raised); ``close`` shuts down a pool nobody took.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._error: BaseException | None = None
        self._taken = False
        self._thread = threading.Thread(target=self._start, name="verify-pool-start", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            pool = _new_pool(self.jobs)
            self._pool = pool
            for started in [pool.submit(os.getpid) for _ in range(self.jobs)]:  # a worker each, now
                started.result()
        except BaseException as exc:  # handed to the caller's thread by take()
            self._error = exc

    def take(self) -> ProcessPoolExecutor:
        self._thread.join()
        if self._error is not None:
            self.close()
            raise self._error
        assert self._pool is not None
        self._taken = True
        return self._pool

    def close(self) -> None:
        """Shut the pool down unless ``take`` handed it on (its taker shuts it down)."""
        self._thread.join()
        if self._pool is not None and not self._taken:
            self._pool.shutdown(wait=True, cancel_futures=True)


def early_pool(jobs: int | None, expected_tasks: int) -> EarlyPool | None:
    """A pool started now when ``expected_tasks`` will be checked in one, else None."""
    jobs = jobs or os.cpu_count() or 1
    return EarlyPool(jobs) if jobs > 1 and expected_tasks >= INLINE_BELOW else None


def _results(tasks: list[Task], jobs: int, early: EarlyPool | None = None,
             ) -> tuple[Iterator[BagReport | SourceReport], Callable[[], None]]:
    """Reports in task order, and a function that abandons the rest."""
    if jobs <= 1 or len(tasks) < INLINE_BELOW:
        if early is not None:
            early.close()
        return (check_task(t) for t in tasks), lambda: None
    pool = early.take() if early is not None else _new_pool(jobs)
    chunk = max(1, min(CHUNK, len(tasks) // (jobs * 8)))

    def stop() -> None:
        pool.shutdown(wait=True, cancel_futures=True)

    def generate() -> Iterator[BagReport]:
        try:
            yield from pool.map(check_task, tasks, chunksize=chunk)
        finally:
            stop()

    return generate(), stop


def _fix_detail(report: BagReport) -> tuple[str, dict]:
    counts = report.counts()
    found = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    mode = "fast check (completeness and Payload-Oxum only)" if report.fast else "full fixity check"
    quiet = "warnings only" if report.problems else "all files intact"
    detail = f"{mode} of {report.path}: {found or quiet}"
    if report.standing_note():
        detail = f"{mode} of {report.path}: {report.standing_note()}"
    failures = [f"{p.kind} {p.path}: {p.code}" for p in report.problems if p.severity == "error"]
    return detail, {**counts, "fast": report.fast, "bag": report.path,
                    "hashed_bytes": report.hashed_bytes, "failures": failures[:100]}


def _fix_event(report: BagReport) -> dict:
    detail, outcome_detail = _fix_detail(report)
    return make_event("fix", report.record_id or "", outcome=report.outcome, detail=detail,
                      outcome_detail=outcome_detail, bag_version=report.version)


def fix_events(reports: list[BagReport], at: str) -> list[dict]:
    """A PREMIS fixity event per report, all stamped ``at`` (the batch's ``last_fixity`` time).

    ``make_event`` makes one event per outcome in the batch and every event is that one with its
    own id, record, detail and version: making each from scratch looks up the user and the clock
    per event, half of what recording a bag cost.
    """
    made: dict[str, dict] = {}
    ids = uuid_batch(len(reports))
    events = []
    for report, event_id in zip(reports, ids, strict=True):
        outcome = report.outcome
        if outcome not in made:
            made[outcome] = _fix_event(report)
        detail, outcome_detail = _fix_detail(report)
        events.append({**made[outcome], "id": event_id, "at": at, "record_id": report.record_id or "",
                       "detail": detail, "outcome_detail": outcome_detail, "bag_version": report.version})
    return events


def uuid_batch(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs, as ``uuid.uuid4`` makes them, from one read of the
    system's random source instead of one per id."""
    noise = os.urandom(16 * count)
    return [str(uuid.UUID(bytes=noise[i:i + 16], version=4)) for i in range(0, 16 * count, 16)]


def record_checks(arc: Archive, reports: list[BagReport]) -> None:
    """One transaction for a batch: a fix event per bag and its last_fixity, each shard read and
    written once (the records read together, then updated and their events logged together)."""
    at = now_utc()
    reports = [report for report in reports if report.record_id is not None]
    if not reports:
        return
    with arc.store.transaction() as tx:
        records = tx.get_many(report.record_id for report in reports if report.record_id)
        for report in reports:
            for entry in records[report.record_id or ""].get("bags") or []:
                if entry["version"] == report.version:
                    entry["last_fixity"] = next_fixity(entry.get("last_fixity"), report.outcome,
                                                       report.fast, at)
        tx.update_many(records.values(), bookkeeping=True)
        tx.log_many(fix_events(reports, at))


def _record(arc: Archive, reports: list[BagReport], report: VerifyReport) -> None:
    """Record a batch unless the catalogue cannot be written; then checking goes on, read-only,
    and the report says the results were not recorded (a read-only mount, a full disk, a lock)."""
    if report.unrecorded or not reports:
        return
    try:
        record_checks(arc, reports)
    except (StoreError, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        report.unrecorded = f"the results could not be recorded in the catalogue ({reason})"


class _Recorder:
    """Records batches of results in order on a thread of its own, so the catalogue's writes
    (every shard fsync'ed) overlap the checking instead of pausing it; ``close`` waits for the
    last batch and raises what recording raised, as recording in the loop itself would."""

    def __init__(self, arc: Archive, report: VerifyReport):
        self._arc, self._report = arc, report
        self._queue: queue.SimpleQueue[list[BagReport] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="verify-recorder", daemon=True)
        self._thread.start()

    def add(self, reports: list[BagReport]) -> None:
        if reports:
            self._queue.put(reports)

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                _record(self._arc, batch, self._report)
            except BaseException as exc:  # handed to the caller's thread by close()
                self._error = exc

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _shard(record_id: str | None) -> int:
    return -1 if record_id is None or not is_id(record_id) else shard_of(sequence_of(record_id))


def _batch_full(pending: list[BagReport], tasks: list[Task], done: int) -> bool:
    """Record now: the batch is large enough and the next bag is in another shard (or is the
    last one), or the batch reached its bound."""
    if len(pending) < RECORD_BATCH:
        return False
    if len(pending) >= MAX_BATCH:
        return True
    following = tasks[done] if done < len(tasks) else None  # bags come before working copies
    return not isinstance(following, BagTask) or _shard(following.record_id) != _shard(pending[-1].record_id)


def run_checks(arc: Archive, tasks: list[Task], report: VerifyReport, *, jobs: int | None = None,
               progress: Progress | None = None, cancel: Cancel | None = None,
               pool: EarlyPool | None = None) -> VerifyReport:
    """Check ``tasks`` (bags, then working copies), recording each batch of bag results as it
    completes; stops between tasks when cancelled. Progress counts bags; bytes count both.
    ``pool``: one ``early_pool`` started while the tasks were planned (used or shut down here)."""
    jobs = pool.jobs if pool is not None else jobs or os.cpu_count() or 1
    bag_count = sum(isinstance(t, BagTask) for t in tasks)
    report.planned = bag_count
    total_bytes = sum(_expected_bytes(t) for t in tasks)
    done_bytes = 0
    started = time.monotonic()
    if progress:
        progress(Step(0, bag_count, 0, total_bytes))
    pending: list[BagReport] = []
    try:
        results, stop = _results(tasks, jobs, pool)
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    recorder = _Recorder(arc, report)
    try:
        for done, (task, result) in enumerate(zip(tasks, results, strict=False), 1):
            if isinstance(result, SourceReport):
                report.sources.append(result)
            else:
                report.bags.append(result)
                pending.append(result)
            done_bytes += _expected_bytes(task)
            if _batch_full(pending, tasks, done):
                recorder.add(pending)
                pending = []
            if progress:
                progress(Step(len(report.bags), bag_count, done_bytes, total_bytes))
            if cancelled(cancel):
                report.cancelled = done < len(tasks)
                break
    finally:
        stop()
        recorder.add(pending)
        recorder.close()
    report.seconds = time.monotonic() - started
    report.finished_at = now_utc()
    return report


def verify_archive(arc: Archive, ids: Iterable[str] | None = None, *, fast: bool = False,
                   jobs: int | None = None, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> VerifyReport:
    """Check every bag of the named records (all records when ``ids`` is None).

    With no ids, bag folders no record claims are reported as orphans. A record whose bag folder
    is gone fails with a ``missing-bag`` finding. Safe to call from a worker thread.
    """
    report = VerifyReport(started_at=now_utc(), fast=fast)
    ids = None if ids is None else list(dict.fromkeys(ids))
    pool = early_pool(jobs, len(arc.store) if ids is None else len(ids))
    try:
        tasks, claimed = _plan(arc, ids, fast, report)
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    scan = _OrphanScan(arc, claimed, report) if ids is None else None
    try:
        return run_checks(arc, tasks, report, progress=progress, cancel=cancel, pool=pool, jobs=jobs)
    finally:
        if scan is not None:
            scan.join()


def _plan(arc: Archive, ids: list[str] | None, fast: bool,
          report: VerifyReport) -> tuple[list[Task], set[str]]:
    """The tasks for ``verify_archive``, and for a whole-archive run the bag folders the records
    claim (and its leftovers, in ``report``). The records are read here and let go on return: the
    tasks hold what the checks need, so a long run does not also keep every record in memory; they
    are read a page at a time, so planning never holds them all either."""
    if ids is None:
        ids = [row["id"] for row in arc.store.summaries()]
        report.leftovers = find_leftovers(arc)
    bag_tasks: list[Task] = []
    source_tasks: list[Task] = []
    claimed: set[str] = set()
    for start in range(0, len(ids), PLAN_PAGE):
        records = list(arc.store.records_of(ids[start:start + PLAN_PAGE]).values())
        bag_tasks += tasks_for(arc, records, fast)
        source_tasks += source_tasks_for(arc, records, fast)
        claimed |= claimed_bags(records)
    return [*bag_tasks, *source_tasks], claimed


class _OrphanScan:
    """The orphan scan of a whole-archive verify, on a thread of its own while the bags are
    checked: it lists bags/ (a folder per record) and reads nothing the checks or the recording
    write, and the report needs it only at the end. ``join`` raises what the scan raised."""

    def __init__(self, arc: Archive, claimed: set[str], report: VerifyReport):
        self._arc, self._claimed, self._report = arc, claimed, report
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="verify-orphans", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._report.orphans = orphans_beside(self._arc, self._claimed)
        except BaseException as exc:  # handed to the caller's thread by join()
            self._error = exc

    def join(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error
