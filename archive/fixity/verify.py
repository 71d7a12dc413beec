"""Verify the archive: every bag of every record (or of the records named), orphans, bag folders
gone, each record's working copy in sources/, and what killed runs left there.

Bags are independent, so they are checked in a process pool (every core by default); results come
back as they finish, are recorded in the catalogue a few hundred at a time (a ``fix`` event per
bag and the bag's ``last_fixity``), and are reported through ``progress``. ``cancel`` is polled
between bags, so the TUI can stop a long run from its worker thread and keep what was checked.
Nothing here changes the working directory or installs signal handlers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from archive.clock import now_utc
from archive.errors import StoreError
from archive.events import make_event
from archive.fixity.crosscheck import BagTask, check_task
from archive.fixity.pooled import check_chunk, expand
from archive.fixity.report import BagReport, SourceReport, VerifyReport
from archive.fixity.state import next_fixity, standing_failure
from archive.fixity.workingcopy import SourceTask, source_task
from archive.ids import is_id, sequence_of
from archive.layout import Archive
from archive.leftovers import unclaimed_sources
from archive.processes import die_with_parent
from archive.progress import Cancel, Progress, Step, cancelled
from archive.source_files import ORIGINAL
from archive.storage.base import check_relpath
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
RELEASE = 4096
"""Tasks whose results were taken are let go this many at a time. A run kept every task it planned
(with the pins and source digests each carries) to its end: at 100,000 records, two tasks a record
were most of an audit's peak memory."""
CHUNK = 256
"""Tasks sent to a worker at a time, at most. A worker holds its chunk and one more queued
(ProcessPoolExecutor queues one call beyond its workers), and gets the next only when the parent's
manager thread runs; on a loaded machine the parent (which also reads the catalogue and records
results) waits its turn for a core, and with small chunks the workers then sat idle waiting for
it. A chunk of this many bags and working copies is a few tenths of a second of work, which is also
how long a cancelled run waits for the chunks already running."""


EXPECT_KEYS = ("payload_oxum", "size", "tagmanifest_sha256", "metadata_sha256", "record_revision",
               "bagged_id")
"""What a bag check reads of its bags[] entry (crosscheck: the pins; ``_expected_bytes``: the size).
A task carries only these, not the entry's history of replicas and fixity: every task is pickled
to a worker, and the parent's share of a verify is what bounds it on two cores."""
SOURCE_KEYS = ("filename", "media_type", "size", "sha256", "sha512", "encoding", "text_filename")
"""What ``files_of`` reads of a record's top-level ``source`` (the original, an old record's text)."""


def compact_source(source: object) -> dict:
    """The part of a record's ``source`` that ``files_of`` reads, so a task gives the same file set:
    the top-level fields of the original, and ``files`` without its copy of the original (which
    ``files_of`` takes from the top level anyway). Not word counts, titles or other metadata."""
    if not isinstance(source, dict):
        return {}
    compact = {key: source[key] for key in SOURCE_KEYS if key in source}
    if "files" in source:
        entries = source["files"]
        compact["files"] = ([dict(e) if isinstance(e, dict) else e for e in entries
                             if not (isinstance(e, dict) and e.get("role") == ORIGINAL)]
                            if isinstance(entries, list) else entries)
    return compact


