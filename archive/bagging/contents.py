"""What goes into a bag of one record version: the bag-info labels, the metadata files and the
names of the source files. Pure values from the record; nothing here writes a file."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from archive import __version__
from archive.bagit_format.payload import METADATA_FILES
from archive.creators import format_creator
from archive.source_files import files_of

PROFILE_ID = "https://article-archive.invalid/schemas/profiles/article-archive.json"


@dataclass
class BagJob:
    """Everything a worker needs to bag one record version, as plain values."""

    record: dict
    version: int
    source_dir: str
    target: str
    organization: str = ""
    contact_name: str = ""
    contact_email: str = ""
    algorithms: tuple[str, ...] = ("sha256", "sha512")
    durable: bool = True
    citation: str = ""
    """bag-info's Citation label, formatted by the bagging process (``fill_citations``)."""


def cited_record(record: dict, version: int) -> dict:
    """The record as its citation should see it: preserved in the bag being written."""
    view = dict(record)
    view["bags"] = [*(record.get("bags") or []), {"version": version}]
    return view


def bag_labels(job: BagJob, bagged_at: str, citation: str) -> list[tuple[str, object]]:
    """bag-info.txt labels in reading order; Payload-Oxum and Bag-Size are added by ``conform``."""
    record = job.record
    labels: list[tuple[str, object]] = [
        ("BagIt-Profile-Identifier", PROFILE_ID),
        ("Source-Organization", job.organization),
        ("Contact-Name", job.contact_name),
        ("Contact-Email", job.contact_email),
        ("External-Identifier", record["id"]),
        ("External-Description", record.get("abstract") or record["title"]),
        ("Internal-Sender-Identifier", record["uuid"]),
        ("Bag-Group-Identifier", record["id"]),
        ("Bag-Version", job.version),
        ("Bagging-Date", bagged_at[:10]),
        ("Bag-Software-Agent", f"article-archive {__version__}"),
        ("Title", record["title"]),
    ]
    labels += [("Creator", format_creator(c)) for c in record.get("creators") or []]
    labels += [
        ("Date-Published", record.get("issued", "")),
        ("Source-URL", record.get("url", "")),
        ("Citation", citation),
    ]
    return labels


def metadata_files(job: BagJob) -> dict[str, bytes]:
    """data/metadata/: the record and its citation in CSL-JSON, BibTeX and RIS."""
    from archive.citation import to_bibtex, to_csl_json, to_ris

    record = job.record
    cited = cited_record(record, job.version)
    org = job.organization or None
    contents = (
        orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n",
        orjson.dumps([to_csl_json(cited, archive_name=org)], option=orjson.OPT_INDENT_2) + b"\n",
        to_bibtex(cited, archive_name=org).encode("utf-8"),
        to_ris(cited, archive_name=org).encode("utf-8"),
    )
    return dict(zip(METADATA_FILES, contents, strict=True))  # record.json, citation.json, .bib, .ris


def source_files(record: dict) -> list[str]:
    """The file names under sources/<id>/ that go into data/source/ as received: every file of
    the source set, whatever its role (``archive.source_files``), the original first."""
    return [f.filename for f in files_of(record)]


CITATION_STYLE = "apa"
"""bag-info's Citation is the record's entry in this style, as ``archive export --format text`` and
the TUI give it: citeproc-js's own string (data/metadata/citation.json serves every other style)."""


def fill_citations(jobs: list[BagJob]) -> None:
    """Set each job's Citation label: ``format_citation(cited_record(...), "apa")`` of the bag being
    written, for the whole batch in one engine call (``format_each``), entries formatted before
    read from the citation cache. Done in the bagging process, not the workers, so one citeproc-js
    engine serves every bag instead of one per worker (building APA's takes about a second)."""
    by_organization: dict[str, list[BagJob]] = {}
    for job in jobs:
        by_organization.setdefault(job.organization, []).append(job)
    for organization, group in by_organization.items():
        cited = [cited_record(job.record, job.version) for job in group]
        texts = _formatted(cited, organization)
        if texts is None:  # citeproc-js refused one of them: find which, the others keep theirs
            texts = [(_formatted([record], organization) or [""])[0] for record in cited]
        for job, record, text in zip(group, cited, texts, strict=True):
            job.citation = text or citation_fallback(record, organization)


def _formatted(records: list[dict], organization: str) -> list[str] | None:
    """The records' APA entries; None when citeproc-js fails on one (a bag is never lost to its label)."""
    from archive.citation.formatted import format_each
    from archive.errors import ArchiveError

    try:
        return format_each(records, CITATION_STYLE, archive_name=organization or None, cached=True)
    except ArchiveError:
        return None


def citation_fallback(record: dict, organization: str) -> str:
    """The plain one-line label (``archive.citation.plain``), for a record the style leaves out."""
    from archive.citation.plain import plain_citation

    return plain_citation(record, archive_name=organization or None)
