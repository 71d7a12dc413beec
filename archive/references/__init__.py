"""The sources an article cites, detected in its text for an archivist to confirm."""

from __future__ import annotations

from archive.references.detect import detect_references

__all__ = ["detect_references"]
