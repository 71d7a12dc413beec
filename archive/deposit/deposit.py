"""Deposit: check each record's newest bag (fixity, then the BagIt profile), serialise it, log it.

A bag that is damaged or breaks a profile rule is refused with every reason, and nothing is
written for it; the others go ahead, so one bad record does not hold back a whole transfer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive.deposit.profile import load_profile
from archive.deposit.serialize import SUFFIXES, serialise
from archive.deposit.verify import verify_bag
from archive.errors import ArchiveError
from archive.events import make_event
from archive.layout import Archive

Progress = Callable[[int, int], None]


@dataclass
class Deposited:
    record_id: str
    version: int
    path: str
    sha256: str


@dataclass
class DepositReport:
    """Files written, and per refused record the reasons (unmet profile rules, fixity failures)."""

    written: list[Deposited] = field(default_factory=list)
    refused: list[tuple[str, list[str]]] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"written": [asdict(w) for w in self.written],
                "refused": [{"id": i, "reasons": r} for i, r in self.refused],
                "cancelled": self.cancelled}


def _reasons_against(arc: Archive, record: dict, profile: dict, fmt: str) -> tuple[list[str], Path | None]:
    from archive.deposit.profile import check_profile

    if record["status"] == "deaccessioned":
        return ["deaccessioned; not deposited"], None
    bags = record.get("bags") or []
    if not bags:
        return [f"has no bag yet; run: archive bag {record['id']}"], None
    bag = arc.root / bags[-1]["path"]
    reasons = verify_bag(bag, with_bagit=False)
    reasons += [f"profile: {rule}{_hint(rule)}" for rule in check_profile(bag, profile, fmt)]
    return reasons, bag


def _hint(rule: str) -> str:
    """What to do about the rules an archive's own settings decide."""
    if "Contact-Name" in rule or "Contact-Email" in rule or "Source-Organization" in rule:
        return (" (bags take these from archive.toml when they are made: set organization, "
                "contact_name and contact_email there before bagging)")
    return ""


def deposit_records(
    arc: Archive,
    ids: Iterable[str],
    *,
    fmt: str = "tar",
    to: Path,
    profile: Path | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> DepositReport:
    """Serialise the newest bag of each record into ``to`` as ``<id>_v<N>.<ext>`` plus ``.sha256``.

    Each bag is validated and checked against ``profile`` (default: the shipped article-archive
    profile) first. Written bags get a ``tra`` event and the status ``deposited``. ``cancel`` is
    polled before each record; what was written by then is recorded, the rest is left alone.
    """
    if fmt not in SUFFIXES:
        raise ArchiveError(f"unknown format {fmt!r}; choose tar, tar.gz or zip")
    rules = load_profile(profile)
    to = Path(to)
    try:
        to.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(f"cannot create {to}: {exc.strerror or exc}") from None
    report = DepositReport()
    ids = list(dict.fromkeys(ids))
    events: list[tuple[str, dict]] = []
    for done, record_id in enumerate(ids, 1):
        if cancel is not None and cancel():
            report.cancelled = ids[done - 1:]
            break
        record = arc.store.get(record_id)
        reasons, bag = _reasons_against(arc, record, rules, fmt)
        if reasons or bag is None:
            report.refused.append((record_id, reasons))
            continue
        version = record["bags"][-1]["version"]
        try:
            path, digest = serialise(bag, f"{record_id}_v{version}", fmt, to)
        except OSError as exc:
            report.refused.append((record_id, [f"cannot write into {to}: {exc.strerror or exc}"]))
            continue
        report.written.append(Deposited(record_id, version, str(path), digest))
        events.append((record_id, make_event(
            "tra", record_id, detail=f"bag v{version} serialised as {path.name} into {to}",
            outcome_detail={"file": path.name, "sha256": digest, "format": fmt,
                            "profile": rules["BagIt-Profile-Info"].get("BagIt-Profile-Identifier", "")},
            bag_version=version)))
        if progress:
            progress(done, len(ids))
    if events:
        with arc.store.transaction() as tx:
            for record_id, event in events:
                record = tx.get(record_id)
                if record["status"] == "bagged":
                    record["status"] = "deposited"
                    tx.update(record, bookkeeping=True)
                tx.log(event)
    if progress:
        progress(len(ids), len(ids))
    return report
