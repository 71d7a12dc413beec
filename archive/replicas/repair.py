"""``archive repair``: put a damaged copy right from a copy proved good.

``repair`` fixes the local archive: every bag version that fails a full check (a file changed,
truncated, missing, or the whole bag folder gone) and every working copy in sources/<id>/ that does.
What each file must hash to comes from manifests proved against the catalogue's pin (see
manifests.py), read from whichever copy holds them intact. Each bad file is fetched from the first
replica whose bytes hash to that value (hashed before anything is written, then written with
``write_atomic(sha256=)``); a replica holding a corrupt copy is passed over, and a file no replica
holds intact is named and left as it was. Each bag repaired gets a PREMIS recovery event naming the
replica its bytes came from, and is verified again (its fix event and last fixity recorded).

``repair_replica`` is the same the other way round: a replica's damaged copies are put right from
the local bytes that hash to the manifest's value, with a recovery event naming the replica, and
the replica's copy is checked again.

Nothing is written, and nothing recorded, when there is nothing a good copy can fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from archive.bagit_format.paths import payload_name
from archive.bagit_format.payload import source_path
from archive.errors import ArchiveError, UsageError
from archive.events import make_event
from archive.fixity.crosscheck import check_task
from archive.fixity.problems import FAILURE
from archive.fixity.report import BagReport, SourceReport
from archive.fixity.verify import record_checks, source_tasks_for, tasks_for
from archive.layout import Archive
from archive.progress import Cancel, Progress, Step, cancelled
from archive.replicas.check import (
    CopyTask,
    SourceCopyTask,
    check_copy,
    check_source_copy,
    copy_tasks,
    open_replica,
    record_copy_checks,
    source_copy_tasks,
)
from archive.replicas.copying import Copy, copy_if_good, derived_digest, digest_of, trusted_digests
from archive.replicas.remote import SOURCES, bag_on, bag_prefix, replica_settings
from archive.source_files import files_of
from archive.storage.base import Storage
from archive.storage.local import LocalStorage
from archive.storage.prefixed import PrefixedStorage


@dataclass(slots=True)
class FileRepair:
    """One file found bad: where it came from when put right, or why each copy was passed over."""

    path: str
    """Relative to the archive (or replica) root: bags/<id>/v<N>/... or sources/<id>/<file>."""
    record_id: str
    source: str = ""
    """The replica NAME (or "local") the good bytes came from; '' when none had them."""
    passed_over: list[str] = field(default_factory=list)
    """``NAME: why`` for each copy that was not used."""

    @property
    def repaired(self) -> bool:
        return bool(self.source)

    def line(self, target: str) -> str:
        if self.repaired:
            where = "the local copy" if self.source == "local" else f"replica {self.source}"
            return f"repaired {self.path}{target} from {where}"
        why = "; ".join(self.passed_over) or "no copy to take it from"
        return f"NO GOOD COPY of {self.path}{target}: {why}; left as it is"

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "record_id": self.record_id, "repaired": self.repaired,
                "from": self.source or None, "passed_over": list(self.passed_over)}


@dataclass(slots=True)
class RepairResult:
    """What one repair did; ``ok`` when every bad file was put right and every copy re-verifies."""

    target: str
    """"local" (repair) or a replica NAME (repair --replica)."""
    checked: int = 0
    files: list[FileRepair] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Bags that cannot be repaired at all (no trusted manifest), one line each."""
    unreachable: list[str] = field(default_factory=list)
    """Replicas that did not answer and were passed over, one line each (a warning)."""
    rechecked: list[BagReport] = field(default_factory=list)
    sources_rechecked: list[SourceReport] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return (not self.problems and all(f.repaired for f in self.files)
                and all(r.state != FAILURE for r in self.rechecked)
                and all(s.outcome != FAILURE for s in self.sources_rechecked))

    def summary(self) -> str:
        fixed = sum(f.repaired for f in self.files)
        left = len(self.files) - fixed + len(self.problems)
        where = "the local archive" if self.target == "local" else f"replica {self.target}"
        if not self.files and not self.problems:
            return f"repair of {where}: nothing to repair; {self.checked} bags checked in full"
        still = sum(r.state == FAILURE for r in self.rechecked) + \
            sum(s.outcome == FAILURE for s in self.sources_rechecked)
        return (f"repair of {where}: {fixed} files repaired, {left} left without a good copy; "
                f"{len(self.rechecked)} bags verified again, {still} still failing")

    def lines(self) -> list[str]:
        target = "" if self.target == "local" else f" on replica {self.target}"
        out = [f"warning: passed over {line}" for line in self.unreachable]
        out += [f.line(target) for f in self.files]
        out += [f"CANNOT REPAIR {p}" for p in self.problems]
        for report in self.rechecked:
            if report.state == FAILURE:
                out.append(f"STILL FAILING {report.record_id} v{report.version} ({report.path}){target}")
                out += [f"  {p.line()}" for p in report.problems]
        for source in self.sources_rechecked:
            if source.outcome == FAILURE:
                out.append(f"STILL FAILING {source.record_id} working copy ({source.path})")
                out += [f"  {p.line()}" for p in source.problems]
        out.append(self.summary())
        return out

    def as_json(self) -> dict[str, Any]:
        return {"target": self.target, "ok": self.ok, "checked": self.checked,
                "cancelled": self.cancelled, "files": [f.as_json() for f in self.files],
                "problems": list(self.problems), "unreachable": list(self.unreachable),
                "rechecked": [r.to_dict() for r in self.rechecked],
                "sources_rechecked": [s.to_dict() for s in self.sources_rechecked]}


