"""Deposit: check each record's newest bag (fixity, then the BagIt profile), serialise it, log it.

The fixity check is the one ``archive verify`` runs on a bag (``fixity.verify.tasks_for`` and
``check_archive_bag``): RFC 8493 in full and then the catalogue's pins, so a bag that was
rewritten into another valid bag is refused too. A bag that is damaged or breaks a profile rule
is refused with every reason, and nothing is written for it, not even an event; the others go
ahead, so one bad record does not hold back a whole transfer. The destination may not lie in the
archive's own folders (``outputs.check_output_path``). A record edited after its newest bag is
deposited as bagged, with a warning that says how to bag the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive.deposit.profile import check_profile, load_profile
from archive.deposit.serialize import SUFFIXES, serialise
from archive.errors import ArchiveError
from archive.events import make_event
from archive.fixity.crosscheck import check_archive_bag
from archive.fixity.verify import tasks_for
from archive.layout import Archive
from archive.outputs import check_output_path
from archive.progress import Cancel, Progress, Step, cancelled
from archive.records import changed_since_bag

SETTING_OF_LABEL = {"Source-Organization": "organization", "Contact-Name": "contact_name",
                    "Contact-Email": "contact_email"}
"""bag-info labels that a bag takes from archive.toml when it is made, and the setting for each."""


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
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """(record id, message): deposited, but something the archivist should know."""

    def to_dict(self) -> dict:
        return {"written": [asdict(w) for w in self.written],
                "refused": [{"id": i, "reasons": r} for i, r in self.refused],
                "cancelled": self.cancelled,
                "warnings": [{"id": i, "message": m} for i, m in self.warnings]}


def fixity_reasons(arc: Archive, record: dict, version: int) -> list[str]:
    """Every error ``archive verify`` would report for bag ``version`` of ``record``, one line
    each naming the file; nothing is recorded (a deposit check writes no fix event)."""
    reasons: list[str] = []
    for task in tasks_for(arc, [record], fast=False, versions={record["id"]: {version}}):
        report = check_archive_bag(task)
        reasons += [f"fixity: {p.line()}" for p in report.problems if p.severity == "error"]
    return reasons


def _reasons_against(arc: Archive, record: dict, profile: dict, fmt: str) -> tuple[list[str], Path | None]:
    if record["status"] == "deaccessioned":
        return ["deaccessioned; not deposited"], None
    bags = record.get("bags") or []
    if not bags:
        return [f"has no bag yet; run: archive bag {record['id']}"], None
    bag = arc.root / bags[-1]["path"]
    reasons = fixity_reasons(arc, record, bags[-1]["version"])
    if reasons:
        return reasons, bag  # a damaged bag: its profile findings would only repeat the damage
    rules = check_profile(bag, profile, fmt)
    reasons += [f"profile: {rule}" for rule in rules]
    hint = settings_hint(arc, record["id"], rules)
    return reasons + ([hint] if hint else []), bag


def settings_hint(arc: Archive, record_id: str, rules: list[str]) -> str:
    """How to meet the unmet rules that archive.toml decides (organisation and contact): a bag
    takes them from the settings when it is made and never changes, so the fix is the setting
    and then a new version of the bag (``archive bag --rebag``)."""
    missing = [label for label in SETTING_OF_LABEL if any(f"Bag-Info: {label} " in r for r in rules)]
    if not missing:
        return ""
    unset = [SETTING_OF_LABEL[label] for label in missing
             if not str(getattr(arc.settings, SETTING_OF_LABEL[label], "") or "").strip()]
    labels = ", ".join(missing)
    if unset:
        names = ", ".join(unset[:-1]) + (" and " if len(unset) > 1 else "") + unset[-1]
        return (f"the bag lacks {labels}: set {names} in archive.toml, then "
                f"`archive bag --rebag {record_id}` to write a new version that carries them")
    return (f"the bag lacks {labels}, which archive.toml now sets: run "
            f"`archive bag --rebag {record_id}` to write a new version that carries them")


def changed_warning(record: dict) -> str:
    """The warning for a record edited after its newest bag, or empty."""
    if not changed_since_bag(record):
        return ""
    version = record["bags"][-1]["version"]
    return (f"{record['id']}: changed since bag v{version}; the deposit holds bag v{version} without "
            f"the later changes: run `archive bag {record['id']}` to preserve them, then deposit again")


Writer = Callable[[Path, str, int], tuple[Deposited, str, dict]]
"""Sends one checked bag (its folder, record id, version) where a deposit goes: returns what was
written, the event's detail and what the event's outcome_detail adds (the target); raises
DepositFailed, with nothing recorded, when it cannot."""


class DepositFailed(ArchiveError):
    """One bag could not be written where it was to go; the record is refused with this reason."""


def deposit_records(
    arc: Archive,
    ids: Iterable[str],
    *,
    fmt: str = "tar",
    to: Path,
    profile: Path | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> DepositReport:
    """Serialise the newest bag of each record into ``to`` as ``<id>_v<N>.<ext>`` plus ``.sha256``.

    Each bag is validated and checked against ``profile`` (default: the shipped article-archive
    profile) first. Written bags get a ``tra`` event and the status ``deposited``. ``cancel`` is
    polled before each record; what was written by then is recorded, the rest is left alone.
    """
    if fmt not in SUFFIXES:
        raise ArchiveError(f"unknown format {fmt!r}; choose tar, tar.gz or zip")
    to = check_output_path(arc.root, Path(to), what="deposit")

    def write_local(bag: Path, record_id: str, version: int) -> tuple[Deposited, str, dict]:
        try:
            to.mkdir(parents=True, exist_ok=True)  # only once a bag has passed: a refusal writes nothing
            path, digest = serialise(bag, f"{record_id}_v{version}", fmt, to)
        except OSError as exc:
            raise DepositFailed(f"cannot write into {to}: {exc.strerror or exc}") from None
        return (Deposited(record_id, version, str(path), digest),
                f"bag v{version} serialised as {path.name} into {to}", {})

    return deposit_each(arc, ids, fmt=fmt, profile=profile, write=write_local, progress=progress,
                        cancel=cancel)


def deposit_each(arc: Archive, ids: Iterable[str], *, fmt: str, profile: Path | None, write: Writer,
                 progress: Progress | None = None, cancel: Cancel | None = None) -> DepositReport:
    """Check each record's newest bag, hand the passing ones to ``write``, then record a ``tra``
    event (and the status ``deposited``) for each bag written, in one transaction."""
    if fmt not in SUFFIXES:
        raise ArchiveError(f"unknown format {fmt!r}; choose tar, tar.gz or zip")
    rules = load_profile(profile)
    report = DepositReport()
    ids = list(dict.fromkeys(ids))
    events: list[tuple[str, dict]] = []
    for done, record_id in enumerate(ids, 1):
        if cancelled(cancel):
            report.cancelled = ids[done - 1:]
            break
        record = arc.store.get(record_id)
        reasons, bag = _reasons_against(arc, record, rules, fmt)
        if reasons or bag is None:
            report.refused.append((record_id, reasons))
            continue
        version = record["bags"][-1]["version"]
        warning = changed_warning(record)
        if warning:
            report.warnings.append((record_id, warning))
        try:
            written, detail, extra = write(bag, record_id, version)
        except DepositFailed as exc:
            report.refused.append((record_id, [str(exc)]))
            continue
        report.written.append(written)
        events.append((record_id, make_event(
            "tra", record_id, detail=detail,
            outcome_detail={"file": Path(written.path).name, "sha256": written.sha256, "format": fmt,
                            "profile": rules["BagIt-Profile-Info"].get("BagIt-Profile-Identifier", ""),
                            **extra},
            bag_version=version)))
        if progress:
            progress(Step(done, len(ids)))
    if events:
        with arc.store.transaction() as tx:
            for record_id, event in events:
                record = tx.get(record_id)
                if record["status"] == "bagged":
                    record["status"] = "deposited"
                    tx.update(record, bookkeeping=True)
                tx.log(event)
    if progress:
        progress(Step(len(ids), len(ids)))
    return report
