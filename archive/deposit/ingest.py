"""Ingest: accept a bag made elsewhere as a new record whose v1 is that bag, or change nothing.

Order matters: unpack into staging (refusing hostile members), validate fully (the archive's
validator and bagit), take the record in through ``untrusted.record_from_outside`` (schema, safe
file names) and check it against the payload, and only then, under the catalogue lock, clear what
a killed run left for the id, move the bag and the source into the archive and write the record
with its ``acc`` event in one transaction. Any failure before the transaction leaves the archive
as it was; a failed transaction moves everything back out.

Every name from the bag that becomes a path is a safe basename, and every final path is proven
inside its folder with ``untrusted.path_inside``. The files copied into ``sources/<id>/`` are
payload files of the bag at ``data/source/<name>`` that its manifests cover (so they were just
validated), the source one also matching the record's own digests.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import uuid
from pathlib import Path

import orjson

from archive import schema
from archive.bagging.staging import work_folder
from archive.bagit_format import taginfo
from archive.bagit_format.entry import BagEntry
from archive.bagit_format.paths import payload_name
from archive.bagit_format.payload import METADATA_DIR, RECORD_JSON, source_path
from archive.clock import now_utc
from archive.deposit.unpack import Limits, Refused, unpack
from archive.deposit.verify import check_bag
from archive.errors import ArchiveError, ValidationError
from archive.events import make_event
from archive.hashing import hash_file
from archive.ids import ID_RE, format_id, is_id, sequence_of
from archive.layout import Archive
from archive.leftovers import PARTIAL_SUFFIX, clear_unclaimed_source
from archive.records import metadata_fingerprint
from archive.source_files import ORIGINAL, SourceFile, files_of
from archive.sources import SourceFileError, take_in
from archive.untrusted import UnsafePathError, path_inside, record_from_outside, safe_basename

RECORD_JSON_MAX_BYTES = 16 << 20
PLACEHOLDER_ID = "TMP-0000-000001"
"""Stands in for a record's id until the real number is reserved inside the accepting transaction."""


