"""One archive bag checked in full: the RFC 8493 rules, then what the catalogue says it must hold.

Runs in worker processes, so it takes and returns plain picklable values. A bag can be perfectly
valid BagIt and still not be the bag the catalogue recorded (rewritten manifests, a record.json
from another revision); the catalogue's pins (metadata fingerprint, tag manifest digest,
Payload-Oxum, source digests) catch that.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field

import orjson

from archive.bagit_format.paths import source_payload
from archive.bagit_format.payload import RECORD_JSON
from archive.fixity.bagcheck import check_bag
from archive.fixity.inventory import Inventory
from archive.fixity.problems import MISMATCH, MISSING, UNSAFE, Problem, error
from archive.fixity.report import BagReport, SourceReport
from archive.fixity.tagfiles import read_whole
from archive.fixity.workingcopy import SourceTask, check_working_copy
from archive.records import metadata_fingerprint
from archive.source_files import SourceFile, files_of
from archive.storage.local import LocalStorage

_KEEP = frozenset({RECORD_JSON})
"""The payload file the cross-check reads after the bag check: kept from the one read that hashed it."""


@dataclass(slots=True)
class BagTask:
    """What the catalogue pins for one bag version; ``expect`` is the bags[] entry."""

    root: str
    rel: str
    record_id: str
    version: int
    fast: bool
    expect: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    """The record's ``source``: every file of the set is looked for in the bag's manifests."""
    standing: str = ""
    """For a fast check: when the failure it cannot clear was found (see fixity.state)."""
    standing_fast: bool = False


def check_task(task: BagTask | SourceTask) -> BagReport | SourceReport:
    """The one function the worker pool runs: a bag, or a record's working copy."""
    if isinstance(task, SourceTask):
        return check_working_copy(task)
    return check_archive_bag(task)


def check_archive_bag(task: BagTask) -> BagReport:
    """Never raises for anything the bag holds; faults become problems in the report."""
    report = BagReport(path=task.rel, record_id=task.record_id, version=task.version, fast=task.fast,
                       standing_failure=task.standing if task.fast else "",
                       standing_fast=task.standing_fast)
    folder = os.path.join(task.root, task.rel)
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        report.problems.append(error(MISSING, "missing-bag", task.rel, "the bag folder is gone"))
        return report
    except OSError as exc:
        report.problems.append(error(MISSING, "missing-bag", task.rel, exc.strerror or str(exc)))
        return report
    if not stat.S_ISDIR(info.st_mode):
        report.problems.append(error(UNSAFE, "not-a-folder", task.rel,
                                     "the bag path is a link or a file, not a folder; not followed"))
        return report
    # The folder was just found to be one (lstat, no link): checked as it is, not looked up again.
    result, inv = check_bag(LocalStorage(folder), fast=task.fast, keep=_KEEP)
    sources = _source_payloads(task, folder)
    roles = {payload: item.role for payload, item in sources}
    report.problems += [_named(p, roles) for p in result.problems]
    report.payload_bytes, report.hashed_bytes = result.payload_bytes, result.hashed_bytes
    report.problems += _against_catalogue(task, result.digests, inv, result.payload_files,
                                          result.payload_bytes, result.tag_digests, sources)
    return report


def _against_catalogue(task: BagTask, digests: dict[str, dict[str, str]], inv: Inventory,
                       files: int, octets: int, tag_digests: dict[str, dict[str, str]],
                       sources: list[tuple[str, SourceFile]]) -> list[Problem]:
    problems: list[Problem] = []
    expect = task.expect
    oxum = f"{octets}.{files}"
    if expect.get("payload_oxum") and expect["payload_oxum"] != oxum:
        problems.append(error(MISMATCH, "oxum-differs-from-catalogue", "",
                              f"the catalogue recorded Payload-Oxum {expect['payload_oxum']}; "
                              f"the bag holds {oxum}"))
    if task.fast:
        return problems
    pinned = expect.get("tagmanifest_sha256")
    if pinned:
        pin_problems = _check_tagmanifest(inv, pinned)
        problems += pin_problems
        if not pin_problems:
            problems += _check_other_tagmanifests(inv, tag_digests)
    problems += _check_record_json(task, inv)
    for payload, item in sources:
        listed = digests.get(payload)
        if listed is None:
            problems.append(error(MISMATCH, "source-not-in-manifest", payload,
                                  f"the catalogued {item.role} file of the source is not in the bag's "
                                  "manifests"))
            continue
        for algorithm, digest in sorted(listed.items()):
            want = item.digests.get(algorithm)
            if want and want != digest:
                problems.append(error(MISMATCH, "source-digest-differs", f"manifest-{algorithm}.txt",
                                      f"its {algorithm} for {payload} differs from the catalogued digest "
                                      f"of the source's {item.role} file"))
    return problems


