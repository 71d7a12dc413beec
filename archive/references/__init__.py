"""The sources an article cites, detected in its text for an archivist to confirm.

``detect_references`` is loaded on first use (PEP 562): the detector compiles some 70 patterns
when imported, and most importers of this package want only ``listing`` (the export's references
column), which needs none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.references.detect import detect_references

__all__ = ["detect_references"]


def __getattr__(name: str) -> Any:
    if name != "detect_references":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from archive.references.detect import detect_references

    globals()[name] = detect_references
    return detect_references
