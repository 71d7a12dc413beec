"""The record's type when nobody stated it: an article in a publication is a newspaper article.

Most of what an archive of articles takes in is news: a text that names its publication (a
``container_title``) but not its kind is far more often a newspaper story than anything else, and
citing it as one is right where the generic kind is wrong (a generic article in a publication
risks citing like a book chapter: "In The Daily Planet."). A stated type always wins: typed by
the archivist (``--type``, a sidecar), or stated by the source itself (JSON-LD ``@type`` such as
ScholarlyArticle or BlogPosting, og:type ``website``, front matter ``type:``).
"""

from __future__ import annotations

DEFAULT_TYPE = "article"
PUBLICATION_DEFAULT = "article-newspaper"


def settle_type(record: dict, *, stated: bool) -> str:
    """The type to keep: the record's own if ``stated``; otherwise a newspaper article when the
    record names its publication, else what the extractor guessed, else a generic article."""
    if stated and record.get("type"):
        return record["type"]
    if record.get("container_title"):
        return PUBLICATION_DEFAULT
    return record.get("type") or DEFAULT_TYPE
