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
    citation: str | None = None
    """bag-info's Citation, formatted by the caller for a whole batch at once (``bag_citations``);
    None makes the worker format it itself."""


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


def bag_citations(jobs: list[BagJob]) -> list[str]:
    """bag-info's Citation for each job: the record as it will be cited once this bag exists,
    formatted by citeproc-js in the archive's default style and locale, exactly the string
    ``format_citation`` gives (the TUI's citation tab, ``archive export --format text``).

    One engine call for all the jobs: building a style takes citeproc-js a second or more, so a
    bag run formats its citations in one process, a batch at a time, never one engine per bag.
    A style that leaves an item out of its bibliography (none of the defaults does) gets the
    plain one-line label instead, since every bag carries a Citation."""
    from archive.citation.formatted import format_each
    from archive.citation.plain import plain_citation

    labels: list[str] = [""] * len(jobs)
    by_org: dict[str, list[int]] = {}
    for index, job in enumerate(jobs):
        by_org.setdefault(job.organization, []).append(index)
    for organization, indexes in by_org.items():
        cited = [cited_record(jobs[i].record, jobs[i].version) for i in indexes]
        texts = format_each(cited, archive_name=organization or None)
        for i, record, text in zip(indexes, cited, texts, strict=True):
            labels[i] = text or plain_citation(record, archive_name=organization or None)
    return labels
