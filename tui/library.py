"""The archive functions behind the app's long jobs and citation views, gathered in one place.

Screens call them as ``library.<name>``, so a test can slow one down (the cancel test does)
without patching the library itself. Each is the library's own public function, imported when
first called: bagging, deposit, fixity and citation pull in bagit, tarfile, multiprocessing and the
citation tables (most of a second of imports on a loaded machine), none of which the first screen
needs.
"""

from __future__ import annotations

from typing import Any

from archive.progress import Cancel, Progress

__all__ = [
    "bag_records",
    "capture_many",
    "citation_attribution",
    "citation_formats",
    "citation_locales",
    "citation_styles",
    "citation_suffix",
    "deposit_records",
    "format_citation",
    "render_citation",
    "repair",
    "repair_replica",
    "replicate",
    "verify_archive",
    "verify_replica",
]


def bag_records(arc: Any, ids: list[str], *, progress: Progress | None = None,
                cancel: Cancel | None = None) -> Any:
    """Bag these records (``archive bag``)."""
    from archive.bagging import bag_records as _bag_records

    return _bag_records(arc, ids, progress=progress, cancel=cancel)


def verify_archive(arc: Any, ids: list[str] | None = None, *, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> Any:
    """Check the bags of these records, or of all (``archive verify``)."""
    from archive.fixity.verify import verify_archive as _verify_archive

    return _verify_archive(arc, ids=ids, progress=progress, cancel=cancel)


def deposit_records(arc: Any, ids: list[str], **options: Any) -> Any:
    """Deposit these records' bags (``archive deposit``); ``options`` as the library takes them."""
    from archive.deposit import deposit_records as _deposit_records

    return _deposit_records(arc, ids, **options)


def citation_styles() -> list[str]:
    from archive.citation.options import STYLES

    return list(STYLES)


def citation_locales() -> list[str]:
    """The locales the citation tab offers, the default first."""
    from archive.citation.options import DEFAULT_LOCALE, LOCALES

    return [DEFAULT_LOCALE, *(tag for tag in LOCALES if tag != DEFAULT_LOCALE)]


def citation_attribution() -> str:
    """The line the citation engine's licence (CPAL Exhibit B) asks the UI to show."""
    from archive.citation.citeproc_js import ATTRIBUTION

    return ATTRIBUTION


def citation_formats() -> list[str]:
    from archive.citation.options import FORMATS

    return list(FORMATS)


def citation_suffix(fmt: str) -> str:
    from archive.citation.options import SUFFIXES

    return dict(SUFFIXES).get(fmt, ".txt")


def format_citation(
    record: dict, style: str, archive_name: str | None = None, locale: str | None = None
) -> str:
    from archive.citation.formatted import format_citation as _format_citation

    return _format_citation(record, style, locale=locale, archive_name=archive_name)


def render_citation(record: dict, fmt: str, archive_name: str | None = None) -> str:
    from archive.citation.export import render

    return render(record, fmt, archive_name=archive_name)


def capture_many(arc: Any, urls: list[str], options: Any, *, progress: Progress | None = None,
                 cancel: Cancel | None = None) -> Any:
    """Capture web pages into the catalogue (``archive capture``); imported when first used."""
    from archive.capture.run import capture_many as _capture_many

    return _capture_many(arc, urls, options, progress=progress, cancel=cancel)


# ----- replicas: imported when first used, so opening the app loads no replica code ----------------
def replicate(arc: Any, names: list[str] | None = None, *, progress: Progress | None = None,
              cancel: Cancel | None = None) -> Any:
    """Push every bag version (and a catalogue snapshot) each named replica lacks; None: all."""
    from archive.replicas.push import replicate as _replicate

    return _replicate(arc, names, progress=progress, cancel=cancel)


def verify_replica(arc: Any, name: str, *, fast: bool = False, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> Any:
    """Check replica ``name``'s copy of every bag against its manifests (``fast``: sizes only)."""
    from archive.replicas.check import verify_replica as _verify_replica

    return _verify_replica(arc, name, fast=fast, progress=progress, cancel=cancel)


def repair(arc: Any, ids: list[str] | None = None, *, progress: Progress | None = None,
           cancel: Cancel | None = None) -> Any:
    """Put damaged local bags and sources right from a replica whose bytes match."""
    from archive.replicas.repair import repair as _repair

    return _repair(arc, ids, progress=progress, cancel=cancel)


def repair_replica(arc: Any, name: str, *, progress: Progress | None = None,
                   cancel: Cancel | None = None) -> Any:
    """Put replica ``name``'s damaged copy right from the good local copy."""
    from archive.replicas.repair import repair_replica as _repair_replica

    return _repair_replica(arc, name, progress=progress, cancel=cancel)
