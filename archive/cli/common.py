"""What every command shares: finding the archive, printing, progress bars and error handling.

Start-up matters here (a shell loop runs ``archive`` once per file): this module and every
``*_commands.py`` module import only what building the argument parser needs. The library a
command runs on is imported inside its handler; tests/test_startup_imports.py holds the line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, UsageError, ValidationError

if TYPE_CHECKING:
    from archive.layout import Archive
    from archive.progress import Progress, Step

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_SOFTWARE = 70
MAX_DURATION_S = 100 * 366 * 86400


def positive_int(text: str) -> int:
    """A count option (``--jobs``, ``--limit``, ``--workers``): a whole number, 1 or more; a usage
    error (exit 2) naming the value otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def duration(text: str) -> float:
    """An AGE or TIME option: '90d', '10m', '2h', '45s', '1w', at most a century; a usage error
    (exit 2) otherwise."""
    from archive.fixity.audit import parse_duration

    try:
        seconds = parse_duration(text)
    except ArchiveError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds > MAX_DURATION_S:
        raise argparse.ArgumentTypeError(f"{text!r} is more than a century; give at most 36600d")
    return seconds
"""A bug (an exception that is not an ArchiveError), as sysexits.h's EX_SOFTWARE."""


class CommandFailed(Exception):
    """Raised by a command to end with exit code 1 after it printed its own report."""


def fail(message: str) -> None:
    """One-line error on stderr, in the form argparse uses for usage errors."""
    for line in message.splitlines() or [""]:
        print(f"archive: error: {line}", file=sys.stderr)


def add_root(parser: argparse.ArgumentParser) -> None:
    """Every command takes --root, so it can also be given after the command name."""
    parser.add_argument("--root", default=argparse.SUPPRESS,
                        help="the archive folder (default: $ARCHIVE_ROOT or the nearest parent)")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def open_from(args: argparse.Namespace) -> Archive:
    from archive.layout import open_archive

    return open_archive(getattr(args, "root", None))


def print_json(value: Any) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n")


def printable(text: Any) -> str:
    """A value made safe for one terminal line: control characters shown, not obeyed."""
    text = str(text)
    if text.isprintable():  # nearly every value: one C-speed check instead of a loop per character
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def run_handler(handler: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Turn library errors into one-line messages and exit codes; a bug exits 70 with a log file."""
    try:
        return handler(args) or EXIT_OK
    except ValidationError as exc:
        for problem in exc.problems:
            fail(printable(problem))
        return EXIT_PROBLEM
    except UsageError as exc:
        fail(printable(exc))
        return EXIT_USAGE
    except ArchiveError as exc:
        fail(printable(exc))
        return EXIT_PROBLEM
    except CommandFailed:
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        fail("interrupted; the archive is as it was before the unfinished step")
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:  # the last line of defence: a bug, told apart from "a problem found"
        return report_unexpected(exc, args)


def _archive_root(args: argparse.Namespace) -> Path | None:
    """The archive this command was run on, if one can be found; a crash report goes under it."""
    from archive.config import find_root

    try:
        return find_root(getattr(args, "root", None))
    except Exception:  # no archive (or an unreadable one): the temp dir will do
        return None


def report_unexpected(exc: BaseException, args: argparse.Namespace) -> int:
    """One line naming the log file that holds the traceback, and exit 70 (EX_SOFTWARE).

    ARCHIVE_DEBUG=1 prints the traceback on stderr as well.
    """
    from archive.crashlog import write_crash_log

    if os.environ.get("ARCHIVE_DEBUG"):
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__)
    log = write_crash_log(exc, _archive_root(args))
    where = f"details in {printable(log)}" if log else "no log could be written; set ARCHIVE_DEBUG=1"
    fail(f"unexpected {type(exc).__name__}: {printable(exc)}; {where}")
    return EXIT_SOFTWARE


@contextmanager
def progress_bar(label: str, total: int, unit: str = "items") -> Iterator[Progress]:
    """A rich progress bar on a terminal, nothing when piped; yields the ``progress`` callback
    the library's long operations take (bytes, when a step carries them, in the bar's text)."""
    if not sys.stderr.isatty() or os.environ.get("ARCHIVE_NO_PROGRESS"):
        yield lambda step: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[extra]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        transient=True, console=Console(stderr=True),  # rich's default console is stdout: the report's
    ) as progress:
        task = progress.add_task(label, total=total, extra="")

        def update(step: Step) -> None:
            extra = ("" if step.bytes_total is None
                     else f"{(step.bytes_done or 0) / 1e6:,.1f} of {step.bytes_total / 1e6:,.1f} MB")
            progress.update(task, completed=step.done, total=step.total or total, extra=extra)

        yield update
