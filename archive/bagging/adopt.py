"""Adopting a bag that a killed run left whole but unrecorded.

A bag is renamed into ``bags/<id>/v<N>`` before the catalogue transaction that records it, so a
kill between the two leaves a complete bag no record claims: ``verify`` would call it an orphan
forever and the next run would write v<N+1> beside it. The next run instead adopts it, but only
when it can prove the bag is exactly what this archive would have written for the record as it is
now (``proof_problems``): record.json describes the current record, the payload is the archive's
files and no others, the source's digests are the catalogued ones and the extracted text's are
those of the copy in sources/, and the bag is valid. Anything else, a bag planted by hand
included, is left for ``verify`` to report as an orphan.
"""

from __future__ import annotations

import hashlib

import orjson

from archive.bagit_format import taginfo
from archive.bagit_format.entry import BagEntry
from archive.bagit_format.paths import payload_name
from archive.bagit_format.payload import METADATA_FILES, RECORD_JSON, metadata_path, source_path
from archive.clock import format_utc
from archive.events import make_event
from archive.fixity import validate_bag
from archive.hashing import hash_file
from archive.layout import Archive
from archive.records import metadata_fingerprint
from archive.source_files import files_of
from archive.storage import LocalStorage, total_size

DIGESTS = ("sha256", "sha512")


def versions_on_disk(arc: Archive, record_id: str) -> list[int]:
    """The bag versions lying in bags/<id>/, recorded or not."""
    return arc.bag_versions(record_id)


def unrecorded_versions(arc: Archive, record: dict) -> list[int]:
    """Versions on disk above the newest recorded one: what a killed run may have left."""
    newest = max((b["version"] for b in record.get("bags") or []), default=0)
    return sorted(v for v in versions_on_disk(arc, record["id"]) if v > newest)


def expected_digests(arc: Archive, record: dict) -> dict[str, dict[str, str]]:
    """Payload path -> digests for the source files this archive puts in a bag of ``record``:
    the catalogued digests of each file of the set, and for a file the record holds none for (an
    old record's extracted text) those of its copy in sources/."""
    expected = {}
    for item in files_of(record):
        digests = item.digests or hash_file(arc.source_dir(record["id"]) / item.filename, DIGESTS)[0]
        expected[source_path(payload_name(item.filename))] = digests
    return expected


def proof_problems(arc: Archive, record: dict, bag) -> list[str]:
    """Why the bag at ``bag`` is not provably the one this archive would write for ``record``
    now (empty when it is). Reads the bag whole; nothing is changed."""
    try:
        bagged = orjson.loads((bag / RECORD_JSON).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return [f"{RECORD_JSON} cannot be read"]
    if not isinstance(bagged, dict) or metadata_fingerprint(bagged) != metadata_fingerprint(record):
        return [f"{RECORD_JSON} does not describe the record as it is now"]
    revision = bagged.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool) or not 0 < revision <= record["revision"]:
        return [f"{RECORD_JSON} holds a revision the catalogue never had"]
    if not record.get("source"):
        return ["the record has no source file"]
    try:
        expected = expected_digests(arc, record)
    except OSError as exc:
        return [f"the working copy in sources/ cannot be read ({exc.strerror or exc})"]
    checked = validate_bag(bag)
    if not checked.valid:
        return [p.line() for p in checked.errors()]
    wanted = set(expected) | {metadata_path(name) for name in METADATA_FILES}
    found = set(checked.digests)
    problems = [f"{path}: not a file this archive puts in a bag" for path in sorted(found - wanted)]
    problems += [f"{path}: missing" for path in sorted(wanted - found)]
    for path, digests in sorted(expected.items()):
        listed = checked.digests.get(path, {})
        problems += [f"{path}: its {a} differs from the catalogued file's" for a, digest in
                     sorted(digests.items()) if a in listed and listed[a] != digest]
        if path in listed and not set(digests) & set(listed):
            problems.append(f"{path}: no digest the catalogue can compare")
    return problems


def adoptable_entry(arc: Archive, record: dict, version: int) -> dict | None:
    """The ``bags[]`` entry for an unrecorded bag proven to be this archive's, else None."""
    bag = arc.bag_dir(record["id"], version)
    if proof_problems(arc, record, bag):
        return None
    try:
        bagged = orjson.loads((bag / RECORD_JSON).read_bytes())
        info = dict(taginfo.parse_lenient((bag / "bag-info.txt").read_text(encoding="utf-8")))
        tagmanifest = (bag / "tagmanifest-sha256.txt").read_bytes()
    except (OSError, ValueError, orjson.JSONDecodeError):
        return None
    fingerprint = metadata_fingerprint(bagged)
    stamp = (bag / "bag-info.txt").stat().st_mtime
    return BagEntry(
        record_id=record["id"],
        version=version,
        bagged_at=format_utc(stamp),
        record_revision=bagged["revision"],
        metadata_sha256=fingerprint,
        payload_oxum=info.get("Payload-Oxum", "0.0"),
        size=total_size(LocalStorage(bag)),
        tagmanifest_sha256=hashlib.sha256(tagmanifest).hexdigest(),
    ).as_dict()


def adopt_interrupted(arc: Archive, ids: list[str]) -> list[str]:
    """Record every adoptable bag left by a killed run; returns the ids adopted."""
    found: list[tuple[str, dict]] = []
    for record_id in ids:
        record = arc.store.get(record_id)
        for version in reversed(unrecorded_versions(arc, record)):
            entry = adoptable_entry(arc, record, version)
            if entry is not None:
                found.append((record_id, entry))
                break
    if not found:
        return []
    with arc.store.transaction() as tx:
        for record_id, entry in found:
            record = tx.get(record_id)
            record["bags"] = [*(record.get("bags") or []), entry]
            if record["status"] == "catalogued":
                record["status"] = "bagged"
            tx.update(record, bookkeeping=True)
            tx.log(make_event(
                "ipc", record_id, bag_version=entry["version"],
                detail=f"bag v{entry['version']} adopted: written whole by a run that was stopped "
                       "before recording it; valid, and its record.json, source and extracted text "
                       "are the catalogue's",
                outcome_detail={"payload_oxum": entry["payload_oxum"], "size": entry["size"]},
            ))
    return [record_id for record_id, _ in found]
