"""Markdown with YAML front matter: the front matter's keys become record fields.

Keys named like record fields are taken as they are; the names static-site generators and
note-taking tools use (author, date, tags, description, ...) are mapped to ours.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from archive.extract.names import creator_from_name, split_byline
from archive.extract.normalise import flatten_to_line, language_tag, partial_date, web_url
from archive.extract.result import Extraction
from archive.untrusted import PROTECTED_FIELDS

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
ROLES = ("author", "editor", "translator", "photographer")
MAPPED_FIELDS = frozenset(
    {*TEXT_FIELDS, *LIST_FIELDS, "creators", "issued", "accessed", "language", "url", "archived_url",
     "type"}
)
"""The record fields front matter can give; any other key is reported, not silently dropped."""


def extract_markdown(path: Path) -> Extraction:
    """Fields from the front matter; a file without (or with unreadable) front matter gives none.

    Every key that is not used is named in ``warnings`` (a key the archive sets itself, a key that
    is no record field, a value that cannot be read), so nothing is dropped without a word.
    """
    import frontmatter
    import yaml

    from archive import schema

    text = path.read_bytes().decode("utf-8-sig")
    try:
        metadata = frontmatter.loads(text).metadata
    except (yaml.YAMLError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        return Extraction(fields={"provenance": {"notes": f"The front matter could not be read: {reason}"}})
    record_fields = set(schema.schema_document().get("properties", {}))
    fields: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in metadata.items():
        shown = _shown(key)
        name = ALIASES.get(str(key).lower(), str(key).lower())
        if name in PROTECTED_FIELDS or str(key).lower() in PROTECTED_FIELDS:
            warnings.append(f"front matter {shown} is set by the archive; ignored")
            continue
        if name not in MAPPED_FIELDS:
            kind = ("is a record field front matter cannot give (use --meta or edit)"
                    if name in record_fields else "is not a record field")
            warnings.append(f"front matter {shown} {kind}; ignored")
            continue
        if name in fields:
            warnings.append(f"front matter {shown} gives {name} again; the first one is kept")
            continue
        converted, problems = _convert_creators(value) if name == "creators" else (_convert(name, value), [])
        warnings += [f"front matter {shown} {problem}; ignored" for problem in problems]
        if converted in (None, [], ""):
            if not problems:
                warnings.append(f"front matter {shown}: {_value(value)} is not a usable {name}; ignored")
            continue
        fields[name] = converted
    return Extraction(fields=fields, warnings=warnings)


def _shown(key: object) -> str:
    return repr(" ".join(str(key).split())[:80])


def _value(value: object) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _convert_creators(value: Any) -> tuple[list[dict], list[str]]:
    """Creators from a byline, a list of names (``"Family, Given"`` or ``"Given Family"``), or a
    list of objects with ``family``/``given`` (or ``literal``, or ``name``) and an optional role."""
    items = value if isinstance(value, list) else split_byline(str(value)) if value is not None else []
    creators: list[dict] = []
    problems: list[str] = []
    for number, item in enumerate(items, 1):
        creator = _creator(item)
        if creator is None:
            problems.append(f"item {number} ({_value(item)}) is not a name")
        elif creator not in creators:
            creators.append(creator)
    return creators, problems


def _creator(item: Any) -> dict[str, str] | None:
    if isinstance(item, str | int | float) and not isinstance(item, bool):
        text = flatten_to_line(str(item))
        creator = creator_from_name(text) if text else None
        return {**creator, "role": "author"} if creator else None
    if not isinstance(item, dict):
        return None
    parts = {k: flatten_to_line(str(item[k])) for k in ("family", "given", "literal", "name")
             if isinstance(item.get(k), str | int | float) and not isinstance(item.get(k), bool)}
    parts = {k: v for k, v in parts.items() if v}
    if "family" in parts:
        creator = {"family": parts["family"], **({"given": parts["given"]} if "given" in parts else {})}
    elif "literal" in parts:
        creator = {"literal": parts["literal"]}
    elif "name" in parts:
        creator = creator_from_name(parts["name"])
    else:
        return None
    if creator is None:
        return None
    role = str(item.get("role") or "author").strip().lower()
    return {**creator, "role": role if role in ROLES else "author"}


def _convert(name: str, value: Any) -> Any:
    """A front-matter value as the record field wants it; ``None`` for what cannot be mapped."""
    if name in TEXT_FIELDS:
        return flatten_to_line(str(value)) if isinstance(value, str | int | float) else None
    if name in LIST_FIELDS:
        items = value if isinstance(value, list) else str(value).split(",")
        return list(dict.fromkeys(t for t in (flatten_to_line(str(i)) for i in items) if t))
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