class IngestRefused(ArchiveError):
    """The bag was not accepted; ``reasons`` lists every check it failed."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        super().__init__(f"bag refused: {reasons[0]}{more}")


def _bag_info(bag: Path) -> tuple[dict[str, list[str]], list[str]]:
    """bag-info.txt of a bag from outside, read strictly: labels (lower-cased) to values, and a
    reason for every line that is not ``Label: value``. A bag without one, or in an encoding other
    than UTF-8, gives no labels (the bag itself was validated already)."""
    try:
        text = (bag / "bag-info.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}, []
    info, malformed = taginfo.parse_strict(text)
    return info, [f"bag-info.txt: line {number} is not 'Label: value'" for number in malformed]


def _record_from_json(bag: Path) -> tuple[dict | None, dict | None, list[str]]:
    """(the record to take in, record.json as the bag holds it, reasons); Nones with no reasons
    when the bag has no record.json."""
    path = bag / RECORD_JSON
    if not path.is_file():
        return None, None, []
    if path.stat().st_size > RECORD_JSON_MAX_BYTES:
        return None, None, [f"{RECORD_JSON}: larger than {RECORD_JSON_MAX_BYTES:,} bytes; not a record"]
    try:
        raw = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        return None, None, [f"{RECORD_JSON}: not valid JSON ({exc})"]
    try:
        return record_from_outside(raw, RECORD_JSON), raw, []
    except ValidationError as exc:
        return None, None, list(exc.problems)


def _record_from_bag_info(bag: Path, info: dict[str, list[str]]) -> tuple[dict, list[str]]:
    """A record from bag-info.txt and the one text file in the payload, for bags made by other tools."""
    files = [p for p in (bag / "data").rglob("*") if p.is_file()]
    if len(files) != 1:
        return {}, [f"no {RECORD_JSON}, and the payload holds {len(files)} files, not one text"]
    try:
        source = take_in(files[0], None, label=files[0].relative_to(bag).as_posix()).as_field()
    except SourceFileError as exc:
        return {}, [str(exc)]
    source["filename"] = safe_basename(files[0].name, fallback="source.txt")
    first = {label: values[0] for label, values in info.items()}
    record: dict = {
        "type": "article",
        "title": first.get("title") or first.get("external-description") or files[0].stem,
        "source": source,
        "provenance": {"acquisition": "transfer", "notes": "Created from bag-info.txt on ingest."},
    }
    creators = [{"literal": name} for name in info.get("creator", [])]
    if creators:
        record["creators"] = creators
    if first.get("date-published"):
        record["issued"] = first["date-published"]
    if first.get("source-url"):
        record["url"] = first["source-url"]
    if first.get("external-description"):
        record["abstract"] = first["external-description"]
    return record, []


def _payload_file(bag: Path, rel: str, digests: dict[str, dict[str, str]]) -> Path | None:
    """``bag/rel`` when it is a plain file the manifests list (and so was just validated)."""
    if rel not in digests:
        return None
    path = bag / rel
    return path if path.is_file() and not path.is_symlink() else None


def _source_files(bag: Path, record: dict, digests: dict[str, dict[str, str]]
                  ) -> tuple[list[tuple[Path, str]], list[str]]:
    """Payload files to copy into sources/<id>/ as (bag file, name); checked against the record.

    Every file of the source set (``archive.source_files``: the original, an extracted text, a
    WARC, requisites) must be a plain file at ``data/source/<name>`` that the manifests cover, a
    different file for each name, with the record's size and digests when the record holds them.
    A file an old record holds no digests for (its ``text_filename``) is taken because the bag's
    fixity vouches for it. A bag from another tool without record.json has one payload file.
    """
    files = files_of(record)
    if not files or files[0].role != ORIGINAL:
        return [], ["the record has no source file"]
    taken: list[tuple[Path, str]] = []
    reasons: list[str] = []
    for item in files:
        found = _payload_file(bag, source_path(payload_name(item.filename)), digests) or \
            _payload_file(bag, source_path(item.filename), digests)
        if found is None and item.role == ORIGINAL and len(files) == 1:
            others = [rel for rel in digests if not rel.startswith(f"{METADATA_DIR}/")]
            found = _payload_file(bag, others[0], digests) if len(others) == 1 else None
        field = _field_name(record, item)
        if found is None:
            reasons.append(f"{field}: {item.filename} is not a file in the bag's data/source/")
            continue
        if any(found == path for path, _ in taken):
            reasons.append(f"{field}: {item.filename} names the same bag file as another file of the source")
            continue
        reasons += _differences(bag, found, item)
        taken.append((found, item.filename))
    return taken, reasons


def _field_name(record: dict, item: SourceFile) -> str:
    """Where the record names ``item``, for a reason line."""
    if item.role == ORIGINAL:
        return "source.filename"
    if "files" not in (record.get("source") or {}):
        return "source.text_filename"
    return f"source.files ({item.role} file)"


def _differences(bag: Path, found: Path, item: SourceFile) -> list[str]:
    """Why the bag's copy is not the file the record describes (size, digests); [] when it is."""
    if not item.digests and item.size is None:
        return []
    rel = found.relative_to(bag).as_posix()
    where = "source" if item.role == ORIGINAL else f"source's {item.role} file"
    held, size = hash_file(found, ["sha256", "sha512"])
    reasons = [f"{rel}: its {algorithm} differs from the record's {where}.{algorithm}"
               for algorithm, want in sorted(item.digests.items()) if held[algorithm] != want]
    if item.size is not None and size != item.size:
        reasons.append(f"{rel}: {size} bytes; the record's {where} has {item.size}")
    return reasons


