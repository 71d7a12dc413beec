"""Metadata extraction from the source itself, so archivists check metadata instead of typing it.

``extract(path)`` returns the record fields found in a file and which fields they are, so the
record's provenance can mark them as extracted (guessed) rather than typed. Each format has its
reader in a module of its own; plain text carries no metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archive.extract.result import Extraction

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MARKDOWN_SUFFIXES = (".md", ".markdown")


def _reader(path: Path) -> Callable[..., Extraction] | None:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        from archive.extract.html import extract_html

        return extract_html
    if suffix in MARKDOWN_SUFFIXES:
        from archive.extract.markdown import extract_markdown

        return extract_markdown
    return None


def extract(path: Path, *, charset: str | None = None) -> Extraction:
    """The fields a file's own metadata gives; plain text gives none. ``charset``: an HTML page's
    encoding as its transport determined it (a web capture), instead of its ``<meta>`` tag's."""
    reader = _reader(path)
    if reader is None:
        return Extraction()
    return reader(path, charset=charset) if charset else reader(path)


__all__ = ["Extraction", "extract"]
