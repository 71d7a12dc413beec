"""What goes into a bag of one record version: the bag-info labels, the metadata files and the
names of the source files. Values from the record (the Citation label by citeproc-js); nothing here
writes a file."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from archive import __version__
from archive.bagit_format.payload import METADATA_FILES
from archive.creators import format_creator
from archive.errors import ArchiveError, PayloadError
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
    citation_style: str = "apa"
    citation_locale: str = ""
    csl: dict | None = field(default=None, repr=False, compare=False)
    """The bag's CSL-JSON item, made once by ``csl_item``."""


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


def csl_item(job: BagJob) -> dict:
    """The bag's one CSL-JSON item: data/metadata/citation.json holds it, and the Citation label is
    formatted from it, so the label can always be checked against the bag's own metadata."""
    if job.csl is None:
        from archive.citation import to_csl_json

        cited = cited_record(job.record, job.version)
        job.csl = to_csl_json(cited, archive_name=job.organization or None)
    return job.csl


def metadata_files(job: BagJob) -> dict[str, bytes]:
    """data/metadata/: the record and its citation in CSL-JSON, BibTeX and RIS."""
    from archive.citation import to_bibtex, to_ris

    record = job.record
    cited = cited_record(record, job.version)
    org = job.organization or None
    contents = (
        orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n",
        orjson.dumps([csl_item(job)], option=orjson.OPT_INDENT_2) + b"\n",
        to_bibtex(cited, archive_name=org).encode("utf-8"),
        to_ris(cited, archive_name=org).encode("utf-8"),
    )
    return dict(zip(METADATA_FILES, contents, strict=True))  # record.json, citation.json, .bib, .ris


def source_files(record: dict) -> list[str]:
    """The file names under sources/<id>/ that go into data/source/ as received: every file of
    the source set, whatever its role (``archive.source_files``), the original first."""
    return [f.filename for f in files_of(record)]


def citation_label(job: BagJob) -> str:
    """bag-info's Citation: citeproc-js's entry for the bag's own CSL-JSON item (``csl_item``) in the
    archive's citation style and locale (archive.toml), character for character as the CSL
    reference processor formats a bibliography of that one item.

    Formatted in the worker that makes the bag, by its own citeproc-js engine (started on the
    worker's first bag): the bagging parent never starts V8, so its workers can still be forked.
    """
    from archive.citation.formatted import format_items_each

    style = job.citation_style
    text = format_items_each([csl_item(job)], style, locale=job.citation_locale or None)[0]
    if not text:  # no offered style drops an item with an archive_location, which every bag's has
        raise PayloadError(f"the citation style {style} leaves this record out of a bibliography, so "
                           "the bag would have no Citation; set another citation_style in archive.toml")
    return text


def citation_labels(jobs: list[BagJob]) -> list[str | None]:
    """``citation_label`` of each job by one engine call per style and locale; None for a job whose
    label is empty or whose call failed, so ``build_bag`` formats that one alone and names its
    record in the error."""
    from archive.citation.formatted import format_items_each

    labels: list[str | None] = [None] * len(jobs)
    groups: dict[tuple[str, str], list[int]] = {}
    for at, job in enumerate(jobs):
        groups.setdefault((job.citation_style, job.citation_locale), []).append(at)
    for (style, locale), where in groups.items():
        try:
            texts = format_items_each([csl_item(jobs[at]) for at in where], style, locale=locale or None)
        except ArchiveError:
            continue
        for at, text in zip(where, texts, strict=True):
            labels[at] = text or None
    return labels
