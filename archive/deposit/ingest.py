"""Ingest: accept a bag made elsewhere as a new record whose v1 is that bag, or change nothing.

Order matters: unpack into staging (refusing hostile members), validate fully (the archive's
validator and bagit), build and check the record, and only then move the bag and the source into
the archive and write the record with its ``acc`` event in one transaction. Any failure before
the transaction leaves the archive as it was; a failed transaction moves everything back out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

import orjson

from archive import schema
from archive.bagging import baginfo
from archive.bagging.paths import payload_name
from archive.bagging.staging import work_folder
from archive.deposit.extract import Limits, Refused, unpack
from archive.deposit.verify import verify_bag
from archive.errors import ArchiveError
from archive.events import make_event
from archive.hashing import hash_file
from archive.ids import format_id, is_id
from archive.layout import Archive
from archive.records import metadata_fingerprint
from archive.sources import SourceFileError, take_in
from archive.store.catalog_store import now_utc, sequence_of


class IngestRefused(ArchiveError):
    """The bag was not accepted; ``reasons`` lists every check it failed."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        super().__init__(f"bag refused: {reasons[0]}{more}")


def _bag_info(bag: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        for label, value in baginfo.parse((bag / "bag-info.txt").read_text(encoding="utf-8")):
            found.setdefault(label, []).append(value)
    return found


def _record_from_json(bag: Path) -> tuple[dict | None, list[str]]:
    path = bag / "data" / "metadata" / "record.json"
    if not path.is_file():
        return None, []
    try:
        record = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        return None, [f"data/metadata/record.json: not valid JSON ({exc})"]
    if not isinstance(record, dict):
        return None, ["data/metadata/record.json: not a JSON object"]
    return record, [f"data/metadata/record.json: {p}" for p in schema.problems(record)]


def _record_from_bag_info(bag: Path) -> tuple[dict, list[str]]:
    """A record from bag-info.txt and the one text file in the payload, for bags made by other tools."""
    info = _bag_info(bag)
    files = [p for p in (bag / "data").rglob("*") if p.is_file()]
    if len(files) != 1:
        return {}, [f"no data/metadata/record.json, and the payload holds {len(files)} files, not one text"]
    try:
        source = take_in(files[0], None).as_field()
    except SourceFileError as exc:
        return {}, [str(exc)]
    first = {label: values[0] for label, values in info.items()}
    record: dict = {
        "type": "article",
        "title": first.get("Title") or first.get("External-Description") or files[0].stem,
        "source": source,
        "provenance": {"acquisition": "transfer", "notes": "Created from bag-info.txt on ingest."},
    }
    creators = [{"literal": name} for name in info.get("Creator", [])]
    if creators:
        record["creators"] = creators
    if first.get("Date-Published"):
        record["issued"] = first["Date-Published"]
    if first.get("Source-URL"):
        record["url"] = first["Source-URL"]
    if first.get("External-Description"):
        record["abstract"] = first["External-Description"]
    return record, []


def _source_files(bag: Path, record: dict) -> tuple[list[tuple[Path, str]], list[str]]:
    """Payload files to copy into sources/<id>/ as (bag file, name); checked against the record."""
    source = record.get("source") or {}
    if "filename" not in source:
        return [], ["the record has no source file"]
    candidates = [bag / "data" / "source" / payload_name(source["filename"]),
                  bag / "data" / "source" / source["filename"]]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        files = [p for p in (bag / "data").rglob("*") if p.is_file() and "metadata" not in p.parts]
        found = files[0] if len(files) == 1 else None
    if found is None:
        return [], [f"the source file {source['filename']} is not in the payload"]
    digest = hash_file(found, ["sha256"])[0]["sha256"]
    if digest != source.get("sha256"):
        return [], [f"{found.relative_to(bag)}: sha256 {digest[:12]}… differs from the record's"]
    files = [(found, source["filename"])]
    if source.get("text_filename"):
        extracted = bag / "data" / "source" / payload_name(source["text_filename"])
        if extracted.is_file():
            files.append((extracted, source["text_filename"]))
    return files, []


PLACEHOLDER_ID = "TMP-0000-000000"


def _place(arc: Archive, record: dict, info: dict[str, list[str]]) -> tuple[bool, list[str]]:
    """Keep the record's id and uuid when free here; else it is renumbered (True) on acceptance."""
    reasons = []
    held = arc.store.find_by_sha256((record.get("source") or {}).get("sha256", ""))
    if held:
        reasons.append(f"the same text is already catalogued as {held}")
    taken = {sequence_of(i) for i in arc.store.ids()}
    if any(r.get("uuid") == record.get("uuid") for r in map(arc.store.get, arc.store.ids())):
        reasons.append(f"a record with uuid {record.get('uuid')} is already held")
    original = record.get("id", "")
    renumber = not (is_id(original) and sequence_of(original) not in taken)
    if renumber:
        record["id"] = PLACEHOLDER_ID  # the real number is reserved inside the accepting transaction
        if original:
            notes = (record.get("provenance") or {}).get("notes", "")
            note = f"Ingested from a bag where its accession number was {original}."
            record.setdefault("provenance", {})["notes"] = f"{notes}\n{note}" if notes else note
    if "uuid" not in record:
        sender = (info.get("Internal-Sender-Identifier") or [""])[0]
        record["uuid"] = sender if schema.UUID_RE.match(sender) else str(uuid.uuid4())
    return renumber, reasons


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
        reasons = verify_bag(bag)
        if reasons:
            raise IngestRefused(reasons)
        record, reasons = _record_from_json(bag)
        if record is None and not reasons:
            record, reasons = _record_from_bag_info(bag)
        if reasons:
            raise IngestRefused(reasons)
        sources, reasons = _source_files(bag, record)
        renumber, placing = _place(arc, record, _bag_info(bag))
        reasons += placing
        for name in ("bags", "deaccession"):
            record.pop(name, None)
        record["status"] = "bagged"
        record.setdefault("created_at", now_utc())
        record["revision"], record["updated_at"] = 1, now_utc()
        reasons += [f"record: {p}" for p in schema.problems(record)]
        if reasons:
            raise IngestRefused(reasons)
        return _accept(arc, record, bag, sources, _bag_info(bag), renumber)


def _accept(arc: Archive, record: dict, bag: Path, sources: list[tuple[Path, str]],
            info: dict[str, list[str]], renumber: bool) -> dict:
    with arc.store.transaction() as tx:
        if renumber:
            record["id"] = format_id(arc.settings.id_prefix, tx.reserve_sequences(1)[0])
        _move_in(arc, tx, record, bag, sources, info)
    return arc.store.get(record["id"])


def _move_in(arc: Archive, tx, record: dict, bag: Path, sources: list[tuple[Path, str]],
             info: dict[str, list[str]]) -> None:
    record_id = record["id"]
    final = arc.bag_dir(record_id, 1)
    source_dir = arc.source_dir(record_id)
    if final.exists() or source_dir.exists():
        raise IngestRefused([f"{record_id}: bags/ or sources/ already holds files for this id"])
    tags = hash_file(bag / "tagmanifest-sha256.txt", ["sha256"])[0]["sha256"] \
        if (bag / "tagmanifest-sha256.txt").is_file() else None
    payload = [p for p in (bag / "data").rglob("*") if p.is_file()]
    octets = sum(p.stat().st_size for p in payload)
    size = sum(p.stat().st_size for p in bag.rglob("*") if p.is_file())
    entry = {"version": 1, "path": f"bags/{record_id}/v1", "bagged_at": now_utc(), "record_revision": 1,
             "metadata_sha256": metadata_fingerprint(record),
             "payload_oxum": (info.get("Payload-Oxum") or [f"{octets}.{len(payload)}"])[0],
             "size": size}
    if tags:
        entry["tagmanifest_sha256"] = tags
    record["bags"] = [entry]
    try:
        source_dir.mkdir(parents=True)
        for found, name in sources:
            shutil.copyfile(found, source_dir / name)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(bag, final)
        tx.insert(record)
        tx.log(make_event("val", record_id, detail="bag validated on ingest (RFC 8493 and bagit)",
                          bag_version=1))
        tx.log(make_event("acc", record_id, detail=f"accessioned from a bag; kept as bags/{record_id}/v1",
                          outcome_detail={"payload_oxum": entry["payload_oxum"],
                                          "source_sha256": record["source"]["sha256"]},
                          bag_version=1))
        tx.commit()
    except BaseException:
        if final.exists():
            with contextlib.suppress(OSError):
                os.rename(final, bag)
        shutil.rmtree(source_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            final.parent.rmdir()
        raise
