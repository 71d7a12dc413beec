"""The one door for what comes from outside: names, record fields and whole records.

A bag's record.json, a ``--meta`` sidecar, Markdown front matter, fields extracted from HTML and
archive.toml are all written by someone else. Anything taken from them that becomes a file name
goes through ``safe_basename`` (one path component, nothing that can climb, hide or break a
manifest line), and every place that writes under a folder it was given proves the final path
with ``path_inside``. Fields the archive alone maintains (ids, status, bags, fixity, provenance
stamps) are refused at this door, so no other module has to remember which fields those are.
"""

from __future__ import annotations

import copy
import math
import os
import unicodedata
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError, ValidationError
from archive.source_files import set_problems

MAX_NAME_BYTES = 200
MAX_DEPTH = 32
"""Record documents are a few levels deep; anything deeper is hostile (JSON nested 100k deep)."""

PROTECTED_FIELDS = frozenset({
    "id", "uuid", "revision", "serial", "created_at", "updated_at", "source", "bags", "status",
    "deaccession", "last_fixity",
})
"""Fields only the archive's own commands set: add/ingest (ids, source), bag, verify, deaccession."""

PROTECTED_PROVENANCE = frozenset({"catalogued_by", "catalogued_at", "extracted_fields"})
"""Provenance the archive stamps itself; acquisition, source organisation and notes may be given."""


class UnsafePathError(ArchiveError):
    """A path from outside would land outside the folder it was meant for."""