def tasks_for(arc: Archive, records: Iterable[dict], fast: bool,
              versions: dict[str, set[int]] | None = None) -> list[BagTask]:
    """One task per bag version the records claim (or only the ``versions`` asked for)."""
    tasks = []
    root = str(arc.root)
    for record in records:
        source: dict | None = None
        for entry in record.get("bags") or []:
            if versions is not None and entry["version"] not in versions.get(record["id"], set()):
                continue
            if source is None:
                source = compact_source(record.get("source"))
            tasks.append(BagTask(root=root, rel=entry["path"], record_id=record["id"],
                                 version=entry["version"], fast=fast,
                                 expect={k: entry[k] for k in EXPECT_KEYS if k in entry}, source=source,
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
    return [path for path, version in bag_folders(arc) if not version or path not in claimed]


def bag_folders(arc: Archive) -> list[tuple[str, bool]]:
    """What bags/ holds, relative to the root, in order: each record folder's version folders
    (True), and anything at the top that is not a folder (False).

    Listed with ``os.scandir`` (the entry types come with the listing: no stat or open per
    record folder, which was most of the scan's cost at 10,000 records); anything it cannot list
    (a folder gone meanwhile, no permission) is listed again through the storage seam, which
    answers as it always did."""
    root = os.fspath(arc.bags_dir)
    if os.path.isdir(root) and not os.path.islink(root):
        try:
            return _scanned_bag_folders(root)
        except OSError:
            pass
    return _stored_bag_folders(arc)


def _scanned_bag_folders(root: str) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    with os.scandir(root) as top:
        records = sorted((entry.name, entry.is_dir(follow_symlinks=False)) for entry in top)
    for name, folder in records:
        if not folder:
            found.append((f"bags/{name}", False))
            continue
        check_relpath(name)  # as the seam refuses a name it cannot address
        # Names only (os.listdir, no DirEntry per version): a version folder's type is not read.
        versions = sorted(os.listdir(os.path.join(root, name)))
        found += [(f"bags/{name}/{version}", True) for version in versions]
    return found


def _stored_bag_folders(arc: Archive) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    bags = arc.bags_storage()
    for record_dir in bags.list_folder():
        if record_dir.kind != "folder":
            found.append((f"bags/{record_dir.path}", False))
            continue
        found += [(f"bags/{version_dir.path}", True) for version_dir in bags.list_folder(record_dir.path)]
    return found


def _expected_bytes(task: Task) -> int:
    if isinstance(task, SourceTask):
        return 0 if task.fast else sum(f.size or 0 for f in task.files)
    oxum = str(task.expect.get("payload_oxum", "0.0")).split(".")[0]
    return int(task.expect.get("size") or (oxum if oxum.isdigit() else 0))


def _new_pool(jobs: int, fork: bool = False) -> ProcessPoolExecutor:
    if fork:
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["archive.fixity.pooled"])
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=die_with_parent,
                               initargs=(os.getpid(),))


def _may_fork() -> bool:
    """Whether the workers can be forked from this process: only while it runs no other thread
    (another thread, a TUI's, may hold a lock the fork would copy held), as bagging decides."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def _forked_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool whose workers are forked now, on the calling thread, before any thread starts.

    Cheaper than the fork server by two interpreters: the fork server and the resource tracker
    it needs each start a Python and import the checker (a quarter of a second of CPU, and the
    time before the first bag is checked), where a forked worker has it already. A fork pool
    forks every worker at its first submit, before its own threads start. The objects the parent
    holds are frozen out of the cyclic collector across the fork, so a worker's collections never
    write to (and so copy) the pages it shares with the parent."""
    pool = _new_pool(jobs, fork=True)
    gc.freeze()
    try:
        pool.submit(os.getpid)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        gc.unfreeze()
    return pool


