"""References written for a person to read in one cell: a catalogue CSV, a spreadsheet."""

from __future__ import annotations


def references_text(refs: list[dict]) -> str:
    """ "The Daily Beast (publication); Maria Zakharova (person, unconfirmed)".

    Each reference shows its kind, so a reader tells the paper from the person; one still awaiting
    the archivist's check says so, since a proposal is not yet part of the catalogue's word. A
    reference without the ``confirmed`` key came from a sidecar or an edit and counts as confirmed.
    """
    parts = []
    for ref in refs:
        details = [ref.get("kind") or "source"]
        if ref.get("confirmed", True) is False:
            details.append("unconfirmed")
        parts.append(f"{ref['name']} ({', '.join(details)})")
    return "; ".join(parts)
