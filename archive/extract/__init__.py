"""Metadata extraction from the source itself, so archivists check metadata instead of typing it.

``extract(path)`` returns the record fields found in a file and which fields they are, so the
record's provenance can mark them as extracted (guessed) rather than typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Extraction:
    """Fields found in a source, and any derived text to keep beside it (HTML's main text)."""

    fields: dict = field(default_factory=dict)
    derived_text: str | None = None

    @property
    def extracted(self) -> list[str]:
        return sorted(self.fields)


def extract(path: Path) -> Extraction:
    """Plain text carries no metadata of its own; other formats register readers here."""
    return Extraction()