def _source_payloads(task: BagTask, folder: str) -> list[tuple[str, SourceFile]]:
    """Every file of the catalogued source set, with the payload path the bag holds it under."""
    return [(source_payload(folder, item.filename), item) for item in files_of({"source": task.source})]


def _named(problem: Problem, roles: dict[str, str]) -> Problem:
    """A bag problem about a file of the source, with the file's role before its message."""
    role = roles.get(problem.path)
    if role is None:
        return problem
    return Problem(problem.severity, problem.kind, problem.code, problem.path,
                   f"the source's {role} file: {problem.message}")


def _check_tagmanifest(inv: Inventory, pinned: str) -> list[Problem]:
    rel = "tagmanifest-sha256.txt"
    data, problem = read_whole(inv, rel, 64 << 20)
    if problem is not None and problem.kind == MISSING:
        # RFC 8493 makes tag manifests optional, so the bag check cannot miss it; the catalogue
        # pinned this one, so here it is a file lost from the bag.
        return [error(MISSING, "missing", rel, "the catalogue pinned this tag manifest when the bag "
                      "was made; it is gone")]
    if problem is not None:
        return [problem]
    if hashlib.sha256(data or b"").hexdigest() != pinned:
        return [error(MISMATCH, "tagmanifest-differs", rel,
                      "differs from the digest recorded when the bag was made (manifests rewritten?)")]
    return []


def _check_other_tagmanifests(inv: Inventory, tag_digests: dict[str, dict[str, str]]) -> list[Problem]:
    """Only tagmanifest-sha256.txt is pinned by the catalogue. The other tag manifests must be
    exactly what this archive writes for the tag files it lists (sorted 'digest  name' lines), so
    even a flip that leaves their meaning intact (hex case, a tab for a space) is found. The
    digests the bag check computed for the tag files are used; one it did not compute (an
    algorithm no manifest used) is computed here."""
    pinned = read_whole(inv, "tagmanifest-sha256.txt", 64 << 20)[0] or b""
    names = sorted(line.split(b"  ", 1)[1].decode("utf-8", "replace") for line in pinned.splitlines()
                   if b"  " in line)
    if any(name not in tag_digests for name in names):
        return []  # a tag file failed or is missing: already named, so not blamed on a manifest
    problems: list[Problem] = []
    for rel in sorted(inv.files):
        if not (rel.startswith("tagmanifest-") and rel.endswith(".txt")) or rel == "tagmanifest-sha256.txt":
            continue
        algorithm = rel[len("tagmanifest-"):-len(".txt")]
        if algorithm not in hashlib.algorithms_available:
            continue
        expected = "".join(f"{_tag_digest(inv, tag_digests, name, algorithm)}  {name}\n"
                           for name in names).encode()
        actual, problem = read_whole(inv, rel, 64 << 20)
        if problem is None and actual != expected:
            problems.append(error(MISMATCH, "tagmanifest-differs", rel,
                                  "is not the tag manifest this archive wrote for these tag files"))
    return problems


def _tag_digest(inv: Inventory, tag_digests: dict[str, dict[str, str]], name: str, algorithm: str) -> str:
    known = tag_digests[name].get(algorithm)
    if known is not None:
        return known
    return hashlib.new(algorithm, read_whole(inv, name, 256 << 20)[0] or b"").hexdigest()


def _check_record_json(task: BagTask, inv: Inventory) -> list[Problem]:
    data, problem = read_whole(inv, RECORD_JSON, 16 << 20)
    if problem is not None:
        return []  # missing or unreadable: already named by the bag check
    try:
        bagged = orjson.loads(data or b"")
    except orjson.JSONDecodeError:
        return [error(MISMATCH, "record-json-unparseable", RECORD_JSON, "not valid JSON")]
    # A bag ingested from elsewhere and renumbered holds its sender's id; its bags[] entry says so.
    if not isinstance(bagged, dict) or bagged.get("id") != task.expect.get("bagged_id", task.record_id):
        return [error(MISMATCH, "record-json-other-record", RECORD_JSON,
                      f"does not describe {task.record_id}")]
    problems = []
    fingerprint = task.expect.get("metadata_sha256")
    if fingerprint and metadata_fingerprint(bagged) != fingerprint:
        problems.append(error(MISMATCH, "record-json-differs", RECORD_JSON,
                              "differs from the catalogue record at the revision that was bagged"))
    revision = task.expect.get("record_revision")
    if revision and bagged.get("revision") != revision:
        problems.append(error(MISMATCH, "record-json-revision", RECORD_JSON,
                              f"holds revision {bagged.get('revision')}, the catalogue bagged {revision}"))
    return problems
