"""Creators as the catalogue writes them: ``Family, Given`` for a person, the name for an organisation.

The one place that form is made and read, so the table, search, bag-info's Creator lines and the
citations all show a name the same way, and the CLI's ``--creator`` reads back what they show.
"""

from __future__ import annotations

from typing import Any


def format_creator(creator: dict[str, Any]) -> str:
    """``Family, Given`` for a person (``Family`` alone without a given name), the literal for an
    organisation. A creator the schema would refuse gets no fallback beyond an empty family: the
    store names a shard whose creators have the wrong shape as damaged instead."""
    if "literal" in creator:
        return creator["literal"]
    given = creator.get("given")
    family = creator.get("family", "")
    return f"{family}, {given}" if given else family


def parse_creator(text: str) -> dict[str, str]:
    """``"Family, Given"`` as a person; a name without a comma as a literal (an organisation)."""
    family, comma, given = text.partition(",")
    if comma:
        creator = {"family": family.strip()}
        if given.strip():
            creator["given"] = given.strip()
        return creator
    return {"literal": text.strip()}
