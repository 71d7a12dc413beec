"""Markdown with YAML front matter: the front matter's keys become record fields.

Keys named like record fields are taken as they are; the names static-site generators and
note-taking tools use (author, date, tags, description, ...) are mapped to ours.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from archive.extract.names import creators_from_names, split_byline
from archive.extract.normalise import language_tag, one_line, partial_date, web_url
from archive.extract.result import Extraction

ALIASES = {
    "author": "creators", "authors": "creators", "byline": "creators",
    "date": "issued", "published": "issued", "pubdate": "issued", "publication_date": "issued",
    "publication": "container_title", "journal": "container_title", "newspaper": "container_title",
    "magazine": "container_title", "site": "container_title", "site_name": "container_title",
    "tags": "keywords", "description": "abstract", "summary": "abstract", "lang": "language",
    "link": "url", "canonical_url": "url", "canonical": "url", "source_url": "url",
    "archive_url": "archived_url", "subject": "subjects", "categories": "subjects",
}  # fmt: skip
TEXT_FIELDS = (
    "title",
    "subtitle",
    "container_title",
    "publisher",
    "section",
    "page",
    "edition",
    "volume",
    "issue",
    "abstract",
)
LIST_FIELDS = ("keywords", "subjects")
TYPES = ("article-newspaper", "article-magazine", "post-weblog", "webpage", "article")


def extract_markdown(path: Path) -> Extraction:
    """Fields from the front matter; a file without (or with unreadable) front matter gives none."""
    import frontmatter
    import yaml

    text = path.read_bytes().decode("utf-8-sig")
    try:
        metadata = frontmatter.loads(text).metadata
    except (yaml.YAMLError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        return Extraction(fields={"provenance": {"notes": f"The front matter could not be read: {reason}"}})
    fields: dict[str, Any] = {}
    for key, value in metadata.items():
        name = ALIASES.get(str(key).lower(), str(key).lower())
        converted = _convert(name, value)
        if converted not in (None, [], "") and name not in fields:
            fields[name] = converted
    return Extraction(fields=fields)


def _convert(name: str, value: Any) -> Any:
    """A front-matter value as the record field wants it; ``None`` for what cannot be mapped."""
    if name in TEXT_FIELDS:
        return one_line(str(value)) if isinstance(value, str | int | float) else None
    if name in LIST_FIELDS:
        items = value if isinstance(value, list) else str(value).split(",")
        return list(dict.fromkeys(t for t in (one_line(str(i)) for i in items) if t))
    if name == "creators":
        names = value if isinstance(value, list) else split_byline(str(value))
        return creators_from_names(
            [n for n in (one_line(str(x)) for x in names if not isinstance(x, dict)) if n]
        )
    if name in ("issued", "accessed"):
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return partial_date(text)
    if name == "language":
        return language_tag(str(value))
    if name in ("url", "archived_url"):
        return web_url(str(value))
    if name == "type":
        return value if value in TYPES else None
    return None
