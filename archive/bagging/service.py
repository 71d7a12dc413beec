"""Bagging records: decide which need a new bag version, build them, move them in, record them.

Bags are made by ``build_bag`` (``bagit.make_bag`` plus the gaps it leaves) in a pool of worker
processes, never in this process: ``make_bag`` changes the working directory of the whole
process, and the TUI calls ``bag_records`` from a thread. The pool is kept warm between calls.
Each batch is then made durable, moved into ``bags/<id>/v<N>`` by one rename per bag, and
recorded in one catalogue transaction with its ``mes`` and ``ipc`` events. If the transaction
fails, the batch's bags are moved back into staging, so a bag on disk is always one the
catalogue knows.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from archive.bagging.adopt import adopt_interrupted, versions_on_disk
from archive.bagging.build import BagOutcome, build_bags, worker_init
from archive.bagging.contents import BagJob
from archive.bagging.staging import flush_filesystem, work_folder
from archive.bagit_format.entry import BagEntry
from archive.errors import ArchiveError
from archive.events import make_event
from archive.layout import Archive
from archive.progress import Cancel, Progress, Step, cancelled
from archive.records import changed_since_bag, metadata_fingerprint

BATCH = 64
"""Bags moved in and recorded per catalogue transaction; small enough that recording overlaps
the bagging of the next ones, large enough that each shard is written rarely."""
IN_FLIGHT = 2
"""Batches handed to the workers ahead of the one being recorded: while the parent syncs the file
system and writes the catalogue (waits of tens of ms on a slow disk), the workers still have a
whole batch to bag."""


@dataclass
class BaggingResult:
    """What happened to one record: ``bagged`` (with version and path), ``unchanged``, ``skipped``,
    ``failed`` (with the reason in ``message``) or ``cancelled`` (never started)."""

    record_id: str
    outcome: str
    version: int | None = None
    path: Path | None = None
    message: str = ""


def next_version(arc: Archive, record: dict) -> int:
    """One more than any bag recorded or lying on disk: a version number is never reused."""
    recorded = [b["version"] for b in record.get("bags") or []]
    return max([0, *recorded, *versions_on_disk(arc, record["id"])]) + 1


def plan(arc: Archive, ids: Iterable[str], work: Path,
         durable: bool = True, rebag: bool = False) -> tuple[list[BagJob], list[BaggingResult]]:
    """Jobs for records that need a bag, and results for those that do not.

    ``rebag`` makes a job for every record that is not deaccessioned, changed or not: a new
    version with the bag-info of the settings as they are now (an organisation set after the
    first bags were made)."""
    jobs: list[BagJob] = []
    done: list[BaggingResult] = []
    settings = arc.settings
    for record_id in dict.fromkeys(ids):
        record = arc.store.get(record_id)
        if record["status"] == "deaccessioned":
            done.append(BaggingResult(record_id, "skipped",
                                      message=f"{record_id}: deaccessioned; not bagged"))
            continue
        if record.get("bags") and not changed_since_bag(record) and not rebag:
            last = record["bags"][-1]["version"]
            done.append(BaggingResult(record_id, "unchanged", last, arc.bag_dir(record_id, last),
                                  f"{record_id}: unchanged since bag v{last}"))
            continue
        version = next_version(arc, record)
        jobs.append(BagJob(
            record=record, version=version, source_dir=str(arc.source_dir(record_id)),
            target=str(work / f"{record_id}_v{version}"), organization=settings.organization,
            contact_name=settings.contact_name, contact_email=settings.contact_email,
            algorithms=tuple(settings.algorithms), durable=durable,
            citation_style=settings.citation_style, citation_locale=settings.citation_locale,
        ))
    return jobs, done


def citation_engine_started() -> bool:
    """Whether this process runs citeproc-js (V8 and its threads): a fork would copy a V8 whose
    threads are gone."""
    engine = sys.modules.get("archive.citation.citeproc_js")
    return engine is not None and engine.started()


def check_citation_settings(arc: Archive) -> None:
    """The archive's citation style and locale, found before any bag is begun: one clear line
    naming the setting, instead of the same failure for every record."""
    from archive.citation.formatted import check_locale, load_style
    from archive.citation.options import DEFAULT_LOCALE

    settings = arc.settings
    where = arc.root / "archive.toml"
    try:
        style = load_style(settings.citation_style)
    except ArchiveError as exc:
        raise ArchiveError(f"{where}: archive.citation_style: {exc}") from None
    try:
        check_locale(settings.citation_locale or style.default_locale or DEFAULT_LOCALE)
    except ArchiveError as exc:
        raise ArchiveError(f"{where}: archive.citation_locale: {exc}") from None


_pool: ProcessPoolExecutor | None = None
_pool_key: tuple[int, str, int] | None = None
_pool_lock = threading.Lock()


def _shutdown_pool() -> None:
    global _pool, _pool_key
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
        _pool, _pool_key = None, None


atexit.register(_shutdown_pool)


def worker_pool(count: int) -> ProcessPoolExecutor:
    """The warm pool of ``count`` bagging processes, made on first use and kept for later calls.

    Workers are forked when this process runs no other thread (cheapest); otherwise (a TUI's
    threads may hold locks a fork would copy, and V8's threads, which ``threading`` does not see,
    run once this process has formatted a citation) they start from a fork server with bagit and
    the citation code preloaded. Either way every worker ends when this process does
    (``archive.processes.die_with_parent``), so a killed run leaves no process behind.
    """
    global _pool, _pool_key
    single = (threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
              and not citation_engine_started())
    method = "fork" if single else "forkserver"
    with _pool_lock:
        key = (count, method, os.getpid())
        if _pool is not None and _pool_key is not None and _pool_key[0] == count \
                and _pool_key[2] == os.getpid():
            return _pool  # a warm pool is kept, whichever way its workers were started
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["bagit", "archive.bagging.build", "archive.citation",
                                            "py_mini_racer"])
        else:  # what each worker's citeproc-js needs before V8 starts, loaded once for both
            from archive.citation.citeproc_js import preload

            preload()
        _pool = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=worker_init,
                                    initargs=(os.getpid(),))
        _pool_key = key
        return _pool


def _slices(jobs: list[BagJob], workers: int | None,
            cancel: Cancel | None) -> Iterator[list[BagOutcome]]:
    """Outcomes a batch at a time, in job order, from the warm pool of worker processes.

    ``IN_FLIGHT`` batches are handed to the workers before one is yielded, so recording a batch
    overlaps bagging the next ones; when ``cancel()`` turns true no further batch is started, and
    every bag already made is still yielded whole.
    """
    if not jobs:
        return
    count = max(1, workers or os.cpu_count() or 1)
    pool = worker_pool(count)
    batches = [jobs[i:i + BATCH] for i in range(0, len(jobs), BATCH)]

    def start(batch: list[BagJob]):
        """Each worker's share of a batch as a few chunks (``build_bags``); results in job order."""
        size = max(1, -(-len(batch) // (count * 2)))
        return pool.map(build_bags, [batch[i:i + size] for i in range(0, len(batch), size)])

    try:
        ahead: deque = deque()
        for number, batch in enumerate(batches):
            if number and cancelled(cancel):
                break
            ahead.append(start(batch))
            if len(ahead) <= IN_FLIGHT:
                continue
            yield [outcome for chunk in ahead.popleft() for outcome in chunk]
        while ahead:
            yield [outcome for chunk in ahead.popleft() for outcome in chunk]
    except BrokenProcessPool:
        _shutdown_pool()
        raise ArchiveError("a bagging process died (out of memory or killed); no bag of the "
                           "unfinished records was kept, run 'archive bag' again") from None


def bag_entry(outcome: BagOutcome, record: dict) -> dict:
    summary = outcome.summary
    return BagEntry(
        record_id=outcome.record_id,
        version=outcome.version,
        bagged_at=outcome.bagged_at,
        record_revision=record["revision"],
        metadata_sha256=metadata_fingerprint(record),
        payload_oxum=summary.payload_oxum,
        size=summary.size,
        tagmanifest_sha256=summary.tagmanifest.get("sha256", ""),
    ).as_dict()


def _events(outcome: BagOutcome, rebag: bool = False) -> list[dict]:
    summary = outcome.summary
    rid, version = outcome.record_id, outcome.version
    why = " (rebag: a new version with the current bag-info)" if rebag else ""
    return [
        make_event("mes", rid, detail=f"payload digests of bag v{version}",
                   outcome_detail={"payload": {f"data/{p}": d for p, d in summary.digests.items()},
                                   "tagmanifest": summary.tagmanifest},
                   bag_version=version),
        make_event("ipc", rid, detail=f"bag v{version} written to bags/{rid}/v{version}{why}",
                   outcome_detail={"payload_oxum": summary.payload_oxum, "size": summary.size,
                                   "bagit_version": "1.0"},
                   bag_version=version),
    ]


def _commit(arc: Archive, batch: list[tuple[BagOutcome, dict]], work: Path, durable: bool,
            rebag: bool = False) -> list[BaggingResult]:
    """Move a batch of staged bags into place and record them; undo the moves if recording fails."""
    results: list[BaggingResult] = []
    good = [(o, r) for o, r in batch if not o.error]
    if durable and good:
        flush_filesystem(work)
    moved: list[tuple[Path, Path]] = []
    try:
        for outcome, _ in good:
            final = arc.bag_dir(outcome.record_id, outcome.version)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(outcome.target, final)  # fails if the version exists: bags are never replaced
            moved.append((Path(outcome.target), final))
        if durable and moved:
            flush_filesystem(arc.bags_dir)
        with arc.store.transaction() as tx:
            for outcome, bagged in batch:
                if outcome.error:
                    tx.log(make_event("ipc", outcome.record_id, outcome="failure", detail=outcome.error,
                                      bag_version=outcome.version))
                    continue
                current = tx.get(outcome.record_id)
                current["bags"] = [*(current.get("bags") or []), bag_entry(outcome, bagged)]
                if current["status"] != "deaccessioned":
                    current["status"] = "bagged"
                tx.update(current, bookkeeping=True)
                for event in _events(outcome, rebag and bool(bagged.get("bags"))):
                    tx.log(event)
    except BaseException:
        for staged, final in moved:
            os.rename(final, staged)
        raise
    for outcome, _ in batch:
        if outcome.error:
            results.append(BaggingResult(outcome.record_id, "failed", outcome.version, message=outcome.error))
        else:
            path = arc.bag_dir(outcome.record_id, outcome.version)
            results.append(BaggingResult(outcome.record_id, "bagged", outcome.version, path,
                                     f"{outcome.record_id}: bag v{outcome.version} written"))
    return results


BAG_LOCK_TIMEOUT_S = 3600.0


@contextmanager
def _bagging_lock(arc: Archive) -> Iterator[None]:
    """One bagging run at a time per archive: a second one waits, then plans afresh and finds the
    records the first one bagged unchanged, instead of racing it to the same version folder."""
    arc.staging_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(arc.staging_dir / ".bagging.lock"), timeout=BAG_LOCK_TIMEOUT_S,
                    thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise ArchiveError("another process has been bagging in this archive for an hour; "
                           "try again when it has finished") from None
    try:
        yield
    finally:
        lock.release()


def bag_records(
    arc: Archive,
    ids: Iterable[str],
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    durable: bool = True,
    cancel: Cancel | None = None,
    rebag: bool = False,
) -> list[BaggingResult]:
    """Bag each record that has no bag yet or changed since its newest one; results in id order.

    Existing bags are never touched: an edited record gets version N+1. ``progress``
    is called after each batch. Safe to call from a thread: ``bagit.make_bag`` runs only in the
    worker processes, so the caller's working directory never changes.
    ``durable`` syncs the file system before and after the renames (once per batch).
    ``cancel`` is polled between batches: bags already made are moved in and recorded, the rest
    are not started, so a cancelled run leaves only whole, recorded bags.
    ``rebag`` writes a new version of every record named even when it is unchanged, with the
    current bag-info (see ``plan``); its ``ipc`` event says so.
    """
    ids = list(ids)
    if not ids:
        return []
    check_citation_settings(arc)
    try:
        with _bagging_lock(arc), work_folder(arc.staging_dir, "bag") as work:
            adopted = set(adopt_interrupted(arc, ids))
            jobs, results = plan(arc, ids, work, durable, rebag)
            for result in results:
                if result.record_id in adopted:
                    result.message = (f"{result.record_id}: bag v{result.version} adopted (written "
                                      "whole by an interrupted run)")
            total = len(ids)
            done = len(results)
            if progress:
                progress(Step(done, total))
            records = {job.record["id"]: job.record for job in jobs}
            for outcomes in _slices(jobs, workers, cancel):
                results += _commit(arc, [(o, records[o.record_id]) for o in outcomes], work, durable,
                                   rebag)
                done += len(outcomes)
                if progress:
                    progress(Step(done, total))
            finished = {r.record_id for r in results}
            results += [BaggingResult(job.record["id"], "cancelled", message=f"{job.record['id']}: "
                                  "not bagged: cancelled") for job in jobs
                        if job.record["id"] not in finished]
    except OSError as exc:
        raise ArchiveError(f"cannot write bags under {arc.bags_dir}: {exc.strerror or exc}") from None
    order = {rid: i for i, rid in enumerate(dict.fromkeys(ids))}
    return sorted(results, key=lambda r: order[r.record_id])
