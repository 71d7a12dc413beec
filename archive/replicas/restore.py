"""A whole archive rebuilt from one replica alone: catalogue, settings, bags and sources.

The replica's latest catalogue snapshot is read and checked whole first (snapshot.py), so nothing
is written from a snapshot that fails; then the catalogue is written into a fresh store exactly
as the snapshot holds it (records with their revisions and stamps, every event in its committed
order, the counter, so the next ``add`` takes the next number), then every bag version the records
list and every source file, each confirmed against a digest the replica does not supply
(fetch.py). archive.toml comes last, as ``init_archive`` writes it: until it exists the folder is
not taken for an archive, and a marker in its staging/ lets a restore that was killed (or stopped
by a missing file) be run again into the same folder, keeping the files it already confirmed.

Then the new archive gets a full verify. Its results are reported, not recorded: recording would add
a fixity event per bag, and the restored catalogue is meant to equal the original record for record;
``archive verify`` records one whenever the archivist wants it.
"""

from __future__ import annotations

import shutil
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from archive.bagit_format.manifest import split_manifest_line
from archive.bagit_format.paths import decode_path, payload_name
from archive.bagit_format.payload import source_path
from archive.clock import now_utc
from archive.config import CONFIG_NAME
from archive.errors import ArchiveError
from archive.ids import sequence_of
from archive.progress import Cancel, Progress, Step, cancelled
from archive.replicas.fetch import Fetched, fetch_bag, fetch_file
from archive.replicas.remote import MARKER as MARKER_NAME
from archive.replicas.remote import SOURCES, bag_on, read_marker
from archive.replicas.snapshot import Snapshot, load_snapshot
from archive.source_files import files_of
from archive.storage.base import Storage
from archive.storage.local import TMP_SUFFIX, LocalStorage
from archive.storage.prefixed import PrefixedStorage
from archive.store import Store
from archive.store.atomic import atomic_write
from archive.store.shard import shard_of
from archive.untrusted import path_inside

if TYPE_CHECKING:
    from archive.fixity.report import VerifyReport

MARKER = "staging/restore.json"
FOLDERS = ("sources", "bags", "deposits", "staging", "logs")
EVENT_BATCH = 5000
NOT_RECORDED = ("a restore reports its check without recording it, so the catalogue equals the "
                "replica's; run archive verify to record one")


@dataclass
class RestoreResult:
    """What a restore did; ``ok`` only when every file was confirmed and the full verify passed."""

    dest: Path
    source: str
    archive_id: str = ""
    """The archive restored (its archive.toml's archive_id; '' for one made before archives had one)."""
    organization: str = ""
    snapshot: str = ""
    snapshot_at: str = ""
    records: int = 0
    events: int = 0
    bags: int = 0
    fetched: Fetched = field(default_factory=Fetched)
    source_files: int = 0
    finished: bool = False
    """archive.toml written: the folder is an archive."""
    cancelled: bool = False
    verify: VerifyReport | None = None

    @property
    def problems(self) -> list[str]:
        return self.fetched.problems

    @property
    def ok(self) -> bool:
        return self.finished and not self.problems and self.verify is not None and self.verify.ok

    def lines(self) -> list[str]:
        f = self.fetched
        lines = [f"restored {self.which()} from {self.source} (snapshot {self.snapshot}, "
                 f"taken {self.snapshot_at}) "
                 f"into {self.dest}: {self.records} records, {self.events} events, {self.bags} bag versions, "
                 f"{self.source_files} source files; {f.files} files copied ({f.bytes / 1e6:.1f} MB), "
                 f"{f.kept} already there"]
        lines += [f"left on the replica (no digest covers it): {path}" for path in f.skipped]
        if self.cancelled:
            lines.append(f"stopped before the end; {self.dest} is not an archive yet: run the same "
                         "restore again to finish it")
        elif not self.finished:
            count = len(self.problems)
            lines.append(f"not everything could be restored ({count} problem{'s' if count > 1 else ''}); "
                         f"{self.dest} is not an archive yet: run the same restore again (from another "
                         "replica, if this one lacks them)")
        if self.verify is not None:
            lines.append(f"verify: {self.verify.summary()}")
            lines += [f"verify: {report.path}: {problem.line()}" for report in self.verify.bags
                      for problem in report.problems if problem.severity == "error"]
            lines += [f"verify: {problem.line()}" for report in self.verify.sources
                      for problem in report.problems if problem.severity == "error"]
        return lines

    def which(self) -> str:
        """The archive restored, as a line names it."""
        org = f" of {self.organization}" if self.organization else ""
        if self.archive_id:
            return f"archive {self.archive_id}{org}"
        return f"an archive{org} (made before archives had an id)"

    def as_json(self) -> dict[str, Any]:
        f = self.fetched
        return {"ok": self.ok, "dest": str(self.dest), "from": self.source,
                "archive_id": self.archive_id or None, "organization": self.organization,
                "snapshot": self.snapshot,
                "snapshot_at": self.snapshot_at, "records": self.records, "events": self.events,
                "bags": self.bags, "source_files": self.source_files, "files_copied": f.files,
                "bytes_copied": f.bytes, "files_kept": f.kept, "problems": list(f.problems),
                "left_on_replica": list(f.skipped), "finished": self.finished, "cancelled": self.cancelled,
                "verify": self.verify.to_dict() if self.verify is not None else None}


