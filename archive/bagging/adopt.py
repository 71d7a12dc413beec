"""Adopting a bag that a killed run left whole but unrecorded.

A bag is renamed into ``bags/<id>/v<N>`` before the catalogue transaction that records it, so a
kill between the two leaves a complete bag no record claims: ``verify`` would call it an orphan
forever and the next run would write v<N+1> beside it. The next run instead adopts it, when it is
valid and its record.json describes the record as it is now; anything else is left for ``verify``
to report.
"""

from __future__ import annotations

import hashlib
import time

import orjson

from archive.bagging import baginfo
from archive.events import make_event
from archive.layout import Archive
from archive.records import metadata_fingerprint


def versions_on_disk(arc: Archive, record_id: str) -> list[int]:
    """The bag versions lying in bags/<id>/, recorded or not."""
    folder = arc.bags_dir / record_id
    if not folder.is_dir():
        return []
    return [int(p.name[1:]) for p in folder.iterdir() if p.name[:1] == "v" and p.name[1:].isdigit()]


def unrecorded_versions(arc: Archive, record: dict) -> list[int]:
    """Versions on disk above the newest recorded one: what a killed run may have left."""
    newest = max((b["version"] for b in record.get("bags") or []), default=0)
    return sorted(v for v in versions_on_disk(arc, record["id"]) if v > newest)


def adoptable_entry(arc: Archive, record: dict, version: int) -> dict | None:
    """The ``bags[]`` entry for an unrecorded bag that matches the record, else None."""
    from archive.fixity import validate_bag

    bag = arc.bag_dir(record["id"], version)
    try:
        bagged = orjson.loads((bag / "data" / "metadata" / "record.json").read_bytes())
        info = dict(baginfo.parse((bag / "bag-info.txt").read_text(encoding="utf-8")))
        tagmanifest = (bag / "tagmanifest-sha256.txt").read_bytes()
    except (OSError, ValueError, orjson.JSONDecodeError):
        return None
    fingerprint = metadata_fingerprint(bagged)
    if fingerprint != metadata_fingerprint(record) or not validate_bag(bag).valid:
        return None
    stamp = (bag / "bag-info.txt").stat().st_mtime
    return {
        "version": version,
        "path": f"bags/{record['id']}/v{version}",
        "bagged_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp)),
        "record_revision": bagged.get("revision", record["revision"]),
        "metadata_sha256": fingerprint,
        "payload_oxum": info.get("Payload-Oxum", "0.0"),
        "size": sum(p.stat().st_size for p in bag.rglob("*") if p.is_file()),
        "tagmanifest_sha256": hashlib.sha256(tagmanifest).hexdigest(),
    }


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
                       "before recording it, and valid for the record as it is",
                outcome_detail={"payload_oxum": entry["payload_oxum"], "size": entry["size"]},
            ))
    return [record_id for record_id, _ in found]