def _dropped(char: str) -> bool:
    """Characters never kept in a file name: controls (C0, C1, U+0085), line and paragraph
    separators (U+2028, U+2029), and invisible format characters such as bidi overrides, which
    break manifest lines or make one name look like another."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


def safe_basename(name: str, *, fallback: str = "file", max_bytes: int = MAX_NAME_BYTES) -> str:
    """``name`` reduced to one safe path component, or ``fallback`` when nothing usable is left.

    The last component after ``/`` or ``\\`` is kept, NFC-normalised, with dropped characters
    removed and surrounding white space trimmed; leading dots and dashes go (no hidden files, no
    names that read as options, no ``..``), and the UTF-8 length is bounded, keeping the extension.
    """
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    if not base.isprintable():  # printable means none of the dropped categories: skip the slow walk
        base = "".join(c for c in base if not _dropped(c))
    trimmed = base.strip().lstrip(".-")
    while trimmed != base:  # ". - name" needs more than one pass to lose its leading dash
        base, trimmed = trimmed, trimmed.strip().lstrip(".-")
    if not base:
        base = fallback
    if len(base.encode("utf-8")) > max_bytes:  # cut at once first: a 1 MB name must not take minutes
        stem, dot, ext = base.rpartition(".")
        base = stem[:max_bytes] + dot + ext if dot and stem and len(ext) < 16 else base[:max_bytes]
    while len(base.encode("utf-8")) > max_bytes:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:-1] + dot + ext) if dot and stem and len(ext) < 16 else base[:-1]
    return base.strip() or fallback  # a cut can end on white space; the result is idempotent


def is_safe_basename(name: object) -> bool:
    """True when ``name`` is already a safe basename (nothing would be changed or dropped)."""
    return isinstance(name, str) and bool(name) and safe_basename(name, fallback="") == name


def path_inside(folder: Path, *parts: str) -> Path:
    """``folder / parts`` after proving it resolves inside ``folder`` (symlinks followed).

    Every writer calls this on its final path, so a name that slipped past ``safe_basename`` (or a
    symlink planted in the tree) still cannot carry a write out of its folder.
    """
    base = Path(os.path.realpath(folder))
    target = Path(os.path.realpath(Path(folder).joinpath(*parts)))
    if target == base or base not in target.parents:
        shown = "/".join(parts)
        raise UnsafePathError(f"{shown!r}: would be written outside {folder}; refused")
    return Path(folder).joinpath(*parts)


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests (lists and objects), counting no further than ``limit + 1``.

    Iterative, so a hostile document nested 100,000 levels deep cannot exhaust the stack.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


def protected_problems(fields: dict[str, Any]) -> list[str]:
    """One ``path: reason`` line for each field in ``fields`` that only the archive may set."""
    found = [f"{name}: is set by the archive and cannot be given" for name in sorted(fields)
             if name in PROTECTED_FIELDS]
    provenance = fields.get("provenance")
    if isinstance(provenance, dict):
        found += [f"provenance.{name}: is set by the archive and cannot be given"
                  for name in sorted(provenance) if name in PROTECTED_PROVENANCE]
    return found


TRIMMED_FIELDS = ("title", "subtitle", "container_title", "publisher", "section")
TRIMMED_NAMES = ("family", "given", "literal")


def _trim(fields: dict[str, Any]) -> None:
    """Titles and names without surrounding white space: '  Title ' and 'Title' are one title,
    and a title of only spaces becomes empty, which the schema then refuses by name."""
    for key in TRIMMED_FIELDS:
        if isinstance(fields.get(key), str):
            fields[key] = fields[key].strip()
    creators = fields.get("creators")
    for creator in creators if isinstance(creators, list) else []:
        if isinstance(creator, dict):
            for key in TRIMMED_NAMES:
                if isinstance(creator.get(key), str):
                    creator[key] = creator[key].strip()


def _shape_problem(data: dict[str, Any]) -> str | None:
    """What JSON Schema cannot say about a value from YAML or Python: a key that is not a
    string, a lone surrogate (orjson cannot store it), a float that is not a number."""
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    return f"field name {key!r} is not text"
                stack += [key, value]
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return "holds text that is not valid Unicode (a lone surrogate)"
        elif isinstance(node, float) and not math.isfinite(node):
            return "holds a number that is not finite"
    return None


def fields_from_outside(data: Any, origin: str) -> dict[str, Any]:
    """Record fields given by a person or a file (``--meta``, front matter, a sidecar, a form).

    Returns a trimmed copy, or raises ``ValidationError`` naming every field that is protected,
    of the wrong shape for the schema, or nested beyond reason. ``origin`` names the file or
    option in each message so the archivist knows where to look; an empty ``origin`` (the
    command line, where the option is in plain sight) gives the bare ``field: reason`` lines.
    """
    from archive import schema  # schema pulls in jsonschema; keep it off the import path of `list`

    prefix = f"{origin}: " if origin else ""
    if not isinstance(data, dict):
        raise ValidationError([f"{prefix}must hold an object of record fields"])
    if depth(data) > MAX_DEPTH:
        raise ValidationError([f"{prefix}nested more than {MAX_DEPTH} levels deep"])
    shape = _shape_problem(data)
    if shape is not None:
        raise ValidationError([f"{prefix}{shape}"])
    fields = copy.deepcopy(data)
    _trim(fields)
    problems = protected_problems(fields)
    problems += schema.partial_problems(fields)  # every fault but the fields not given here
    if problems:
        raise ValidationError([f"{prefix}{line}" for line in problems])
    return fields


def source_name_problems(source: Any) -> list[str]:
    """Every file name of a source set that is not a safe basename, and what the schema cannot say
    about the set (``source_files.set_problems``: one original, unique names), as lines."""
    if not isinstance(source, dict):
        return []
    problems = [f"source.{key}: {source[key]!r} is not a plain file name"
                for key in ("filename", "text_filename")
                if key in source and not is_safe_basename(source[key])]
    entries = source.get("files")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        name = entry.get("filename") if isinstance(entry, dict) else None
        if name is not None and not is_safe_basename(name):
            problems.append(f"source.files[{i}].filename: {name!r} is not a plain file name")
    return problems + set_problems(source)


def record_from_outside(data: Any, origin: str) -> dict[str, Any]:
    """A whole record made elsewhere (a bag's record.json), checked and made safe to take in.

    The record must be valid against the schema as it stands. Its file names are then reduced to
    safe basenames (a name that changes is refused, since the bag's manifests name the original),
    and everything the archive maintains for itself (bags, status, deaccession, fixity) is dropped:
    the taking-in command sets those anew.
    """
    from archive import schema

    if not isinstance(data, dict):
        raise ValidationError([f"{origin}: not a JSON object"])
    if depth(data) > MAX_DEPTH:
        raise ValidationError([f"{origin}: nested more than {MAX_DEPTH} levels deep"])
    record = copy.deepcopy(data)
    problems = [f"{origin}: {line}" for line in schema.problems(record)]
    problems += [f"{origin}: {line}" for line in source_name_problems(record.get("source"))]
    if problems:
        raise ValidationError(problems)
    for name in ("bags", "status", "deaccession", "last_fixity"):
        record.pop(name, None)
    return record


def stored_record_problems(data: Any) -> list[str]:
    """What makes ``data`` unfit to be written into a catalogue exactly as it is (a record of a
    catalogue snapshot read from a replica, for a restore), as ``path: reason`` lines.

    Unlike ``record_from_outside`` nothing is dropped: the archive's own fields (bags, status,
    fixity) are the point of a restore. So they are checked too: the id must be an accession
    number, and each bag's path exactly ``bags/<id>/v<version>`` (the schema's pattern alone lets
    ``bags/../v1`` through), one entry per version; file names must be safe basenames.
    """
    from archive import schema
    from archive.ids import is_id

    if not isinstance(data, dict):
        return ["(record): not a JSON object"]
    if depth(data) > MAX_DEPTH:
        return [f"(record): nested more than {MAX_DEPTH} levels deep"]
    problems = schema.problems(data) + source_name_problems(data.get("source"))
    if problems:
        return problems
    if not is_id(data["id"]):
        return [f"id: {str(data['id'])[:40]!r} is not an accession number"]
    seen: set[int] = set()
    for i, bag in enumerate(data.get("bags") or []):
        if bag["path"] != f"bags/{data['id']}/v{bag['version']}" or bag["version"] in seen:
            problems.append(f"bags[{i}].path: {bag['path'][:60]!r} is not "
                            f"bags/{data['id']}/v{bag['version']} or repeats a version")
        seen.add(bag["version"])
    return problems