# ----- shared steps -----------------------------------------------------------------------------
def _records(arc: Archive, ids: list[str] | None) -> list[dict]:
    if ids is None:
        return [arc.store.get(row["id"]) for row in arc.store.summaries()]
    return [arc.store.get(i) for i in dict.fromkeys(ids)]


def _bad_files(target: Storage, digests: dict[str, str]) -> list[str]:
    """The files of ``target`` that are absent or do not hash to their expected value."""
    return [path for path in sorted(digests) if digest_of(target, path)[0] != digests[path]]


def _put_right(target: Storage, sources: list[Copy], path: str, sha256: str, shown: str,
               record_id: str) -> FileRepair:
    """``path`` into ``target`` from the first source whose bytes hash to ``sha256``."""
    fix = FileRepair(path=shown, record_id=record_id)
    for source in sources:
        why = copy_if_good(source.storage, target, path, sha256)
        if not why:
            fix.source = source.name
            return fix
        fix.passed_over.append(f"{source.name}: {why}")
    return fix


def _repair_bag(target: Copy, sources: list[Copy], entry: dict, record_id: str,
                result: RepairResult) -> list[FileRepair]:
    """Every bad file of one bag version on ``target``, from ``sources``; the repairs tried."""
    prefix = bag_prefix(record_id, int(entry["version"]))
    copies = [target, *sources] if target.name == "local" else [*sources, target]
    expected, why = trusted_digests(copies, entry)
    if expected is None:
        result.problems.append(f"{prefix}: {why}")
        return []
    fixes = [_put_right(target.storage, sources, path, expected.digests[path], f"{prefix}/{path}",
                        record_id) for path in _bad_files(target.storage, expected.digests)]
    for name, algorithm in sorted(expected.derived.items()):
        digest = derived_digest(target.storage, expected, algorithm)
        if digest is not None and digest_of(target.storage, name)[0] != digest:
            fixes.append(_put_right(target.storage, sources, name, digest, f"{prefix}/{name}", record_id))
    return fixes


def _recovery_events(fixes: list[FileRepair], record_id: str, version: int | None, *,
                     replica: str = "", labels: dict[str, str]) -> list[dict]:
    """A recovery event per copy the bytes came from (repair), or one naming the replica (repair
    --replica)."""
    by_source: dict[str, list[str]] = {}
    for fix in fixes:
        if fix.repaired:
            by_source.setdefault(fix.source, []).append(fix.path)
    events = []
    for source, files in sorted(by_source.items()):
        what = f"bag version {version}" if version is not None else "working copy"
        if replica:
            detail = f"repaired {len(files)} files of the {what} on replica {replica} from the local copy"
            outcome: dict[str, Any] = {"replica": replica, "storage": labels.get(replica, ""),
                                       "from": "local", "files": files}
        else:
            detail = f"repaired {len(files)} files of the {what} from replica {source}"
            outcome = {"from_replica": source, "storage": labels.get(source, ""), "files": files}
        events.append(make_event("rec", record_id, detail=detail, outcome_detail=outcome,
                                 bag_version=version))
    return events


def _log(arc: Archive, events: list[dict]) -> None:
    if events:
        with arc.store.transaction() as tx:
            for event in events:
                tx.log(event)


# ----- repair: the local archive from replicas --------------------------------------------------
def _replica_names(arc: Archive, from_name: str | None) -> list[str]:
    if from_name is not None:
        replica_settings(arc.settings, from_name)  # an unknown name is a usage error at once
        return [from_name]
    if not arc.settings.replicas:
        raise UsageError("no replicas to repair from; add one with: archive replica add NAME URL")
    return sorted(arc.settings.replicas)


def _open_replicas(arc: Archive, names: list[str], result: RepairResult) -> dict[str, Storage]:
    """Each replica that answers; one that does not is named and passed over."""
    opened: dict[str, Storage] = {}
    for name in names:
        try:
            opened[name] = open_replica(arc, name)
        except UsageError:
            raise
        except ArchiveError as exc:  # an unreachable replica is passed over, and named
            result.unreachable.append(str(exc))
    return opened


