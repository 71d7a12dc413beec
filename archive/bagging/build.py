"""The worker's entry point: one record version made into a bag, in a worker process.

``build_bag`` stages the payload (``payload.stage_payload``: the source file as received,
record.json and the citations) in a new folder under staging, lets ``bagit.make_bag`` turn that
folder into a bag (``bagit_patches.run_make_bag``), and then closes the gaps where bagit 1.9.0
falls short of RFC 8493 (``conform.conform``). It runs only in worker processes, because
``make_bag`` calls ``os.chdir`` for the whole process; it takes and returns plain picklable values
and touches nothing but its staging folder; the catalogue is updated by the caller.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from archive.bagging.bagit_patches import prepare_bagit, run_make_bag
from archive.bagging.conform import BagSummary, conform
from archive.bagging.contents import BagJob, bag_labels, citation_label, citation_labels
from archive.bagging.payload import stage_payload
from archive.bagit_format import taginfo
from archive.bagit_format.paths import payload_name
from archive.bagit_format.payload import SOURCE_FOLDER
from archive.clock import now_utc
from archive.errors import ArchiveError, PayloadError
from archive.processes import die_with_parent
from archive.source_files import ORIGINAL, files_of


@dataclass
class BagOutcome:
    """What a worker made: the staged folder and its summary, or the one-line reason it could not."""

    record_id: str
    version: int
    target: str
    error: str = ""
    summary: BagSummary = field(default_factory=BagSummary)
    bagged_at: str = ""


def worker_init(owner: int | None = None) -> None:
    """Process-pool initializer: end with ``owner``, the process that made the pool (see
    ``archive.processes``), then import and prepare everything a bag needs once per worker."""
    die_with_parent(owner)
    prepare_bagit()
    # What a bag's citations are written with (metadata_files, citation_label), imported once per
    # worker, not per bag (the package loads lazily). Not archive.citation.export: it brings the
    # reference detector, whose 70-odd patterns took each worker ~0.3 s to compile, for nothing.
    # citeproc-js itself (V8) starts on the worker's first bag, not here: a pool made for one bag
    # would start it in every worker.
    import archive.citation.bibtex
    import archive.citation.csl
    import archive.citation.formatted
    import archive.citation.ris  # noqa: F401


def make_bag(folder: Path, labels: list[tuple[str, object]], algorithms: tuple[str, ...]) -> BagSummary:
    """``bagit.make_bag`` on ``folder`` (the staged payload), then ``conform``. Worker only.

    bagit lays out data/, hashes the payload and writes bagit.txt and the payload manifests.
    Speed-ups in the worker, none changing the finished bag, are the patches in
    ``bagit_patches`` (one read per file for hashing; no bag-info.txt or tag manifests written by
    bagit, since ``conform`` writes them; no ``Bag`` opened on return).
    """
    bag_info: dict[str, object] = {}
    for label, value in labels:
        text = taginfo.clean_value(value)
        if text:
            bag_info.setdefault(label, []).append(text)  # type: ignore[union-attr]
    run_make_bag(folder, bag_info, algorithms)
    return conform(folder, labels, algorithms)


def _check_source(record: dict, summary: BagSummary) -> str:
    """Each copy in the bag must be the bytes catalogued; a damaged source is never bagged."""
    for item in files_of(record):
        got = summary.digests.get(f"{SOURCE_FOLDER}/{payload_name(item.filename)}", {})
        for algorithm, want in item.digests.items():
            if algorithm in got and got[algorithm] != want:
                what = "the source file" if item.role == ORIGINAL else f"its {item.role} file {item.filename}"
                return (f"{record['id']}: {what} no longer matches its recorded {algorithm} "
                        "(the copy in sources/ is damaged); not bagged")
    return ""


def _unreadable_umask() -> int | None:
    """The process's umask when it would leave its own bag files unreadable to it (no owner read
    permission, and not root, whom permissions do not stop); else None. bagit used to refuse such a
    bag when it read each file back to hash it; files hashed from memory are never read back, so
    the refusal is made here."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask if mask & 0o400 and os.geteuid() != 0 else None


def build_bags(jobs: list[BagJob]) -> list[BagOutcome]:
    """``build_bag`` for each of a worker's share of a batch, their Citation labels formatted by one
    citeproc-js call first: a call costs about as much as formatting an entry.

    The labels are formatted here, in the workers, not in the bagging parent: measured side by
    side (bench_bag.py, 1,000 records, load about 1), two workers each running citeproc-js bagged
    at 1.06x and 1.20x make_bag's pace, one engine in the parent at 0.90x and 1.00x, because the
    parent, which records each batch, then became the slowest step."""
    labels = citation_labels(jobs)
    return [build_bag(job, label) for job, label in zip(jobs, labels, strict=True)]


def build_bag(job: BagJob, citation: str | None = None) -> BagOutcome:
    """Make one bag in ``job.target`` (a new folder in staging); never raises for a bad record.

    ``citation``: the Citation label formatted already (``build_bags``); otherwise formatted here."""

    record = job.record
    outcome = BagOutcome(record["id"], job.version, job.target, bagged_at=now_utc())
    if not record.get("source"):
        outcome.error = f"{record['id']}: has no source file to preserve"
        return outcome
    unreadable = _unreadable_umask()
    if unreadable is not None:
        outcome.error = (f"{record['id']}: the umask {unreadable:03o} takes the owner's read permission "
                         "from the bag's files, so they could not be read back to verify; not bagged "
                         "(use a umask such as 022)")
        return outcome
    target = Path(job.target)
    syncing: list[threading.Thread] = []
    try:
        syncing = stage_payload(job, target)
        if not citation:
            citation = citation_label(job)
        outcome.summary = make_bag(target, bag_labels(job, outcome.bagged_at, citation), job.algorithms)
    except FileNotFoundError as exc:
        outcome.error = f"{record['id']}: source file missing ({Path(exc.filename or '?').name}); not bagged"
    except PayloadError as exc:
        outcome.error = f"{record['id']}: {exc}"
    except ArchiveError as exc:  # citeproc-js could not format the Citation label
        outcome.error = f"{record['id']}: cannot format the bag's Citation ({exc}); not bagged"
    except OSError as exc:
        outcome.error = f"{record['id']}: cannot write the bag ({exc.strerror or exc})"
    except Exception as exc:  # bagit raises BagError/RuntimeError with a message of its own
        outcome.error = f"{record['id']}: bagit could not make the bag ({str(exc).splitlines()[0][:200]})"
    else:
        outcome.error = _check_source(record, outcome.summary)
    finally:
        for thread in syncing:
            thread.join()
    return outcome
