"""A one-line citation in plain text without a CSL engine, for bag-info.txt's Citation label.

citeproc-js (``format_citation``) takes a few milliseconds per entry even with its style built,
and a second or more to build APA's; on a thousand bags that is more than bagit.make_bag itself.
The label needs one readable line in a fixed author-date order, not a choice of styles, so it
stays here; styled citations come from citeproc-js.
"""

from __future__ import annotations

from archive.citation.csl import to_csl_json


def _names(item: dict) -> str:
    names = []
    for person in item.get("author") or []:
        if "literal" in person:
            names.append(person["literal"])
        else:
            given = person.get("given", "")
            initials = " ".join(f"{part[0]}." for part in given.split() if part)
            names.append(f"{person.get('family', '')}, {initials}".rstrip(", "))
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return names[0] if names else ""


def _year(item: dict) -> str:
    parts = (item.get("issued") or {}).get("date-parts") or [[]]
    return str(parts[0][0]) if parts and parts[0] else "n.d."


def _carry_archived_copy(text: str, record: dict, item: dict) -> str:
    """Append the archived URL and the bag's location, which the label must always carry."""
    archived = record.get("archived_url")
    if archived and archived not in text:
        text = f"{text} Archived at {archived}."
    location = item.get("archive_location")
    if location and location not in text:
        where = ", ".join(v for v in (item.get("archive"), location) if v)
        text = f"{text} Preserved copy: {where}."
    return text


def plain_citation(record: dict, *, archive_name: str | None = None) -> str:
    """``Author (Year) 'Title', Publication. Available at: URL. Preserved copy: Archive, ID, bag vN.``"""
    item = to_csl_json(record, archive_name=archive_name)
    who = _names(item)
    title = f"'{item.get('title', '')}'"
    text = f"{who} ({_year(item)}) {title}" if who else f"{title} ({_year(item)})"
    if item.get("container-title"):
        text += f", {item['container-title']}"
    text += "."
    if item.get("URL"):
        text += f" Available at: {item['URL']}."
    return _carry_archived_copy(text, record, item)