Candidate = tuple[str, Storage, str, str]
"""(copy NAME, storage, path of the file on it, which of its copies that is) for a source file."""


def _source_candidates(name: str, sources: Storage, bags: Storage, record: dict, filename: str,
                       sources_prefix: str = "") -> list[Candidate]:
    """A source file's copies on one side: its sources/<id>/ copy, then each bag's data/source/
    copy, newest bag first."""
    record_id = record["id"]
    in_bag = source_path(payload_name(filename))
    found: list[Candidate] = [(name, sources, f"{sources_prefix}{record_id}/{filename}", "sources/")]
    found += [(name, bags, f"{record_id}/v{e['version']}/{in_bag}", f"bag v{e['version']}")
              for e in reversed(record.get("bags") or [])]
    return found


def _on_replicas(replicas: dict[str, Storage], record: dict, filename: str) -> list[Candidate]:
    """A source file's copies on every replica, replica by replica."""
    return [c for name, storage in replicas.items()
            for c in _source_candidates(name, storage, PrefixedStorage(storage, "bags"), record, filename,
                                        sources_prefix=f"{SOURCES}/")]


def _fix_source_file(target: Storage, path: str, want: str, candidates: list[Candidate], shown: str,
                     record_id: str) -> FileRepair:
    """``path`` on ``target`` from the first candidate whose bytes hash to ``want``."""
    fix = FileRepair(path=shown, record_id=record_id)
    for name, storage, real, which in candidates:
        why = copy_if_good(_Renamed(storage, real, path), target, path, want)
        if not why:
            fix.source = name
            return fix
        fix.passed_over.append(f"{name} ({which}): {why}")
    return fix


def _source_repairs(arc: Archive, record: dict, target: Storage, candidates_of, *,
                    prefix: str = "") -> list[FileRepair]:
    """The record's source files on ``target`` (sources/<id>/ locally, or on a replica when
    ``prefix`` is "sources/") that do not hash to what the catalogue recorded, each from the first
    candidate (``candidates_of(filename)``) that does."""
    record_id = record["id"]
    fixes = []
    for item in files_of(record):
        if "/" in item.filename or item.filename in ("", ".", ".."):
            continue
        want = item.sha256 or _from_newest_bag(arc, record, item.filename)
        path = f"{prefix}{record_id}/{item.filename}"
        if not want or digest_of(target, path)[0] == want:
            continue
        fixes.append(_fix_source_file(target, path, want, candidates_of(item.filename),
                                      f"{SOURCES}/{record_id}/{item.filename}", record_id))
    return fixes


def _from_newest_bag(arc: Archive, record: dict, filename: str) -> str:
    """An old record's extracted text has no digests in the catalogue: the newest bag's proved
    manifest says what it must be."""
    bags = record.get("bags") or []
    if not bags:
        return ""
    entry = bags[-1]
    local = Copy("local", PrefixedStorage(arc.bags_storage(), f"{record['id']}/v{entry['version']}"))
    expected, _ = trusted_digests([local], entry)
    return (expected.digests.get(source_path(payload_name(filename)), "") if expected else "")


class _Renamed:
    """A storage seen through one path: ``stat``/``open_read`` of ``alias`` read ``real`` on
    ``storage``. Lets copy_if_good take a source file from a bag's data/source/ on a replica."""

    def __init__(self, storage: Storage, real: str, alias: str):
        self.storage, self.real, self.alias = storage, real, alias

    @property
    def label(self) -> str:
        return self.storage.label

    def stat(self, path: str):  # type: ignore[no-untyped-def]
        return self.storage.stat(self.real) if path == self.alias else None

    def open_read(self, path: str, expect=None):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        return self.storage.open_read(self.real, replace(expect, path=self.real) if expect else None)


