"""How catalogue values read on screen: fixity marks, creator names, short dates.

Kept apart from the widgets so the table, the detail pane and the tests agree on one wording.
"""

from __future__ import annotations

from typing import Any

from archive.creators import format_creator
from archive.replicas.status import row_copies

FIXITY_MARKS = {"success": "✓", "failure": "✗", "warning": "!"}
"""Marks, so a failing check reads without colour; the failing one is also bold in the error colour."""
"""A failing check must stand out without colour, so every outcome carries its own mark."""

STATUSES = ("draft", "catalogued", "bagged", "deposited", "deaccessioned")


def fixity_label(row: dict[str, Any]) -> str:
    """Mark plus date of the last check; 'not checked' for a bag never verified, blank unbagged.

    A fast check reads no file contents, so its result says 'fast' (``✓ fast 2026-11-29``): a
    plain ``✓`` always means every file was re-hashed.
    """
    outcome = row.get("fixity_outcome") or ""
    if outcome:
        mark = FIXITY_MARKS.get(outcome, "?")
        fast = " fast" if row.get("fixity_mode") == "fast" else ""
        return f"{mark}{fast} {str(row.get('fixity_at', ''))[:10]}"
    if row.get("bag_version"):
        return "· not checked"
    return ""


def fixity_kind(row: dict[str, Any]) -> str:
    """The style name for a row's fixity cell: ok, fail, warn or plain."""
    kinds = {"success": "ok", "failure": "fail", "warning": "warn"}
    return kinds.get(row.get("fixity_outcome") or "", "plain")


def copies_cell(row: dict[str, Any], settings: Any) -> tuple[str, str]:
    """A row's good copies against min_copies (``2/2``) and its style kind: ``short`` with a
    ``!`` mark when fewer than min_copies (so it reads without colour), '' for a record never bagged."""
    if not row.get("bag_version"):
        return "", "plain"
    good, short = row_copies(row, settings)
    text = f"{good}/{settings.min_copies}"
    return (f"! {text}", "short") if short else (text, "plain")


def copy_cell(copy: Any) -> tuple[str, str]:
    """One copy as a cell and its style kind: the check's mark and date (``fast`` when it read no
    contents), ``· not checked``, or what is missing; a mark on each, so none relies on colour."""
    if copy.versions < copy.of:
        return ("– not copied" if not copy.versions else f"– {copy.versions}/{copy.of} versions"), "warn"
    if copy.outcome:
        fast = " fast" if copy.fast else ""
        kind = {"success": "ok", "failure": "fail"}.get(copy.outcome, "warn")
        return f"{FIXITY_MARKS.get(copy.outcome, '?')}{fast} {copy.last_checked[:10]}", kind
    return "· not checked", "plain"


def creator_name(creator: dict[str, Any]) -> str:
    """'Family, Given' for people, the literal for organisations, as the catalogue prints them."""
    return str(format_creator(creator))


def human_size(size: int | None) -> str:
    """Bytes as an archivist reads them at a glance."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
