"""The parts of the library that other engineers deliver separately, looked up when used.

Bagging, fixity, deposit and citation formatting may not be installed in every build of the
archive yet; the app must still start and say in plain words that an action is not available,
instead of failing at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from archive.errors import ArchiveError


class NotAvailableError(ArchiveError):
    """A library feature this copy of article-archive does not have yet."""


def library_function(module: str, name: str, what: str) -> Callable[..., Any]:
    """``archive.<module>.<name>``, or a NotAvailableError naming the action in plain words."""
    try:
        found = getattr(importlib.import_module(f"archive.{module}"), name, None)
    except ImportError:
        found = None
    if found is None:
        raise NotAvailableError(f"{what} is not available yet in this copy of article-archive")
    return found


def library_value(module: str, name: str, default: Any) -> Any:
    """A constant such as the citation STYLES, or ``default`` when the module is missing."""
    try:
        return getattr(importlib.import_module(f"archive.{module}"), name, default)
    except ImportError:
        return default


def bag_records(arc: Any, ids: list[str], progress: Callable[[int, int], None] | None = None) -> Any:
    return library_function("bagging", "bag_records", "Bagging")(arc, ids, progress=progress)


def verify_archive(arc: Any, **kwargs: Any) -> Any:
    try:
        func = library_function("fixity", "verify_archive", "Verifying")
    except NotAvailableError:
        func = library_function("fixity.verify", "verify_archive", "Verifying")
    return func(arc, **kwargs)


def deposit_records(arc: Any, ids: list[str], **kwargs: Any) -> Any:
    return library_function("deposit", "deposit_records", "Deposit")(arc, ids, **kwargs)


def citation_styles() -> list[str]:
    return list(library_value("citation", "STYLES", []))


def citation_formats() -> list[str]:
    return list(library_value("citation", "FORMATS", []))


def format_citation(record: dict, style: str, archive_name: str | None = None) -> str:
    func = library_function("citation", "format_citation", "Formatted citations")
    return func(record, style, archive_name=archive_name)


def render_citation(record: dict, fmt: str, archive_name: str | None = None) -> str:
    return library_function("citation", "render", "Citation export")(record, fmt, archive_name=archive_name)


def citation_suffix(fmt: str) -> str:
    return dict(library_value("citation", "SUFFIXES", {})).get(fmt, ".txt")