def repair(arc: Archive, ids: list[str] | None = None, *, from_name: str | None = None,
           progress: Progress | None = None, cancel: Cancel | None = None) -> RepairResult:
    """Repair every failing bag version and working copy of ``ids`` (all records when None) from
    the replicas (only ``from_name`` when given). Safe to call from a worker thread."""
    result = RepairResult(target="local")
    names = _replica_names(arc, from_name)
    records = _records(arc, ids)
    tasks = tasks_for(arc, records, False)
    result.checked = len(tasks)
    replicas: dict[str, Storage] | None = None
    labels: dict[str, str] = {}
    by_id = {r["id"]: r for r in records}
    if progress:
        progress(Step(0, len(tasks)))
    for done, task in enumerate(tasks, 1):
        first = check_task(task)
        if first.state == FAILURE:
            assert isinstance(first, BagReport)
            if replicas is None:
                replicas = _open_replicas(arc, names, result)
                labels = {n: s.label for n, s in replicas.items()}
            entry = next(e for e in by_id[task.record_id]["bags"] if e["version"] == task.version)
            local = Copy("local", PrefixedStorage(arc.bags_storage(), f"{task.record_id}/v{task.version}"))
            sources = [Copy(n, bag_on(s, task.record_id, task.version)) for n, s in replicas.items()]
            fixes = _repair_bag(local, sources, entry, task.record_id, result)
            result.files += fixes
            if any(f.repaired for f in fixes):
                _log(arc, _recovery_events(fixes, task.record_id, task.version, labels=labels))
                report = check_task(task)
                assert isinstance(report, BagReport)
                record_checks(arc, [report])
                result.rechecked.append(report)
            elif not fixes:  # failing for a reason no copied file can cure (an untracked file)
                result.rechecked.append(first)
        if progress:
            progress(Step(done, len(tasks)))
        if cancelled(cancel):
            result.cancelled = done < len(tasks)
            return result
    for source_task in source_tasks_for(arc, records, False):
        first_source = check_task(source_task)
        if first_source.outcome != FAILURE:
            continue
        assert isinstance(first_source, SourceReport)
        if replicas is None:
            replicas = _open_replicas(arc, names, result)
            labels = {n: s.label for n, s in replicas.items()}
        record = by_id[source_task.record_id]
        fixes = _source_repairs(arc, record, LocalStorage(arc.sources_dir),
                                partial(_on_replicas, replicas, record))
        result.files += fixes
        if any(f.repaired for f in fixes):
            _log(arc, _recovery_events(fixes, source_task.record_id, None, labels=labels))
            again = check_task(source_task)
            assert isinstance(again, SourceReport)
            result.sources_rechecked.append(again)
        elif not fixes:
            result.sources_rechecked.append(first_source)
    return result


# ----- repair --replica: a replica from the local archive ---------------------------------------
def repair_replica(arc: Archive, name: str, ids: list[str] | None = None, *,
                   progress: Progress | None = None, cancel: Cancel | None = None) -> RepairResult:
    """Repair every confirmed bag copy on replica ``name`` that fails a full check, from the local
    bytes that hash to the manifest's value; then check each repaired copy again."""
    storage = open_replica(arc, name)
    result = RepairResult(target=name)
    records = _records(arc, ids)
    tasks, _ = copy_tasks(records, name, False)
    result.checked = len(tasks)
    if progress:
        progress(Step(0, len(tasks)))
    for done, task in enumerate(tasks, 1):
        first = check_copy(storage, task)
        if first.state == FAILURE:
            _repair_copy(arc, storage, name, task, result, first)
        if progress:
            progress(Step(done, len(tasks)))
        if cancelled(cancel):
            result.cancelled = done < len(tasks)
            return result
    for source_task in source_copy_tasks(records, name, False):
        first_source = check_source_copy(storage, source_task)
        if first_source.outcome == FAILURE:
            _repair_sources_copy(arc, storage, name, source_task.record, result, first_source)
    return result


def _repair_sources_copy(arc: Archive, storage: Storage, name: str, record: dict, result: RepairResult,
                         first: SourceReport) -> None:
    """A record's source files on the replica, from the local sources/ or a local bag's copy."""
    local = partial(_source_candidates, "local", LocalStorage(arc.sources_dir), arc.bags_storage(), record)
    fixes = _source_repairs(arc, record, storage, local, prefix=f"{SOURCES}/")
    result.files += fixes
    if any(f.repaired for f in fixes):
        _log(arc, _recovery_events(fixes, record["id"], None, replica=name, labels={name: storage.label}))
        again = check_source_copy(storage, SourceCopyTask(record, False))
        record_copy_checks(arc, name, storage.label, [again])
        result.sources_rechecked.append(again)
    elif not fixes:
        result.sources_rechecked.append(first)


def _repair_copy(arc: Archive, storage: Storage, name: str, task: CopyTask, result: RepairResult,
                 first: BagReport) -> None:
    target = Copy(name, bag_on(storage, task.record_id, task.version))
    local = Copy("local", PrefixedStorage(arc.bags_storage(), f"{task.record_id}/v{task.version}"))
    fixes = _repair_bag(target, [local], task.entry, task.record_id, result)
    result.files += fixes
    if any(f.repaired for f in fixes):
        _log(arc, _recovery_events(fixes, task.record_id, task.version, replica=name,
                                   labels={name: storage.label}))
        report = check_copy(storage, task)
        record_copy_checks(arc, name, storage.label, [report])
        result.rechecked.append(report)
    elif not fixes:
        result.rechecked.append(first)
