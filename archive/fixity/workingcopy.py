"""The working copies in sources/<id>/ checked against what the catalogue (and the bag) recorded.

``show --text``, the TUI and citation detection read these copies, not the bags, so a copy that was
appended to or replaced would be shown as the preserved text while every bag still verifies. A full
check re-hashes every file of the source set (``archive.source_files``: the original, the extracted
text, a WARC, requisites) against its size and digests in the record; a file an old record holds no
digests for (its extracted text) against the newest bag's manifest entry for it. A fast check
compares sizes. Each problem names the file and its role.
Runs in worker processes beside the bag checks, so it takes and returns plain values.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from archive.bagit_format.manifest import split_manifest_line
from archive.bagit_format.paths import decode_path, payload_name
from archive.bagit_format.payload import source_path
from archive.bagit_format.taginfo import split_lines
from archive.errors import ArchiveError
from archive.fixity.problems import CHANGED, MISSING, UNREADABLE, UNSAFE, Problem, error
from archive.fixity.report import SourceReport
from archive.hashing import hash_fd
from archive.source_files import ORIGINAL, TEXT, files_of

MAX_MANIFEST_READ = 16 << 20


@dataclass(slots=True)
class WorkingFile:
    """One file of a working copy and what it must be; empty ``digests`` means unknown."""

    name: str
    size: int | None = None
    digests: dict[str, str] = field(default_factory=dict)
    bag_manifest: str = ""
    """For the extracted text: the newest bag's manifest and the payload path to look up."""
    bag_payload: str = ""
    role: str = ORIGINAL


@dataclass(slots=True)
class SourceTask:
    root: str
    record_id: str
    fast: bool
    files: list[WorkingFile] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return f"sources/{self.record_id}"


def source_task(root: str, record: dict, fast: bool) -> SourceTask | None:
    """The check of one record's working copy, or None when the record names no source file."""
    items = files_of(record)
    if not items:
        return None
    bags = record.get("bags") or []
    manifest = f"{bags[-1]['path']}/manifest-sha256.txt" if bags else ""
    files = [WorkingFile(item.filename, item.size, item.digests, role=item.role) if item.digests else
             WorkingFile(item.filename, item.size, role=item.role, bag_manifest=manifest,
                         bag_payload=source_path(payload_name(item.filename)))
             for item in items]
    return SourceTask(root=root, record_id=record["id"], fast=fast, files=files)


def check_working_copy(task: SourceTask) -> SourceReport:
    """Never raises for anything on disk; every fault becomes a problem naming the file."""
    report = SourceReport(path=task.folder, record_id=task.record_id, fast=task.fast)
    for item in task.files:
        rel = f"{task.folder}/{item.name}"
        if "/" in item.name or item.name in ("", ".", ".."):
            report.problems.append(error(UNSAFE, "unsafe-name", rel, f"the {item.role} file: the catalogued "
                                         "file name is not a plain file name; not opened"))
            continue
        if item.bag_manifest and not item.digests and not task.fast:
            item.digests = _from_bag_manifest(task.root, item)
        report.problems += [_with_role(p, item.role) for p in _check_file(task, item, rel, report)]
    return report


def _with_role(problem: Problem, role: str) -> Problem:
    """The problem with the file's role before its message ("the warc file: ..."), so an archivist
    knows which part of the source was hit."""
    return error(problem.kind, problem.code, problem.path, f"the {role} file: {problem.message}")


def _check_file(task: SourceTask, item: WorkingFile, rel: str, report: SourceReport) -> list[Problem]:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(os.path.join(task.root, rel), flags)
    except FileNotFoundError:
        return [error(MISSING, "working-copy-missing", rel, "the working copy is gone")]
    except OSError as exc:
        return [error(UNREADABLE, "unreadable", rel, exc.strerror or str(exc))]
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return [error(UNSAFE, "not-a-file", rel, "not a regular file; not read")]
        if item.size is not None and info.st_size != item.size:
            return [error(CHANGED, "working-copy-changed", rel,
                          f"{info.st_size} bytes; the catalogue recorded {item.size}")]
        if task.fast or not item.digests:
            return []
        os.set_blocking(fd, True)
        digests, size = hash_fd(fd, list(item.digests), size_hint=info.st_size)
        report.hashed_bytes += size
    except OSError as exc:
        return [error(UNREADABLE, "unreadable", rel, exc.strerror or str(exc))]
    finally:
        os.close(fd)
    bad = sorted(a for a, want in item.digests.items() if digests[a] != want)
    if bad:
        against = "the bag's manifest" if item.bag_manifest else "the catalogue"
        return [error(CHANGED, "working-copy-changed", rel,
                      f"its {', '.join(bad)} differs from {against}")]
    return []


def _from_bag_manifest(root: str, item: WorkingFile) -> dict[str, str]:
    """The sha256 the newest bag lists for the file; {} when it cannot be read (the bag check
    names that fault itself)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(os.path.join(root, item.bag_manifest), flags)
    except OSError:
        return {}
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return {}
        os.set_blocking(fd, True)
        data = os.read(fd, MAX_MANIFEST_READ)
    except OSError:
        return {}
    finally:
        os.close(fd)
    for line in split_lines(data.decode("utf-8", "replace")):
        parsed = split_manifest_line(line)
        if parsed and decode_path(parsed[1]) == item.bag_payload and len(parsed[0]) == 64:
            return {"sha256": parsed[0]}
    return {}


class WorkingCopyError(ArchiveError):
    """A working copy is gone, unreadable or does not match what the archive recorded."""


def checked_working_copy(root: str | os.PathLike[str], record: dict, *, text: bool = False,
                         force: bool = False) -> tuple[str, str]:
    """The path of a record's source file (with ``text``, its extracted text if it has one), proved
    to match the catalogue (or the newest bag's manifest for an extracted text), and '' — or with
    ``force``, the path and the warning to show. Readers call this so a tampered copy is never
    passed off as the preserved text. Raises WorkingCopyError naming the file otherwise.
    """
    task = source_task(os.fspath(root), record, fast=False)
    if task is None:
        raise WorkingCopyError(f"{record.get('id')}: the record names no source file")
    wanted = [f for f in task.files if f.role == TEXT] if text else []
    task.files = wanted[:1] or [f for f in task.files if f.role == ORIGINAL][:1] or task.files[:1]
    rel = f"{task.folder}/{task.files[0].name}"
    problems = check_working_copy(task).problems
    if not problems:
        return os.path.join(os.fspath(root), rel), ""
    problem = problems[0]
    if problem.kind != CHANGED:
        bags = record.get("bags") or []
        advice = f"; its bagged copy is in {bags[-1]['path']}/data/source/" if bags else ""
        raise WorkingCopyError(f"{problem.path}: {problem.message}{advice}")
    message = (f"{problem.path}: does not match what the archive recorded ({problem.message}); "
               "'archive verify " + str(record.get("id")) + "' names the damage")
    if not force:
        raise WorkingCopyError(f"{message}; refused (--force shows it anyway)")
    return os.path.join(os.fspath(root), rel), message
