"""A record's source as a set of files with roles: the one reading of ``record.source``.

A source is the original as received (``original``), and beside it the text a reader sees
(``text``, HTML's extracted main text), a web capture's WARC (``warc``) and what a page needs to be
replayed (``requisite``). Records since the multi-file source list every file in ``source.files``
with its size and digests; the top-level ``source`` fields still describe the original, so every
record and bag written before stays valid unchanged. Older records have no ``files``: their set is
derived here (the original from the top level, ``text_filename`` as the text, digests unknown).
The original is always read from the top level, the one place every record has it; ``files``
repeats it so record.json describes the whole set by itself, and ``set_problems`` holds the two
equal for every record taken in.

Bagging, verify, ingest, ``show`` and the TUI ask ``files_of`` for the set; none reads
``filename`` or ``text_filename`` to find the files. A new role is one more name in ``ROLES`` and
in the schema's enum; every reader then carries, bags and checks it with no other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ORIGINAL, TEXT, WARC, REQUISITE = "original", "text", "warc", "requisite"
ROLES = (ORIGINAL, TEXT, WARC, REQUISITE)
"""In the order a set lists them; the schema's ``source.files[].role`` enum is the same list."""
TEXT_ROLES = (ORIGINAL, TEXT)
"""Roles held to the text rules (UTF-8 or a declared charset, no binary); the others are bytes."""
DIGESTS = ("sha256", "sha512")
PARTIAL_SUFFIX = ".partial"
"""A name ending so would be taken for a half-copied file (``archive.leftovers``)."""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of a source; ``size`` None and empty digests mean unknown (an old record's text)."""

    role: str
    filename: str
    media_type: str = ""
    size: int | None = None
    sha256: str = ""
    sha512: str = ""
    encoding: str = ""

    @property
    def digests(self) -> dict[str, str]:
        """The known digests by algorithm; empty when the record holds none for this file."""
        return {name: value for name, value in (("sha256", self.sha256), ("sha512", self.sha512)) if value}

    def as_field(self) -> dict[str, Any]:
        """The ``source.files[]`` entry as the record stores it."""
        entry: dict[str, Any] = {"role": self.role, "filename": self.filename, "media_type": self.media_type,
                                 "size": self.size, "sha256": self.sha256, "sha512": self.sha512}
        if self.encoding:
            entry["encoding"] = self.encoding
        return entry

    def label(self) -> str:
        """``name (role)``, as problems and messages name a file."""
        return f"{self.filename} ({self.role})"


def _from_entry(entry: dict[str, Any]) -> SourceFile:
    size = entry.get("size")
    return SourceFile(
        role=str(entry.get("role", "")), filename=str(entry.get("filename", "")),
        media_type=str(entry.get("media_type", "")),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        sha256=str(entry.get("sha256") or ""), sha512=str(entry.get("sha512") or ""),
        encoding=str(entry.get("encoding") or ""),
    )


def files_of(record: dict[str, Any]) -> list[SourceFile]:
    """Every file of the record's source with its role, the original first; [] with no source."""
    source = record.get("source")
    if not isinstance(source, dict) or not source.get("filename"):
        return []
    files = [original_from_top(source)]
    entries = source.get("files")
    if isinstance(entries, list):
        others = [_from_entry(e) for e in entries if isinstance(e, dict) and e.get("role") != ORIGINAL]
        return files + sorted(others, key=lambda f: ROLES.index(f.role) if f.role in ROLES else len(ROLES))
    if source.get("text_filename"):
        files.append(SourceFile(TEXT, str(source["text_filename"]), "text/plain", encoding="utf-8"))
    return files


def original_from_top(source: dict[str, Any]) -> SourceFile:
    """The original as the top-level ``source`` fields describe it."""
    return _from_entry({**source, "role": ORIGINAL})


def original_of(record: dict[str, Any]) -> SourceFile | None:
    return next((f for f in files_of(record) if f.role == ORIGINAL), None)


def reading_file(record: dict[str, Any]) -> SourceFile | None:
    """The file a reader sees: the extracted text when there is one, else the original."""
    files = files_of(record)
    return next((f for f in files if f.role == TEXT), None) or next(
        (f for f in files if f.role == ORIGINAL), None)


def set_problems(source: Any, where: str = "source") -> list[str]:
    """What the schema cannot say about ``source.files``, one ``path: reason`` line each.

    Exactly one original, equal to the top-level fields (which keep describing it for readers that
    predate ``files``); file names unique, also ignoring case (one folder holds them, and some
    file systems fold case); no name a half-copied file would have; ``text_filename``, if still
    given, naming the file of role ``text``. Names' safety is ``untrusted``'s check, the schema's
    pattern its first line.
    """
    if not isinstance(source, dict) or not isinstance(source.get("files"), list):
        return []
    entries = [e for e in source["files"] if isinstance(e, dict)]
    problems: list[str] = []
    originals = [i for i, e in enumerate(entries) if e.get("role") == ORIGINAL]
    if len(originals) != 1:
        problems.append(f"{where}.files: must list exactly one file of role original, "
                        f"not {len(originals)}")
    else:
        entry = entries[originals[0]]
        differ = [key for key in ("filename", "media_type", "size", *DIGESTS)
                  if entry.get(key) != source.get(key)]
        if differ:
            problems.append(f"{where}.files[{originals[0]}]: its {', '.join(differ)} differ(s) from "
                            f"{where}'s own, which describe the original")
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        name = entry.get("filename")
        if not isinstance(name, str):
            continue
        if name.casefold() in seen:
            problems.append(f"{where}.files[{i}].filename: {name!r} is already the name of "
                            f"files[{seen[name.casefold()]}]")
        seen.setdefault(name.casefold(), i)
        if name.endswith(PARTIAL_SUFFIX):
            problems.append(f"{where}.files[{i}].filename: {name!r} ends in {PARTIAL_SUFFIX}, "
                            "the mark of a half-copied file")
    text_name = source.get("text_filename")
    if text_name is not None and not any(e.get("role") == TEXT and e.get("filename") == text_name
                                         for e in entries):
        problems.append(f"{where}.text_filename: {text_name!r} is not the file of role text in "
                        f"{where}.files")
    return problems
