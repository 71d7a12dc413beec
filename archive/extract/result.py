"""What an extractor returns, in a module of its own so every reader can import it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Extraction:
    """Fields found in a source, and any derived text to keep beside it (HTML's main text)."""

    fields: dict = field(default_factory=dict)
    derived_text: str | None = None
    warnings: list[str] = field(default_factory=list)
    """What the source offered that was not used (a front-matter key), one line each."""
    guessed: set[str] = field(default_factory=set)
    """Fields the extractor inferred rather than read from a statement in the source (an HTML
    page's ``type`` when the page names no specific kind), so the archive's own rules may
    replace them (see ``archive.record_type``)."""

    @property
    def extracted(self) -> list[str]:
        """Record fields the extractor filled; provenance notes are about the extraction itself."""
        return sorted(name for name in self.fields if name != "provenance")
