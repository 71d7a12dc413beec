"""The metadata trafilatura reads but does not hand back: citation_* lists, JSON-LD publisher and
publication, modification dates and the page's language.

trafilatura joins ``citation_author`` values with the comma inside ``"Family, Given"`` as a
separator, and reports the JSON-LD publisher as the site name; scholarly and news pages need both
kept apart. This reads the parsed tree trafilatura already built, with XPath, and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from archive.untrusted import MAX_DEPTH, depth

NEWS_TYPES = {"newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle"}
BLOG_TYPES = {"blogposting", "liveblogposting"}
ARTICLE_TYPES = {"article", "scholarlyarticle", "techarticle", "report"} | NEWS_TYPES | BLOG_TYPES


@dataclass
class PageMeta:
    """Named metadata from ``<meta>`` tags and the page's JSON-LD article object."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    jsonld: dict[str, Any] = field(default_factory=dict)
    html_lang: str | None = None

    def first(self, *names: str) -> str | None:
        """The first non-empty value among ``<meta>`` names, in the order given."""
        for name in names:
            for value in self.meta.get(name.lower(), []):
                if value.strip():
                    return value.strip()
        return None

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.meta.get(name.lower(), []) if v.strip()]

    @property
    def jsonld_type(self) -> str:
        kind = self.jsonld.get("@type", "")
        kinds = kind if isinstance(kind, list) else [kind]
        lowered = [str(k).lower() for k in kinds]
        return next((k for k in lowered if k in ARTICLE_TYPES), lowered[0] if lowered else "")


def _meta_tags(tree) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in tree.xpath("//meta[@content]"):
        key = node.get("name") or node.get("property") or node.get("itemprop") or node.get("http-equiv")
        if key:
            found.setdefault(key.strip().lower(), []).append(node.get("content") or "")
    return found


def _objects(data: Any) -> list[dict]:
    """Every object in a JSON-LD document, including those inside ``@graph`` lists."""
    if isinstance(data, list):
        return [o for item in data for o in _objects(item)]
    if isinstance(data, dict):
        return [data, *_objects(data.get("@graph", []))]
    return []


def _parse_jsonld(text: str) -> Any:
    """A JSON-LD script's document, or None when it is not usable JSON or is nested beyond reason.

    The JSON decoder recurses, so a script nested 100,000 deep raises RecursionError (not a
    ValueError); a document deeper than ``MAX_DEPTH`` is refused before anything walks it.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return data if depth(data) <= MAX_DEPTH else None


def _too_deep(text: str) -> bool:
    try:
        return depth(json.loads(text)) > MAX_DEPTH
    except RecursionError:
        return True
    except ValueError:
        return False


def drop_hostile_jsonld(tree) -> list[str]:
    """Remove JSON-LD scripts nested too deep to walk safely; one note per removed script.

    Run before anything reads the page (trafilatura parses JSON-LD itself, recursively), so the
    rest of the page is still added and the archivist is told what was ignored.
    """
    notes = []
    if tree is None:
        return notes
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        if _too_deep(script.text or ""):
            script.getparent().remove(script)
            notes.append(
                f"The page's JSON-LD is nested more than {MAX_DEPTH} levels deep and was ignored."
            )
    return notes


def _jsonld_article(tree) -> dict[str, Any]:
    """The first JSON-LD object typed as an article; broken JSON-LD is ignored, not fatal."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        data = _parse_jsonld(script.text or "")
        if data is None:
            continue
        for obj in _objects(data):
            kind = obj.get("@type", "")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(str(k).lower() in ARTICLE_TYPES for k in kinds):
                return obj
    return {}


def read_page_meta(tree) -> PageMeta:
    """Collect ``<meta>`` values, the JSON-LD article and ``<html lang>`` from a parsed page."""
    if tree is None:
        return PageMeta()
    root = tree.getroottree().getroot()
    return PageMeta(meta=_meta_tags(tree), jsonld=_jsonld_article(tree), html_lang=root.get("lang"))


def names_of(value: Any) -> list[str]:
    """Names from a JSON-LD person/organisation, a list of them, or a plain string."""
    if isinstance(value, list):
        return [n for item in value for n in names_of(item)]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) and name.strip() else []
    if isinstance(value, str) and value.strip():
        return [value]
    return []
