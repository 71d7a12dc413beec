"""Good copies of a record: the archive's own and each replica's, and how far short of min_copies.

A copy is judged from the local catalogue alone (see the package docstring): the local copy is good
when the record has bags and none has a standing failure; a replica's copy when every bag version
has ``replicas[NAME].replicated_at`` and none has a standing failure in ``replicas[NAME].last_fixity``.
Only replicas named in archive.toml count: a replica removed from it is no copy this archive can
check, repair from or restore from.

The summary index keeps ``good_on`` (``archive.records.good_places``), so ``list`` and the TUI
table count copies from the summaries without reading a record; the settings decide here which
of those places still count. This module imports nothing heavy: ``list`` and ``show`` use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archive.config import Settings
from archive.records import FAILURE, LOCAL, check_mode, replica_copy_good, standing_failure

__all__ = ["LOCAL", "Copy", "copies_json", "copies_lines", "copies_of", "good_copies", "row_copies",
           "short_of", "with_copies"]

WORST_FIRST = (FAILURE, "warning", "success")


@dataclass(frozen=True)
class Copy:
    """One place's copy of a record's bags, summed up over every bag version."""

    where: str
    """``local`` or a replica's NAME."""
    good: bool
    versions: int
    """Bag versions held there: for a replica, those confirmed (``replicated_at``)."""
    of: int
    """Bag versions the record has."""
    replicated_at: str = ""
    """When the copy was made: for a replica, when its last version was confirmed ('' until every
    version is); for the local copy, when the newest bag was written."""
    last_checked: str = ""
    """The oldest last check over the versions (every version was checked since), or the
    standing failure's time; '' while a version was never checked there."""
    outcome: str = ""
    """failure (a standing failure on any version), warning, success, or '' (not every version
    checked)."""
    fast: bool = False
    """True when a check behind ``last_checked`` read no file contents."""

    def as_json(self) -> dict[str, Any]:
        """Every field by name, as ``dataclasses.asdict`` gives them; written out because
        ``list --json`` makes two or more per record and asdict's deep copy of each field was most
        of what listing 1,000 bagged records' copies cost."""
        return {"where": self.where, "good": self.good, "versions": self.versions, "of": self.of,
                "replicated_at": self.replicated_at, "last_checked": self.last_checked,
                "outcome": self.outcome, "fast": self.fast}

    def line(self) -> str:
        """``nas: good; copied 2026-11-29; checked 2026-11-30 success (full)``, for ``show``."""
        state = "good" if self.good else ("not good" if self.versions == self.of else
                                          f"{self.versions} of {self.of} versions")
        made = "bagged" if self.where == LOCAL else "copied"
        parts = [state, f"{made} {self.replicated_at}" if self.replicated_at else f"not {made}"]
        if self.last_checked:
            mode = "fast" if self.fast else "full"
            parts.append(f"checked {self.last_checked} {self.outcome or 'not every version'} ({mode})")
        else:
            parts.append("never checked")
        return f"{self.where}: " + "; ".join(parts)


def _checks(fixities: list[dict[str, Any] | None]) -> tuple[str, str, bool]:
    """(last_checked, outcome, fast) of a copy from its versions' fixity states."""
    failures = [f for f in fixities if standing_failure(f)]
    if failures:
        newest = max(failures, key=lambda f: str(f.get("at", "")))
        return str(newest.get("at", "")), FAILURE, check_mode(newest) == "fast"
    if not fixities or any(not f for f in fixities):
        return "", "", False
    checked = [f for f in fixities if f]
    outcomes = {str(f.get("outcome", "")) for f in checked}
    outcome = next((o for o in WORST_FIRST if o in outcomes), "")
    oldest = min(checked, key=lambda f: str(f.get("at", "")))
    return str(oldest.get("at", "")), outcome, any(check_mode(f) == "fast" for f in checked)


def _local(bags: list[dict[str, Any]]) -> Copy:
    last, outcome, fast = _checks([b.get("last_fixity") for b in bags])
    good = bool(bags) and not any(standing_failure(b.get("last_fixity")) for b in bags)
    return Copy(LOCAL, good, len(bags), len(bags), str(bags[-1].get("bagged_at", "")) if bags else "",
                last, outcome, fast)


def _replica(bags: list[dict[str, Any]], name: str) -> Copy:
    held = [(b.get("replicas") or {}).get(name) or {} for b in bags]
    confirmed = [h for h in held if h.get("replicated_at")]
    made = max(str(h["replicated_at"]) for h in confirmed) if bags and len(confirmed) == len(bags) else ""
    last, outcome, fast = _checks([h.get("last_fixity") for h in held])
    return Copy(name, replica_copy_good(bags, name), len(confirmed), len(bags), made, last, outcome, fast)


def copies_of(record: dict[str, Any], settings: Settings) -> list[Copy]:
    """The local copy, then one per replica in archive.toml (sorted by name)."""
    bags = record.get("bags") or []
    return [_local(bags), *(_replica(bags, name) for name in sorted(settings.replicas))]


def good_copies(record: dict[str, Any], settings: Settings) -> int:
    return sum(copy.good for copy in copies_of(record, settings))


def short_of(good: int, bagged: bool, settings: Settings) -> int:
    """How many good copies a record lacks to reach min_copies. A record never bagged has no
    copies to count (its status says what it lacks first), so it is never short."""
    return max(settings.min_copies - good, 0) if bagged else 0


def copies_json(record: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """What ``show --json`` adds as ``copies``: the count, the rule, and every place's copy."""
    copies = copies_of(record, settings)
    good = sum(c.good for c in copies)
    return {"good": good, "min_copies": settings.min_copies,
            "short": short_of(good, bool(record.get("bags")), settings),
            "places": [c.as_json() for c in copies]}


def copies_lines(record: dict[str, Any], settings: Settings) -> list[str]:
    """What ``show`` prints: the count against min_copies, then one line per place."""
    data = copies_json(record, settings)
    head = f"copies: {data['good']} good of min_copies {data['min_copies']}"
    if data["short"]:
        head += f" (SHORT by {data['short']})"
    elif not record.get("bags"):
        head = "copies: none (not bagged)"
    return [head, *(f"copies.{c.line()}" for c in copies_of(record, settings))]


# ----- from the summary index --------------------------------------------------------------------
def row_copies(row: dict[str, Any], settings: Settings) -> tuple[int, int]:
    """(good copies, short of min_copies) of a summary row, from its ``good_on``."""
    good = sum(1 for place in row.get("good_on") or () if place == LOCAL or place in settings.replicas)
    return good, short_of(good, bool(row.get("bag_version")), settings)


def with_copies(rows: list[dict[str, Any]], settings: Settings,
                records: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Summary rows for ``list --json``: ``good_on`` holding only the places that count, and
    ``good_copies`` and ``copies_short``; with ``records`` (the full records by id, of the bagged
    rows at least), also ``copies``, every place's copy and its last check exactly as ``show
    --json`` gives it. The summary index holds only where the good copies are: when each was last
    checked lies in the records. New dicts: the store's cached rows stay as they were."""
    out = []
    for row in rows:
        good, short = row_copies(row, settings)
        places = [p for p in row.get("good_on") or () if p == LOCAL or p in settings.replicas]
        shown = {**row, "good_on": places, "good_copies": good, "copies_short": short}
        if records is not None:
            shown["copies"] = copies_json(records.get(row["id"]) or {}, settings)
        out.append(shown)
    return out
