"""Small readers shared by every citation format, so each format maps the record the same way."""

from __future__ import annotations

PERSON_ROLES = ("author", "editor", "translator")


def creators(record: dict, role: str) -> list[dict]:
    """Creators with one role, in credit order; a creator without a role is an author."""
    return [c for c in record.get("creators") or [] if c.get("role", "author") == role]


def date_parts(value: str | None) -> list[int] | None:
    """``"2016-12"`` as ``[2016, 12]``; ``None`` when there is no usable date."""
    if not value:
        return None
    try:
        return [int(p) for p in value.split("-")[:3]]
    except ValueError:
        return None


def full_title(record: dict) -> str:
    """Title and subtitle joined the way style guides join them."""
    title = record.get("title", "")
    subtitle = record.get("subtitle")
    if not subtitle:
        return title
    joiner = " " if title.rstrip().endswith(("?", "!", ":", ".")) else ": "
    return f"{title.rstrip()}{joiner}{subtitle}"


def identifier(record: dict, scheme: str) -> str | None:
    """The first identifier in a scheme (doi, issn, ...), if the record has one."""
    for item in record.get("identifiers") or []:
        if item.get("scheme") == scheme:
            return item.get("value")
    return None


def latest_bag(record: dict) -> dict | None:
    """The newest bag: the copy a citation should point to."""
    bags = record.get("bags") or []
    return max(bags, key=lambda b: b.get("version", 0)) if bags else None


def archive_location(record: dict) -> str | None:
    """Where in the archive the preserved copy lies: the accession number and bag version."""
    bag = latest_bag(record)
    if bag is None:
        return None
    return f"{record['id']}, bag v{bag['version']}"
