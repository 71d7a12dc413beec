"""What a check can find wrong with a bag, named so people and programs can act on it.

Every problem has a ``kind`` an archivist sorts by (was a file changed, lost, added, dangerous, or
impossible to read, or is the bag itself malformed) and a ``code`` that names the exact rule broken,
so a report can say *which* file failed *how*, not only that the bag is invalid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

# Kinds of file failure the archive-wide report counts.
CHANGED = "changed"
MISSING = "missing"
UNTRACKED = "untracked"
UNSAFE = "unsafe"
UNREADABLE = "unreadable"
# A bag-level fault: declaration, tag file syntax, Payload-Oxum, duplicates.
INVALID = "invalid"
# The catalogue disagrees with the bag (record.json, source digests, orphans).
MISMATCH = "mismatch"

FILE_KINDS = (CHANGED, MISSING, UNTRACKED, UNSAFE, UNREADABLE)

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding; ``path`` is relative to the bag (or archive) and may be empty for the whole bag."""

    severity: str
    kind: str
    code: str
    path: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """``code path: message``, the form printed on a terminal."""
        where = f" {self.path}" if self.path else ""
        return f"{self.severity}: {self.kind} [{self.code}]{where}: {self.message}"


def error(kind: str, code: str, path: str, message: str) -> Problem:
    return Problem(ERROR, kind, code, path, message)


def warning(kind: str, code: str, path: str, message: str) -> Problem:
    return Problem(WARNING, kind, code, path, message)


def count_kinds(problems: Iterable[Problem], kinds: Iterable[str]) -> dict[str, int]:
    """Failing files per kind, every kind present (zero when none): what reports and JSON show."""
    counts = dict.fromkeys(kinds, 0)
    for problem in problems:
        if problem.severity == ERROR and problem.kind in counts:
            counts[problem.kind] += 1
    return counts


SUCCESS, FAILURE = "success", "failure"


def outcome_of(problems: Iterable[Problem]) -> str:
    """A PREMIS event outcome: failure on any error, a warning when only warnings, else success."""
    if not isinstance(problems, list):
        problems = list(problems)
    if not problems:  # nearly every report: asked several times each (state, tally, recording)
        return SUCCESS
    if any(p.severity == ERROR for p in problems):
        return FAILURE
    return WARNING if problems else SUCCESS