class EarlyPool:
    """The worker pool, forked at once when this process runs no other thread, else started on a
    thread of its own while the caller plans the checks.

    Starting a fork server (it imports the checker, then forks each worker) takes a few hundred
    milliseconds of CPU the parent would otherwise wait for after planning; on a thread it runs
    beside the reading of the catalogue and the orphan scan, on the other core. ``take`` waits for
    it (and raises what starting raised); ``close`` shuts down a pool nobody took.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._error: BaseException | None = None
        self._taken = False
        self._thread: threading.Thread | None = None
        if _may_fork():  # forked at once, on the caller's thread: errors raise here
            self._pool = _forked_pool(jobs)
            return
        self._thread = threading.Thread(target=self._start, name="verify-pool-start", daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _start(self) -> None:
        try:
            pool = _new_pool(self.jobs)
            self._pool = pool
            for started in [pool.submit(os.getpid) for _ in range(self.jobs)]:  # a worker each, now
                started.result()
        except BaseException as exc:  # handed to the caller's thread by take()
            self._error = exc

    def take(self) -> ProcessPoolExecutor:
        self._wait()
        if self._error is not None:
            self.close()
            raise self._error
        assert self._pool is not None
        self._taken = True
        return self._pool

    def close(self) -> None:
        """Shut the pool down unless ``take`` handed it on (its taker shuts it down)."""
        self._wait()
        if self._pool is not None and not self._taken:
            self._pool.shutdown(wait=True, cancel_futures=True)


def early_pool(jobs: int | None, expected_tasks: int) -> EarlyPool | None:
    """A pool started now when ``expected_tasks`` will be checked in one, else None."""
    jobs = jobs or os.cpu_count() or 1
    return EarlyPool(jobs) if jobs > 1 and expected_tasks >= INLINE_BELOW else None


class _Plan:
    """Tasks planned a page at a time, on the caller's thread, as the checking needs more: the
    workers start on the first page while the rest of the catalogue is still being read. Keeps
    the tasks planned and not yet let go (``release``), in order, by their index in the run (the
    recording looks one task ahead), and the totals of every task planned."""

    def __init__(self, pages: Iterator[list[Task]], expected_pages: int):
        self._pages = pages
        self.remaining = expected_pages
        self._tasks: list[Task] = []
        self._sizes: list[int] = []
        """Each task's expected bytes (``_expected_bytes``), for the progress of its result."""
        self._first = 0
        """The run's index of ``_tasks[0]``: the tasks before it were let go."""
        self.bags = 0
        self.bytes = 0

    @property
    def planned(self) -> int:
        """Tasks planned so far, let go or not."""
        return self._first + len(self._tasks)

    def task(self, index: int) -> Task:
        return self._tasks[index - self._first]

    def size(self, index: int) -> int:
        return self._sizes[index - self._first]

    def release(self, done: int, at_least: int | None = None) -> None:
        """Let go of the tasks before index ``done`` (their results were taken), once there are
        ``at_least`` (RELEASE) of them: deleting a list's head moves its tail, so not after every task."""
        drop = done - self._first
        if drop >= max(RELEASE if at_least is None else at_least, 1):
            del self._tasks[:drop], self._sizes[:drop]
            self._first = done

    def more(self) -> bool:
        return self.remaining > 0

    def next_page(self) -> list[Task]:
        """The next page's tasks (bags, then those records' working copies)."""
        page = next(self._pages, None) if self.remaining > 0 else None
        self.remaining = self.remaining - 1 if page is not None else 0
        page = page or []
        self._tasks += page
        sizes = [_expected_bytes(t) for t in page]
        self._sizes += sizes
        self.bags += sum(isinstance(t, BagTask) for t in page)
        self.bytes += sum(sizes)
        return page

    def finish(self) -> None:
        """Plan what is left (a cancelled run still reports what it planned, and its orphans
        are judged against every bag the records claim); none of it is kept, as none is checked."""
        while self.more():
            self.next_page()
            self.release(self.planned, at_least=1)


def _inline_results(plan: _Plan) -> Iterator[tuple[Task, BagReport | SourceReport]]:
    done = 0
    while True:
        while done >= plan.planned and plan.more():
            plan.next_page()
        if done >= plan.planned:
            return
        task = plan.task(done)
        done += 1
        yield task, check_task(task)