def _held_reasons(arc: Archive, record: dict) -> list[str]:
    """Why the record is already held here: the same text, or the same uuid."""
    reasons = []
    held = arc.store.find_by_sha256((record.get("source") or {}).get("sha256", ""))
    if held:
        reasons.append(f"the same text is already catalogued as {held}")
    wanted = record.get("uuid")
    if wanted and any(r.get("uuid") == wanted for r in map(arc.store.get, arc.store.ids())):
        reasons.append(f"a record with uuid {record['uuid']} is already held")
    return reasons


def _prepare(record: dict, info: dict[str, list[str]]) -> str:
    """Set what the archive owns on a new record; returns the id the bag gave (kept if free)."""
    original = record.get("id", "")
    record["id"] = original if is_id(original) else PLACEHOLDER_ID
    if "uuid" not in record:
        sender = (info.get("internal-sender-identifier") or [""])[0]
        record["uuid"] = sender if schema.UUID_RE.match(sender) else str(uuid.uuid4())
    for name in ("bags", "deaccession", "last_fixity"):
        record.pop(name, None)
    record["status"] = "bagged"
    record.setdefault("created_at", now_utc())
    record["revision"], record["updated_at"] = 1, now_utc()
    return original if isinstance(original, str) else ""


def ingest(arc: Archive, path: Path, *, limits: Limits | None = None) -> dict:
    """Accept the bag at ``path`` (folder, .tar, .tar.gz or .zip) as a new record; returns it.

    Raises ``IngestRefused`` with every reason when any check fails; the archive is then unchanged.
    """
    path = Path(path)
    if not path.exists():
        raise ArchiveError(f"{path}: no such file or folder")
    with work_folder(arc.staging_dir, "ingest") as work:
        try:
            bag = unpack(path, work, limits or Limits())
        except Refused as exc:
            raise IngestRefused(exc.reasons) from None
        reasons, digests = check_bag(bag)
        if reasons:
            raise IngestRefused(reasons)
        info, reasons = _bag_info(bag)
        if reasons:
            raise IngestRefused(reasons)
        record, bagged, reasons = _record_from_json(bag)
        if record is None and not reasons:
            record, reasons = _record_from_bag_info(bag, info)
        if reasons:
            raise IngestRefused(reasons)
        sources, reasons = _source_files(bag, record, digests)
        reasons += _held_reasons(arc, record)
        original = _prepare(record, info)
        reasons += [f"record: {p}" for p in schema.problems(record)]
        if reasons:
            raise IngestRefused(reasons)
        return _accept(arc, record, original, bag, sources, info, bagged)


def _claim_id(arc: Archive, tx, record: dict, original: str) -> None:
    """Under the lock: keep the bag's id when its number is free here (moving the counter past
    it, so it is never handed out again), else give the next number and note the old one."""
    arc.store.refresh()
    reasons = _held_reasons(arc, record)
    if reasons:
        raise IngestRefused(reasons)
    taken = {sequence_of(i) for i in arc.store.ids()}
    if is_id(original) and sequence_of(original) not in taken:
        record["id"] = original
        tx.reserve_through(sequence_of(original))
        return
    record["id"] = format_id(arc.settings.id_prefix, tx.reserve_sequences(1)[0])
    if original:
        notes = (record.get("provenance") or {}).get("notes", "")
        note = f"Ingested from a bag where its accession number was {original}."
        record.setdefault("provenance", {})["notes"] = f"{notes}\n{note}" if notes else note


def _accept(arc: Archive, record: dict, original: str, bag: Path, sources: list[tuple[Path, str]],
            info: dict[str, list[str]], bagged: dict | None) -> dict:
    with arc.store.transaction() as tx:
        _claim_id(arc, tx, record, original)
        try:
            schema.validate(record)
        except ValidationError as exc:
            raise IngestRefused([f"record: {p}" for p in exc.problems]) from None
        _move_in(arc, tx, record, bag, sources, _bag_entry(record, bag, info, bagged))
    return arc.store.get(record["id"])


