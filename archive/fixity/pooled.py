"""What a verify's worker processes run: a chunk of checks in one call.

Its own small module, importing only the checker, so a worker (started by the fork server with
``archive.fixity.crosscheck`` preloaded) imports nothing more to run it. The parent submits chunks
one at a time as it plans them, rather than handing ``Executor.map`` a finished list, so the
workers start checking while the catalogue is still being read.
"""

from __future__ import annotations

from archive.fixity.crosscheck import BagTask, check_task
from archive.fixity.report import BagReport, SourceReport
from archive.fixity.workingcopy import SourceTask


def check_chunk(tasks: list[BagTask | SourceTask]) -> list[BagReport | SourceReport]:
    """The reports of ``tasks``, in their order."""
    return [check_task(task) for task in tasks]