def _pool_results(pool: ProcessPoolExecutor, plan: _Plan, first: list[Task],
                  jobs: int) -> Iterator[tuple[Task, BagReport | SourceReport]]:
    """Results in task order; the next page is planned and submitted, a chunk at a time,
    whenever no more than a few chunks are left queued for the workers."""
    inflight: deque[tuple[list[Task], Future]] = deque()

    def submit(page: list[Task]) -> None:
        chunk = max(1, min(CHUNK, len(page) // (jobs * 8)))
        for i in range(0, len(page), chunk):
            part = page[i:i + chunk]
            inflight.append((part, pool.submit(check_chunk, part)))

    try:
        submit(first)
        while True:
            while len(inflight) <= 2 * jobs and plan.more():
                submit(plan.next_page())
            if not inflight:
                return
            part, future = inflight.popleft()
            for task, result in zip(part, future.result(), strict=True):
                yield task, expand(task, result)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _results(plan: _Plan, jobs: int, early: EarlyPool | None = None,
             ) -> tuple[Iterator[tuple[Task, BagReport | SourceReport]], Callable[[], None]]:
    """(task, report) in task order, and a function that abandons the rest. A few tasks are
    checked inline, more in the pool; the first page is planned here, to know which."""
    first = plan.next_page()
    if jobs <= 1 or (len(first) < INLINE_BELOW and not plan.more()):
        if early is not None:
            early.close()
        return _inline_results(plan), lambda: None
    pool = early.take() if early is not None else _new_pool(jobs)

    def stop() -> None:
        pool.shutdown(wait=True, cancel_futures=True)

    return _pool_results(pool, plan, first, jobs), stop


_NOTHING_FOUND = BagReport(path="", record_id=None, version=None, fast=False).counts()
"""A report's counts when it found nothing: every kind, zero."""


def _fix_detail(report: BagReport) -> tuple[str, dict]:
    mode = "fast check (completeness and Payload-Oxum only)" if report.fast else "full fixity check"
    if not report.problems and not report.standing_failure:  # nearly every bag: the same words
        return f"{mode} of {report.path}: all files intact", {
            **_NOTHING_FOUND, "fast": report.fast, "bag": report.path, "hashed_bytes": report.hashed_bytes,
            "failures": []}
    counts = report.counts()
    found = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
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
        current = tx.peek_many(report.record_id for report in reports if report.record_id)
        changed: dict[str, dict] = {}
        for report in reports:  # changed copies of the record and of the one bag entry, no deep copy
            record = changed.get(report.record_id or "") or current[report.record_id or ""]
            bags = [{**entry, "last_fixity": next_fixity(entry.get("last_fixity"), report.outcome,
                                                         report.fast, at)}
                    if entry["version"] == report.version else entry for entry in record.get("bags") or []]
            changed[report.record_id or ""] = {**record, "bags": bags}
        tx.update_many(changed.values(), bookkeeping=True)
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


def _batch_full(pending: list[BagReport], plan: _Plan, done: int) -> bool:
    """Record now: the batch is large enough and the next bag is in another shard (or is the
    last one planned), or the batch reached its bound."""
    if len(pending) < RECORD_BATCH:
        return False
    if len(pending) >= MAX_BATCH:
        return True
    following = plan.task(done) if done < plan.planned else None  # a page's bags before its working copies
    return not isinstance(following, BagTask) or _shard(following.record_id) != _shard(pending[-1].record_id)


def run_checks(arc: Archive, tasks: list[Task], report: VerifyReport, *, jobs: int | None = None,
               progress: Progress | None = None, cancel: Cancel | None = None,
               pool: EarlyPool | None = None) -> VerifyReport:
    """Check ``tasks`` (bags, then working copies), recording each batch of bag results as it
    completes; stops between tasks when cancelled. Progress counts bags; bytes count both.
    ``pool``: one ``early_pool`` started while the tasks were planned (used or shut down here)."""
    return _run_plan(arc, _Plan(iter([tasks]), 1), report, jobs=jobs, progress=progress, cancel=cancel,
                     pool=pool)


def run_pages(arc: Archive, pages: Iterator[list[Task]], page_count: int, report: VerifyReport, *,
              jobs: int | None = None, progress: Progress | None = None, cancel: Cancel | None = None,
              pool: EarlyPool | None = None) -> VerifyReport:
    """``run_checks`` of tasks planned a page at a time (``page_count`` pages, each a page's bags
    then its working copies) while the first are checked; the tasks are let go once checked."""
    return _run_plan(arc, _Plan(pages, page_count), report, jobs=jobs, progress=progress, cancel=cancel,
                     pool=pool)


def _run_plan(arc: Archive, plan: _Plan, report: VerifyReport, *, jobs: int | None,
              progress: Progress | None, cancel: Cancel | None, pool: EarlyPool | None) -> VerifyReport:
    """``run_checks`` of tasks planned page by page while the first are checked. Progress's
    totals are those of the pages planned so far (a run of one page knows them from the start)."""
    jobs = pool.jobs if pool is not None else jobs or os.cpu_count() or 1
    done_bytes = 0
    started = time.monotonic()
    pending: list[BagReport] = []
    try:
        results, stop = _results(plan, jobs, pool)
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    if progress:
        progress(Step(0, plan.bags, 0, plan.bytes))
    recorder = _Recorder(arc, report)
    finished = False
    try:
        for done, (_task, result) in enumerate(results, 1):
            if isinstance(result, SourceReport):
                report.sources.append(result)
            else:
                report.bags.append(result)
                pending.append(result)
            done_bytes += plan.size(done - 1)
            if _batch_full(pending, plan, done):
                recorder.add(pending)
                pending = []
            if progress:
                progress(Step(len(report.bags), plan.bags, done_bytes, plan.bytes))
            if cancelled(cancel):
                report.cancelled = done < plan.planned or plan.more()
                break
            plan.release(done)
        finished = True
    finally:
        stop()
        recorder.add(pending)
        recorder.close()
    if finished:
        plan.finish()
    report.planned = plan.bags
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
    if ids is not None:
        for record_id in ids:  # every id known before any check starts (and so before any is recorded)
            arc.store.summary(record_id)
    pool = early_pool(jobs, len(arc.store) if ids is None else len(ids))
    try:
        scan = _OrphanScan(arc, report) if ids is None else None
        if ids is None:
            ids = arc.store.ids()  # no summary row parsed
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    claimed: set[str] = set()
    plan = _Plan(_plan_pages(arc, ids, fast, claimed), -(-len(ids) // PLAN_PAGE))
    try:
        result = _run_plan(arc, plan, report, progress=progress, cancel=cancel, pool=pool, jobs=jobs)
    finally:
        if scan is not None:
            scan.join(claimed if not plan.more() else None)
    return result


def _plan_pages(arc: Archive, ids: list[str], fast: bool, claimed: set[str]) -> Iterator[list[Task]]:
    """The tasks for ``verify_archive``, a page of records at a time: its bags, then its records'
    working copies; every bag folder the records claim is added to ``claimed``. The records are
    read a page at a time and let go: the tasks hold what the checks need."""
    for start in range(0, len(ids), PLAN_PAGE):
        records = list(arc.store.documents_of(ids[start:start + PLAN_PAGE]).values())  # read only
        claimed |= claimed_bags(records)
        yield [*tasks_for(arc, records, fast), *source_tasks_for(arc, records, fast)]


class _OrphanScan:
    """The orphan scan of a whole-archive verify, on a thread of its own while the bags are
    planned and checked: it lists bags/ (a folder per record) and sources/ (for leftovers), and
    reads nothing the checks or the recording write; the folders are compared with what the
    records claim once all are planned. ``join`` raises what the scan raised."""

    def __init__(self, arc: Archive, report: VerifyReport):
        self._arc, self._report = arc, report
        self._error: BaseException | None = None
        self._found: list[tuple[str, bool]] = []
        self._thread = threading.Thread(target=self._run, name="verify-orphans", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._report.leftovers = find_leftovers(self._arc)  # sources/ too: off the checks' path
            self._found = bag_folders(self._arc)
        except BaseException as exc:  # handed to the caller's thread by join()
            self._error = exc

    def join(self, claimed: set[str] | None) -> None:
        """Wait for the listing and report the orphans (``claimed`` None: planning did not finish)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if claimed is not None:
            self._report.orphans = [path for path, version in self._found
                                    if not version or path not in claimed]
