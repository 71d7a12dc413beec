"""Capturing many URLs into the catalogue: ``batch.run_batch``'s scheduling, a journal, a report.

Fetching and writing each WARC run in the batch's worker threads (concurrent across hosts,
polite within one); cataloguing (extraction, copying in, the catalogue transaction) runs one at a
time under a lock, since it is CPU and disk work that gains nothing from overlapping and the
catalogue takes one writer at a time anyway. A batch of more than one URL keeps a journal
(``journal``) so a killed run, run again, skips what it had captured. A URL listed twice is
captured once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from archive.capture.batch import Outcome, run_batch
from archive.capture.catalogue import Captured, CaptureOptions, capture_url, contact_of
from archive.capture.journal import Journal
from archive.errors import DuplicateSourceError
from archive.layout import Archive
from archive.progress import Cancel, Progress, Step, cancelled


@dataclass
class Line:
    """One URL's result: ``id`` of the record made (or already holding it), or ``error``."""

    url: str
    id: str | None = None
    error: str | None = None
    status: int | None = None
    state: str = "captured"
    """captured, already (a resumed batch or the same page already catalogued) or failed."""


@dataclass
class BatchReport:
    lines: list[Line] = field(default_factory=list)
    resumed: bool = False
    not_started: int = 0
    """URLs left alone because the batch was cancelled (its journal is kept: a rerun resumes)."""

    @property
    def failed(self) -> list[Line]:
        return [line for line in self.lines if line.state == "failed"]

    def summary(self) -> str:
        captured = sum(line.state == "captured" for line in self.lines)
        already = sum(line.state == "already" for line in self.lines)
        text = f"captured {captured}, already in the archive {already}, failed {len(self.failed)}"
        if self.not_started:
            text += f", cancelled before {self.not_started}"
        return text + (" (resumed an interrupted batch)" if self.resumed else "")


def unique(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(url.strip() for url in urls if url.strip()))


def capture_many(arc: Archive, urls: list[str], options: CaptureOptions = CaptureOptions(),  # noqa: B008
                 *, workers: int = 4, delay: float = 1.0, progress: Progress | None = None,
                 on_line: Callable[[Line], None] | None = None, cancel: Cancel | None = None) -> BatchReport:
    """Capture every URL (each once); one failing never stops the others. ``cancel``: start no
    more URLs (those under way finish); the report lists the URLs done and counts the rest."""
    contact_of(arc)  # no contact e-mail: a usage error before anything starts
    urls = unique(urls)
    report = BatchReport()
    journal = Journal(arc, urls) if len(urls) > 1 else None
    if journal is not None:
        journal.open()
        report.resumed = journal.resumed
    catalogue = threading.Lock()
    finished: dict[str, Line] = {}
    todo = []
    for url in urls:
        if journal is not None and url in journal.done:
            finished[url] = Line(url, id=journal.done[url], state="already")
        else:
            todo.append(url)
    done = len(finished)
    if progress:
        progress(Step(done, len(urls)))
    facts = {"batch": journal.key} if journal is not None else {}

    def work(url: str) -> Captured | str:
        try:
            return capture_url(arc, url, options, facts={**facts, "batch_url": url} if facts else None,
                               catalogue_lock=catalogue)
        except DuplicateSourceError as exc:  # the same page is catalogued already: nothing to do
            return exc.existing_id

    def one_done(outcome: Outcome[Captured | str]) -> None:
        nonlocal done
        line = _line(outcome)
        if journal is not None and line.id and line.state == "captured":
            journal.record(line.url, line.id)
        finished[line.url] = line
        done += 1
        if on_line:
            on_line(line)
        if progress:
            progress(Step(done, len(urls)))

    run_batch(todo, work, workers=workers, delay=delay, on_done=one_done, cancel=cancel)
    report.lines = [finished[url] for url in urls if url in finished]
    report.not_started = len(urls) - len(report.lines)
    if journal is not None and not (report.not_started and cancelled(cancel)):
        journal.finish()  # a cancelled batch keeps its journal, so running it again resumes
    return report


def _line(outcome: Outcome[Captured | str]) -> Line:
    value = outcome.value
    if isinstance(value, str):
        return Line(outcome.url, id=value, state="already")
    if outcome.ok and value is not None and value.record is not None:
        return Line(outcome.url, id=value.record["id"])
    return Line(outcome.url, error=outcome.error or "nothing was added", status=outcome.status,
                state="failed")


__all__ = ["BatchReport", "Line", "capture_many"]
