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


def citation_label(record: dict, organization: str) -> str:
    """The one-line Citation label (``archive.citation.plain``): a CSL engine would cost more per
    bag than ``bagit.make_bag`` itself, and data/metadata/citation.json serves every style."""
    from archive.citation.plain import plain_citation

    return plain_citation(record, archive_name=organization or None)