def check_destination(dest: Path) -> None:
    """A new or empty folder, or one a killed restore left (its marker, no archive.toml)."""
    if (dest / CONFIG_NAME).exists():
        raise ArchiveError(f"{dest} is already an archive ({CONFIG_NAME} exists); restore into a new "
                           "or empty folder")
    if dest.exists() and not dest.is_dir():
        raise ArchiveError(f"{dest} exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / MARKER).is_file():
        raise ArchiveError(f"{dest} is not empty; restore into a new or empty folder")


def _begin(dest: Path, storage: Storage) -> None:
    try:
        if (dest / MARKER).is_file():
            _clear_partials(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for sub in FOLDERS:
            (dest / sub).mkdir(exist_ok=True)
        atomic_write(dest / MARKER, orjson.dumps({"restoring_from": storage.label, "started_at": now_utc()}))
    except OSError as exc:
        raise ArchiveError(f"cannot restore into {dest}: {exc.strerror or exc}") from None


def _clear_partials(dest: Path) -> None:
    """What a killed restore left half-written: temporaries of unconfirmed files (a bag holding
    one would fail its check) and a half-downloaded snapshot. Confirmed files stay."""
    for top in ("bags", "sources"):
        for leftover in (dest / top).rglob(f"*{TMP_SUFFIX}"):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()
    for leftover in (dest / "staging").glob("snapshot-in-*.jsonl"):
        leftover.unlink()


def _check_marker(storage: Storage, snap: Snapshot) -> None:
    """The replica's replica.json and its catalogue snapshot must name the same archive: a replica
    mixing two archives' files is refused before anything is written. A replica without a marker
    (or with one from before markers named their archive) is read as before."""
    marker = read_marker(storage)
    ours = snap.settings.archive_id
    if marker is not None and marker.archive_id and ours and marker.archive_id != ours:
        raise ArchiveError(f"{storage.label}: its {MARKER_NAME} names archive {marker.archive_id} but its "
                           f"catalogue snapshot {snap.path} is archive {ours}'s; refused, nothing restored")


def _write_catalogue(dest: Path, snap: Snapshot) -> Store:
    """The catalogue exactly as the snapshot holds it, into a fresh store (a killed run's partial
    one is dropped first: the catalogue is written whole or again)."""
    folder = dest / "catalog"
    if folder.exists():
        shutil.rmtree(folder)
    store = Store.create(folder)
    batch: list[dict] = []
    for record in snap.records():
        if batch and shard_of(sequence_of(batch[-1]["id"])) != shard_of(sequence_of(record["id"])):
            _put(store, batch)
            batch = []
        batch.append(record)
    _put(store, batch)
    events: list[dict] = []
    for event in snap.events():
        events.append(event)
        if len(events) >= EVENT_BATCH:
            _log(store, events)
            events = []
    _log(store, events)
    with store.transaction() as tx:
        tx.reserve_through(snap.counter)
    return store


def _put(store: Store, records: list[dict]) -> None:
    if records:
        with store.transaction() as tx:
            for record in records:
                tx.put_restored(record)


def _log(store: Store, events: list[dict]) -> None:
    if events:
        with store.transaction() as tx:
            for event in events:
                tx.log(event)


def _restore_sources(storage: Storage, dest: Path, record: dict, into: Fetched) -> int:
    """A record's working copy in sources/<id>/, each file against its catalogued sha256 or, for
    an old record's extracted text, the restored newest bag's manifest."""
    items = files_of(record)
    if not items:
        return 0
    folder = path_inside(dest / "sources", record["id"])
    folder.mkdir(parents=True, exist_ok=True)
    local = LocalStorage(folder)
    remote = PrefixedStorage(storage, f"{SOURCES}/{record['id']}")
    bags = record.get("bags") or []
    for item in items:
        digest = item.digests.get("sha256") or (_from_bag(dest, bags[-1]["path"], item.filename)
                                                if bags else None)
        fetch_file(remote, local, item.filename, digest, into,
                   what=f"the {item.role} file of {record['id']} as catalogued")
    return len(items)


def _from_bag(dest: Path, bag: str, filename: str) -> str | None:
    wanted = source_path(payload_name(filename))
    try:
        text = (dest / bag / "manifest-sha256.txt").read_text("utf-8", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        parsed = split_manifest_line(line) if line.strip() else None
        if parsed and decode_path(parsed[1]) == wanted:
            return parsed[0]
    return None


def _restore_record(storage: Storage, dest: Path, record: dict,
                    cancel: Cancel | None) -> tuple[Fetched, int, int]:
    """One record's bag versions, then its working copy (an old record's text is confirmed by the
    newest restored bag); (what was fetched, bags, source files)."""
    fetched = Fetched()
    bags = 0
    for entry in record.get("bags") or []:
        if cancelled(cancel):
            return fetched, bags, 0
        local = path_inside(dest / "bags", record["id"], f"v{entry['version']}")
        size = entry.get("size")
        fetched.add(fetch_bag(bag_on(storage, record["id"], entry["version"]), local,
                              entry.get("tagmanifest_sha256"), cancel,
                              size=size if isinstance(size, int) and not isinstance(size, bool) else None))
        bags += 1
    return fetched, bags, _restore_sources(storage, dest, record, fetched)


def _restore_files(storage: Storage, dest: Path, snap: Snapshot, result: RestoreResult, jobs: int,
                   progress: Progress | None, cancel: Cancel | None) -> None:
    """Every record's files, ``jobs`` records at a time (the storages are thread-safe; a remote
    one spends most of each file waiting on the network). Records are streamed from the snapshot
    with a bounded window of them in flight, never all held."""
    total = sum(len(r.get("bags") or []) for r in snap.records())  # streamed twice, never held
    pending: set[Future] = set()

    def take(done: set[Future]) -> None:
        for future in done:
            fetched, bags, sources = future.result()
            result.fetched.add(fetched)
            result.bags += bags
            result.source_files += sources
        if progress:
            progress(Step(result.bags, total, result.fetched.bytes, None))

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="restore") as pool:
        for record in snap.records():
            if cancelled(cancel):
                break
            pending.add(pool.submit(_restore_record, storage, dest, record, cancel))
            if len(pending) >= 4 * jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                take(done)
        take(pending)
    result.cancelled = cancelled(cancel)


def _verify(dest: Path, progress: Progress | None, cancel: Cancel | None) -> VerifyReport:
    """A full verify of the new archive, reported and not recorded (see the module docstring)."""
    from archive.fixity.report import VerifyReport
    from archive.fixity.verify import find_leftovers, find_orphans, run_checks, source_tasks_for, tasks_for
    from archive.layout import open_archive

    arc = open_archive(dest)
    report = VerifyReport(started_at=now_utc(), fast=False)
    report.unrecorded = NOT_RECORDED
    records = [arc.store.get(row["id"]) for row in arc.store.summaries()]
    report.orphans = find_orphans(arc, records)
    report.leftovers = find_leftovers(arc)
    tasks = [*tasks_for(arc, records, False), *source_tasks_for(arc, records, False)]
    return run_checks(arc, tasks, report, progress=progress, cancel=cancel)


def restore(storage: Storage, dest: Path, *, jobs: int = 8, progress: Progress | None = None,
            cancel: Cancel | None = None) -> RestoreResult:
    """Rebuild the archive a replica holds into ``dest`` (new, empty, or a killed restore's)."""
    dest = Path(dest).expanduser().absolute()
    check_destination(dest)
    _begin(dest, storage)
    result = RestoreResult(dest=dest, source=storage.label)
    with load_snapshot(storage, staging=dest / "staging") as snap:
        result.snapshot, result.snapshot_at = snap.path, snap.at
        result.archive_id, result.organization = snap.settings.archive_id, snap.settings.organization
        _check_marker(storage, snap)
        _write_catalogue(dest, snap)
        result.records, result.events = snap.record_count, snap.event_count
        _restore_files(storage, dest, snap, result, jobs, progress, cancel)
        if result.cancelled or result.problems:
            return result
        # Last, as init_archive does: until it is there, the folder is not taken for an archive.
        atomic_write(dest / CONFIG_NAME, snap.archive_toml.encode("utf-8"))
    (dest / MARKER).unlink(missing_ok=True)
    result.finished = True
    result.verify = _verify(dest, progress, cancel)
    return result
