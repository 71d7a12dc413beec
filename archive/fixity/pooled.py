"""What a verify's worker processes run: a chunk of checks in one call.

Its own small module, importing only the checker, so a worker (forked, or started by the fork
server with ``archive.fixity.crosscheck`` preloaded) imports nothing more to run it. The parent
submits chunks one at a time as it plans them, rather than handing ``Executor.map`` a finished
list, so the workers start checking while the catalogue is still being read.

A chunk's results come back in a compact form: a check that found nothing (nearly every one) is
sent as its byte counts alone, and the parent makes its report again from the task it planned
(``expand``), since everything else in such a report comes from the task. A report with any
problem is sent whole. Pickling a report object per bag in the worker and unpickling it in the
parent (a Python ``__setstate__`` each) was the larger part of what a result cost to send.
"""

from __future__ import annotations

from archive.fixity.crosscheck import BagTask, check_task
from archive.fixity.report import BagReport, SourceReport
from archive.fixity.workingcopy import SourceTask

Result = BagReport | SourceReport | int | tuple[int, int]
"""A report, or a clean one in compact form: a working copy's hashed bytes (``int``), a bag's
payload and hashed bytes (``tuple``)."""


def compact(report: BagReport | SourceReport) -> Result:
    """``report`` as sent back: its byte counts alone when it found nothing, else itself."""
    if report.problems:
        return report
    if isinstance(report, SourceReport):
        return report.hashed_bytes
    return (report.payload_bytes, report.hashed_bytes)


def expand(task: BagTask | SourceTask, result: Result) -> BagReport | SourceReport:
    """The report ``check_task(task)`` made, from what ``compact`` sent of it."""
    if isinstance(result, int):
        assert isinstance(task, SourceTask)
        return SourceReport(path=task.folder, record_id=task.record_id, fast=task.fast, hashed_bytes=result)
    if isinstance(result, tuple):
        assert isinstance(task, BagTask)
        return BagReport(path=task.rel, record_id=task.record_id, version=task.version, fast=task.fast,
                         standing_failure=task.standing if task.fast else "",
                         standing_fast=task.standing_fast, payload_bytes=result[0], hashed_bytes=result[1])
    return result


def check_chunk(tasks: list[BagTask | SourceTask]) -> list[Result]:
    """The results of ``tasks``, in their order, each as ``compact`` sends it."""
    return [compact(check_task(task)) for task in tasks]
