"""Where an archive bag keeps what it preserves: the payload layout every reader and writer shares.

A bag made by the archive holds, under ``data/``, the source file(s) as received in
``data/source/`` and the record with its citations in ``data/metadata/``. The writer lays them out,
the fixity check, adopt and ingest look for them; one spelling here keeps them agreeing.
"""

from __future__ import annotations

DATA = "data"
SOURCE_FOLDER = "source"
"""Below ``data/``: the source files as received."""
METADATA_FOLDER = "metadata"
"""Below ``data/``: the record and its citations."""
SOURCE_DIR = f"{DATA}/{SOURCE_FOLDER}"
METADATA_DIR = f"{DATA}/{METADATA_FOLDER}"
RECORD_JSON_NAME = "record.json"
RECORD_JSON = f"{METADATA_DIR}/{RECORD_JSON_NAME}"
METADATA_FILES = (RECORD_JSON_NAME, "citation.json", "citation.bib", "citation.ris")
"""What the writer puts under data/metadata/, in every bag."""
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
"""The declaration of every bag the archive writes."""


def source_path(name: str) -> str:
    """The bag-relative path of the payload file ``name`` (already a payload name) in data/source/."""
    return f"{SOURCE_DIR}/{name}"


def metadata_path(name: str) -> str:
    """The bag-relative path of the metadata file ``name`` in data/metadata/."""
    return f"{METADATA_DIR}/{name}"