def _bag_entry(record: dict, bag: Path, info: dict[str, list[str]], bagged: dict | None) -> dict:
    """The bags[] entry pins what the bag really holds: the revision and the metadata fingerprint
    of its own record.json (a record edited before bagging holds revision 4, not 1), so verify
    agrees with a valid bag at once, and ``list`` shows a renumbered record as changed since."""
    record_id = record["id"]
    payload = [p for p in (bag / "data").rglob("*") if p.is_file()]
    octets = sum(p.stat().st_size for p in payload)
    renumbered = bagged is not None and bagged.get("id") != record_id and ID_RE.match(str(bagged.get("id")))
    revision = (bagged or {}).get("revision")
    tags = bag / "tagmanifest-sha256.txt"
    return BagEntry(
        record_id=record_id,
        version=1,
        bagged_at=now_utc(),
        metadata_sha256=metadata_fingerprint(bagged if bagged is not None else record),
        payload_oxum=(info.get("payload-oxum") or [f"{octets}.{len(payload)}"])[0],
        size=sum(p.stat().st_size for p in bag.rglob("*") if p.is_file()),
        record_revision=revision if isinstance(revision, int) and not isinstance(revision, bool)
        and revision >= 1 else None,
        tagmanifest_sha256=hashlib.sha256(tags.read_bytes()).hexdigest() if tags.is_file() else None,
        bagged_id=bagged["id"] if renumbered else None,  # verify must expect the sender's id in the bag
    ).as_dict()


def _kill_point(name: str) -> None:
    """Tests only: a real SIGKILL at a named moment, to prove the next run recovers."""
    if os.environ.get("ARCHIVE_TEST_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _clear_leftovers(arc: Archive, record_id: str) -> None:
    """Under the lock, with no record owning ``record_id``: whatever sources/<id>/ or bags/<id>/v1
    holds can only be what a killed ingest (or add) left, so it is cleared before moving in."""
    clear_unclaimed_source(arc, record_id)
    stale = arc.bag_dir(record_id, 1)
    if stale.is_symlink() or stale.is_file():
        stale.unlink()
    elif stale.is_dir():
        shutil.rmtree(stale)


def _copy_sources(source_dir: Path, sources: list[tuple[Path, str]]) -> None:
    """Each file is copied to ``name.partial`` then renamed, at paths proven inside sources/<id>/."""
    source_dir.mkdir(parents=True)
    for found, name in sources:
        target = path_inside(source_dir, name)
        partial = path_inside(source_dir, name + PARTIAL_SUFFIX)
        shutil.copyfile(found, partial)
        os.replace(partial, target)


def _move_in(arc: Archive, tx, record: dict, bag: Path, sources: list[tuple[Path, str]], entry: dict) -> None:
    record_id = record["id"]
    _clear_leftovers(arc, record_id)
    final = path_inside(arc.bags_dir, record_id, "v1")
    source_dir = path_inside(arc.sources_dir, record_id)
    if final.exists() or source_dir.exists():
        raise IngestRefused([f"{record_id}: bags/ or sources/ already holds files for this id"])
    record["bags"] = [entry]
    try:
        _copy_sources(source_dir, sources)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(bag, final)
        _kill_point("ingest-moved-in")
        tx.insert(record)
        tx.log(make_event("val", record_id, detail="bag validated on ingest (RFC 8493 and bagit)",
                          bag_version=1))
        tx.log(make_event("acc", record_id, detail=f"accessioned from a bag; kept as bags/{record_id}/v1",
                          outcome_detail={"payload_oxum": entry["payload_oxum"],
                                          "source_sha256": record["source"]["sha256"]},
                          bag_version=1))
        tx.commit()
    except UnsafePathError as exc:
        _move_back(final, bag, source_dir)
        raise IngestRefused([str(exc)]) from None
    except BaseException:
        _move_back(final, bag, source_dir)
        raise


def _move_back(final: Path, bag: Path, source_dir: Path) -> None:
    if final.exists():
        with contextlib.suppress(OSError):
            os.rename(final, bag)
    shutil.rmtree(source_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        final.parent.rmdir()
