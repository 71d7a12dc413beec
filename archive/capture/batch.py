"""Batch capture scheduling: concurrent across hosts, polite within one.

Many URLs of one batch usually share a few hosts. Hitting one host with parallel requests is rude
(and gets an archive's address blocked), while waiting for one slow host to serve all its pages
before starting the next wastes the time of every other host. So: a small pool of workers, one
request at a time per host, and after each response from a host a pause of ``delay`` seconds
before that host is asked again; different hosts are fetched at the same time. The politeness key
is ``host:port`` as written in the URL (no DNS), so two servers on one machine but different
ports count as two hosts, and ``http://a/`` and ``https://a/`` share nothing but count as two as
well (different ports).

The runner knows nothing of WARCs or the catalogue: it calls ``work(job)`` for each job and
collects an ``Outcome`` (the value, or the error's one line and the HTTP status when there was
one). An error in one job never stops the batch. Jobs of one host run in the order given.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from archive.capture.urls import parse_url
from archive.errors import ArchiveError, URLRefusedError, UsageError
from archive.progress import Cancel, cancelled

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one job came to: ``value`` on success, else ``error`` (one line) and ``status``."""

    index: int
    url: str
    value: T | None = None
    error: str | None = None
    status: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def politeness_key(url: str) -> str:
    """``host:port`` of ``url``; a URL that does not parse is its own key (it fails at once)."""
    try:
        _scheme, host, port, _target = parse_url(url)
    except URLRefusedError:
        return "invalid:" + url
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run_batch(
    urls: Iterable[str],
    work: Callable[[str], T],
    *,
    workers: int = 4,
    delay: float = 1.0,
    on_done: Callable[[Outcome[T]], None] | None = None,
    cancel: Cancel | None = None,
) -> list[Outcome[T]]:
    """Run ``work(url)`` for every URL under the scheduling above; outcomes in input order.

    ``on_done`` is called (from a worker thread, one call at a time) as each job ends: a progress
    bar or a resumable log hangs there. Exceptions that are not ``ArchiveError`` are recorded as
    ``unexpected: ...`` and do not stop the batch either. Once ``cancel()`` is true no job is
    started (the ones running finish, so no capture is left half-catalogued); the outcomes are
    then those of the jobs that ran.
    """
    if workers < 1 or delay < 0:
        raise UsageError(f"batch capture needs at least 1 worker and a pause of at least 0 s "
                         f"(got {workers} workers, {delay:g} s)")
    scheduler = _Scheduler(list(urls), delay, cancel)
    outcomes: list[Outcome[T] | None] = [None] * len(scheduler.jobs)
    report = threading.Lock()

    def worker() -> None:
        while (picked := scheduler.take()) is not None:
            index, key = picked
            url = scheduler.jobs[index]
            try:
                outcome: Outcome[T] = Outcome(index, url, value=work(url))
            except ArchiveError as exc:
                outcome = Outcome(index, url, error=str(exc), status=getattr(exc, "status", None))
            except Exception as exc:  # one broken job must not end the batch
                outcome = Outcome(index, url, error=f"unexpected: {type(exc).__name__}: {exc}")
            finally:
                scheduler.release(key)
            outcomes[index] = outcome
            if on_done is not None:
                with report:
                    on_done(outcome)

    threads = [threading.Thread(target=worker, name=f"capture-{n}", daemon=True)
               for n in range(min(workers, max(1, scheduler.hosts)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [outcome for outcome in outcomes if outcome is not None]


class _Scheduler:
    """Which job may run now: hosts not busy and past their pause, the least recently served
    first. Workers with nothing ready wait on a condition until the earliest pause ends or a job
    finishes (never a fixed sleep). Cancelled, it hands out nothing more."""

    def __init__(self, jobs: list[str], delay: float, cancel: Cancel | None = None):
        self.jobs = jobs
        self.cancel = cancel
        self.delay = delay
        self.queues: dict[str, deque[int]] = {}
        for index, url in enumerate(jobs):
            self.queues.setdefault(politeness_key(url), deque()).append(index)
        self.hosts = len(self.queues)
        self.busy: set[str] = set()
        self.not_before: dict[str, float] = dict.fromkeys(self.queues, 0.0)
        self.condition = threading.Condition()

    def take(self) -> tuple[int, str] | None:
        with self.condition:
            while True:
                if cancelled(self.cancel):
                    return None
                waiting = [key for key, queue in self.queues.items() if queue and key not in self.busy]
                if not waiting and not any(self.queues.values()):
                    return None
                now = time.monotonic()
                ready = [key for key in waiting if self.not_before[key] <= now]
                if ready:
                    key = min(ready, key=lambda k: self.not_before[k])
                    self.busy.add(key)
                    return self.queues[key].popleft(), key
                pauses = [self.not_before[key] - now for key in waiting]
                self.condition.wait(timeout=min(pauses) if pauses else None)

    def release(self, key: str) -> None:
        with self.condition:
            self.busy.discard(key)
            self.not_before[key] = time.monotonic() + self.delay
            self.condition.notify_all()


def describe(outcomes: list[Outcome[Any]]) -> str:
    """One summary line: how many captured, how many failed."""
    failed = sum(1 for outcome in outcomes if not outcome.ok)
    return f"{len(outcomes) - failed} captured, {failed} failed"
