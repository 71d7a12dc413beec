"""Cataloguing: add, import, edit, deaccession, list, search and show records.

Every function takes an open ``Archive`` and goes through the store's transactions, so the CLI,
the TUI and the tests share one path to disk and one set of checks.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from archive.clock import now_utc
from archive.errors import (
    ArchiveError,
    DuplicateSourceError,
    SourceFileError,
    ValidationError,
)
from archive.extract import extract  # light (the HTML extractor loads on first use); tests replace it here
from archive.ids import format_id
from archive.source_files import (
    ORIGINAL,
    REQUISITE,
    TEXT,
    TEXT_ROLES,
    WARC,
    SourceFile,
    original_of,
    reading_file,
    set_problems,
)
from archive.store.atomic import fsync_dir
from archive.untrusted import (
    PROTECTED_FIELDS,
    PROTECTED_PROVENANCE,
    fields_from_outside,
    path_inside,
    protected_problems,
)

if TYPE_CHECKING:
    from archive.layout import Archive
    from archive.progress import Cancel, Progress

# Start-up: list, show and search use only the reading functions at the end of this module, so
# what adding, importing and editing need (the schema, source checks, events, the bag path rules)
# is imported inside the functions that use it (tests/test_startup_imports.py).

READ_ONLY_FIELDS = tuple(sorted(PROTECTED_FIELDS))
"""Fields only the archive's own commands set (``archive.untrusted`` is where they are decided)."""
IMPORT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
IMPORT_BATCH = 256
_MEDIA_TYPE_RE = re.compile(r"[a-z]+/[a-z0-9.+-]+")


# ----- building records ----------------------------------------------------------------------
def load_meta_file(path: Path) -> dict[str, Any]:
    """Record fields from a JSON file, with a one-line error when it is not usable."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read ({exc.strerror})") from None
    except orjson.JSONDecodeError as exc:
        raise ArchiveError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ArchiveError(f"{path}: must hold a JSON object of record fields")
    return data


def title_from_filename(path: Path) -> str:
    """A readable stand-in title when none was given: 'ankara-shooting.txt' -> 'Ankara shooting'."""
    stem = path.stem.replace("_", " ").replace("-", " ").strip()
    return (stem[:1].upper() + stem[1:]) if stem else "Untitled"


DEFAULT_MEDIA_TYPES = {TEXT: "text/plain", WARC: "application/warc", REQUISITE: "application/octet-stream"}


@dataclass
class SourcePart:
    """One more file of a source beside the original: a ``text`` (a file, or ``data`` in memory),
    a ``warc`` or a ``requisite`` (any bytes). ``filename`` is its name in sources/<id>/ and the
    bag (default: the file's own), made a safe basename."""

    role: str
    path: Path | None = None
    data: bytes | None = None
    filename: str = ""
    media_type: str = ""

    def name(self) -> str:
        from archive.sources import safe_filename

        return safe_filename(self.filename or (self.path.name if self.path else f"{self.role}.bin"))


@dataclass
class NewArticle:
    """What an archivist supplies for one article: the file, and fields typed or from a sidecar."""

    path: Path
    fields: dict[str, Any] = field(default_factory=dict)
    allow_duplicate: bool = False
    detect_references: bool = False
    origin: str = ""
    """Where ``fields`` came from (a sidecar's name), for messages; empty for typed options."""
    warnings: list[str] = field(default_factory=list)
    """Filled by ``add_articles``: what the extractor read but did not use (front-matter keys)."""
    filename: str = ""
    """The original's name in the archive (default: ``path``'s own); it decides the media type."""
    extra: list[SourcePart] = field(default_factory=list)
    """The source's other files (a WARC, requisites, a text the caller extracted itself)."""
    charset: str | None = None
    """An HTML original's encoding as its transport determined it (web capture), used instead
    of its ``<meta>`` tag by the text check and the extractor."""
    event_detail: str = ""
    """The capture event's detail (default: the file it was taken from)."""
    event_facts: dict[str, Any] = field(default_factory=dict)
    """More facts for the capture event's outcome detail (a web capture's URL, time, WARC)."""


def _protect(fields: Any, origin: str = "") -> dict[str, Any]:
    """Given fields through the one door for outside input: protected fields refused,
    schema-checked, titles and names trimmed. Returns the checked copy."""
    return fields_from_outside(fields, origin)


def _build_record(arc: Archive, article: NewArticle, sequence: int) -> tuple[dict, Any]:
    """Check the file and the fields and assemble the record; writes nothing.

    Typed fields, sidecars and what an extractor found in the file (front matter, HTML
    metadata) all pass ``fields_from_outside``: none can set the status, ids, bags or the
    provenance stamps, which are set here and nowhere else.
    """
    from archive import schema
    from archive.events import current_user
    from archive.record_type import DEFAULT_TYPE, settle_type
    from archive.sources import take_in

    info = take_in(article.path, None, filename=article.filename or None, charset=article.charset)
    given = _protect(article.fields, article.origin)
    extraction = extract(article.path, charset=article.charset)
    unless_typed = {k: v for k, v in extraction.fields.items() if k not in given or k == "provenance"}
    found = _protect(unless_typed, article.path.name)  # what is typed replaces what was found
    record: dict[str, Any] = {}
    record.update(found)
    record.update(given)
    typed_provenance = dict(given.get("provenance") or {})
    extracted = [n for n in extraction.extracted if n not in given]
    stated = "type" in given or ("type" in found and "type" not in extraction.guessed)
    kind = settle_type(record, stated=stated)
    if kind != record.get("type", DEFAULT_TYPE):
        extracted.append("type")  # the archive inferred it from the publication: an archivist checks it
    record["type"] = kind
    if "title" not in record:
        record["title"] = title_from_filename(article.path)
        extracted.append("title")
    if article.detect_references and "references" not in given:
        from archive.references import detect_references  # compiles its patterns: only when asked

        text = extraction.derived_text or article.path.read_text(encoding="utf-8-sig")
        record["references"] = detect_references(text)  # each confirmed: false until checked
        extracted.append("references")
    provenance = {  # the stamps cannot be overridden: the door above refused them in given/found
        "catalogued_by": current_user(),
        "catalogued_at": now_utc(),
        **(found.get("provenance") or {}),
        **typed_provenance,
    }
    found_notes = (found.get("provenance") or {}).get("notes")
    if found_notes and typed_provenance.get("notes") and found_notes not in typed_provenance["notes"]:
        # both kept: what the caller says (a capture's notes) and what the extractor noticed
        provenance["notes"] = f"{typed_provenance['notes']} {found_notes}"[:100000]
    if extracted:
        provenance["extracted_fields"] = sorted(set(extracted))
    record["provenance"] = provenance
    record["id"] = format_id(arc.settings.id_prefix, sequence)
    record["uuid"] = str(uuid.uuid4())
    record["status"] = "catalogued"
    record["revision"] = 1
    record["created_at"] = record["updated_at"] = now_utc()
    parts = _planned_parts(info, article, extraction)
    record["source"] = _source_field(info, parts)
    schema.validate(record)
    return record, (info, extraction, parts)


def _text_part(info: Any, article: NewArticle, extraction: Any) -> SourcePart | None:
    """The text a reader sees: the caller's, else what the extractor derived from HTML."""
    given = [part for part in article.extra if part.role == TEXT]
    if given:
        return given[0]
    if extraction.derived_text is None:
        return None
    return SourcePart(TEXT, data=extraction.derived_text.encode("utf-8"),
                      filename=Path(info.filename).stem + ".extracted.txt")


def _planned_parts(info: Any, article: NewArticle, extraction: Any) -> list[SourcePart]:
    """The files beside the original, in role order, each checked before any id is reserved."""
    from archive.bagit_format.paths import payload_name
    from archive.sources import check_file, take_in

    text = _text_part(info, article, extraction)
    parts = ([text] if text else []) + [p for p in article.extra if p.role not in (ORIGINAL, TEXT)]
    for part in article.extra:
        if part.role not in (TEXT, WARC, REQUISITE):
            raise SourceFileError(f"{article.path}: a source file beside the original has role "
                                  f"{part.role!r}; expected text, warc or requisite")
    if sum(part.role == TEXT for part in article.extra) > 1:
        raise SourceFileError(f"{article.path}: a source has one extracted text, not several")
    for part in parts:
        if (part.path is None) == (part.data is None):
            raise SourceFileError(f"{article.path}: the {part.role} file needs a path or data, not both")
        if part.path is not None:
            label = f"{part.path} ({part.role})"
            if part.role in TEXT_ROLES:
                take_in(part.path, None, label=label)
            else:
                check_file(part.path, label)
    names = [info.filename, *(part.name() for part in parts)]
    taken: dict[str, str] = {}
    for name in names:
        key = payload_name(name).casefold()
        if key in taken:
            raise SourceFileError(f"{article.path}: two files of the source would be named {name!r} "
                                  f"(and {taken[key]!r}); give them distinct names")
        taken[key] = name
    return parts


def _source_field(info: Any, parts: list[SourcePart]) -> dict[str, Any]:
    """``source``: the original at the top level and every file of the set in ``files``. The
    files whose digests are known now are listed; a WARC's or requisite's are added as they are
    copied in (``_store_source``), in the one read that copies them."""
    source = info.as_field()
    original = SourceFile(ORIGINAL, info.filename, info.media_type, info.size, info.sha256, info.sha512,
                          info.encoding)
    files = [original.as_field()]
    for part in parts:
        if part.data is not None:
            entry = _in_memory_entry(part)
            files.append(entry)
            if part.role == TEXT:
                source["text_filename"] = entry["filename"]  # for readers that predate files
    source["files"] = files
    return source


def _in_memory_entry(part: SourcePart) -> dict[str, Any]:
    import hashlib

    data = part.data or b""
    return SourceFile(part.role, part.name(), part.media_type or DEFAULT_MEDIA_TYPES[part.role], len(data),
                      hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest(),
                      "utf-8" if part.role == TEXT else "").as_field()


def _store_source(arc: Archive, record: dict, article: NewArticle, parts: list[SourcePart]) -> None:
    """Copy every file of the source into sources/<id>/, the text ones checked again on the way.

    Called under the catalogue lock after ``clear_unclaimed_source``, so the folder holds nothing
    a killed run left. Each file becomes visible under its final name only when whole; a file
    copied from disk is hashed in the same read and its entry completed in ``source.files``.
    """
    from archive.sources import CopiedFile, copy_in, take_in

    folder = arc.source_dir(record["id"])
    source = record["source"]
    copied = take_in(article.path, path_inside(folder, source["filename"]), filename=source["filename"],
                     charset=article.charset)
    if copied.sha256 != source["sha256"]:
        raise SourceFileError(f"{article.path}: the file changed while it was being added")
    for part in parts:
        target = path_inside(folder, part.name())
        if part.data is not None:
            _write_whole(target, part.data, label=str(article.path))
            continue
        assert part.path is not None
        label = f"{part.path} ({part.role})"
        encoding = ""
        if part.role in TEXT_ROLES:
            info = take_in(part.path, target, label=label)
            facts, encoding = CopiedFile(info.size, info.sha256, info.sha512), info.encoding
        else:
            facts = copy_in(part.path, target, label=label)
        entry = SourceFile(part.role, part.name(), part.media_type or _guessed_type(part), facts.size,
                           facts.sha256, facts.sha512, encoding).as_field()
        source["files"].append(entry)
        if part.role == TEXT:
            source["text_filename"] = entry["filename"]
    problems = set_problems(source)
    if problems:
        raise ValidationError(problems)


def _guessed_type(part: SourcePart) -> str:
    """A requisite's media type from its name (an image, a stylesheet), else the role's default."""
    import mimetypes

    guessed = mimetypes.guess_type(part.name())[0] if part.role == REQUISITE else None
    return guessed if guessed and _MEDIA_TYPE_RE.fullmatch(guessed) else DEFAULT_MEDIA_TYPES[part.role]


def _write_whole(path: Path, data: bytes, *, label: str) -> None:
    """Write ``path`` under a ``.partial`` name, fsync, rename, fsync the folder.

    A kill leaves at most a ``.partial`` file (found by ``leftovers``), never a torn file under
    the final name.
    """
    from archive.leftovers import PARTIAL_SUFFIX

    tmp = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SourceFileError(
            f"{label}: cannot write its extracted text ({exc.strerror or exc}); nothing was added"
        ) from None


def _check_duplicate(arc: Archive, record: dict, article: NewArticle, seen: dict[str, str]) -> None:
    """Refuse bytes already catalogued (or twice in one batch) unless duplicates are allowed."""
    digest = record["source"]["sha256"]
    existing = arc.store.find_by_sha256(digest)
    if not article.allow_duplicate:
        if existing:
            raise DuplicateSourceError(
                f"{article.path.name}: the same text (sha256 {digest[:12]}…) is already {existing}; "
                "use --allow-duplicate to add it again",
                existing,
            )
        if digest in seen:
            raise DuplicateSourceError(
                f"{article.path.name}: the same text as {seen[digest]} in this batch; "
                "use --allow-duplicate to add both",
                seen[digest],
            )
    seen[digest] = article.path.name


def add_article(arc: Archive, article: NewArticle) -> dict:
    """Catalogue one file: validate everything, copy the text, write the record and its event."""
    return add_articles(arc, [article])[0]


def add_source_set(arc: Archive, original: Path, others: list[SourcePart],
                   fields: dict[str, Any] | None = None, *, filename: str = "", origin: str = "",
                   allow_duplicate: bool = False, detect_references: bool = False,
                   charset: str | None = None, event_detail: str = "",
                   event_facts: dict[str, Any] | None = None) -> dict:
    """Catalogue one source made of several files: ``original`` as received (text rules: UTF-8
    or the charset an HTML page declares) and ``others`` (a ``warc`` and ``requisite`` files of
    any bytes, or a ``text`` the caller extracted itself; for HTML without one, the extracted text
    is written as add does).

    The original's own name (``original``'s suffix, not ``filename``) decides how its metadata
    and text are extracted, as for add: a page should be spooled as ``*.html``.

    Web capture calls this. Everything is checked before an id is reserved; under the catalogue
    lock each file is copied in under a ``.partial`` name, hashed in the same read, and renamed
    whole; the record (every file in ``source.files`` with its size and digests) and its event
    are one transaction. Any failure, a killed process included, leaves the archive as it was
    (a killed run's folder is cleared by the next writer and reported by verify until then).
    ``charset`` is the page's encoding as its HTTP response determined it; ``event_detail`` and
    ``event_facts`` make the capture event name the capture (URL, time, WARC).
    """
    article = NewArticle(path=Path(original), fields=dict(fields or {}), allow_duplicate=allow_duplicate,
                         detect_references=detect_references, origin=origin, filename=filename,
                         extra=list(others), charset=charset, event_detail=event_detail,
                         event_facts=dict(event_facts or {}))
    return add_article(arc, article)


def add_articles(arc: Archive, articles: list[NewArticle]) -> list[dict]:
    """Catalogue several files in one transaction; the first failure aborts them all."""
    from archive.events import make_event
    from archive.leftovers import clear_unclaimed_source

    # Everything is checked before an id is reserved, so a refused file changes nothing.
    built = [_build_record(arc, a, 0) for a in articles]
    seen: dict[str, str] = {}
    for (record, _), article in zip(built, articles, strict=True):
        _check_duplicate(arc, record, article, seen)
    copied: list[str] = []
    # The lock is held around the transaction and the clean-up alike: a folder is removed only
    # while no other writer can have reserved its id, and only when no record owns it (a commit
    # that wrote some shards before failing keeps their sources).
    with arc.store.locked():
        try:
            with arc.store.transaction() as tx:
                sequences = tx.reserve_sequences(len(articles))
                for (record, (info, _, parts)), article, sequence in zip(
                    built, articles, sequences, strict=True
                ):
                    record["id"] = format_id(arc.settings.id_prefix, sequence)
                    # The id counter is saved only after a commit, so a killed run's folder for
                    # this id (its copy, its .partial files) may be waiting here.
                    clear_unclaimed_source(arc, record["id"])
                    copied.append(record["id"])
                    _store_source(arc, record, article, parts)
                    tx.insert(record)
                    tx.log(
                        make_event(
                            "cap", record["id"],
                            detail=article.event_detail
                            or f"source {info.filename} captured from {article.path.name}",
                            outcome_detail={"sha256": info.sha256, "sha512": info.sha512,
                                            "size": info.size, **article.event_facts},
                        )
                    )
        except BaseException:
            for record_id in copied:
                clear_unclaimed_source(arc, record_id)
            raise
    for (_, (_, extraction, _)), article in zip(built, articles, strict=True):
        article.warnings = list(extraction.warnings)
    return [arc.store.get(record["id"]) for record, _ in built]


# ----- import --------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """What an import did: the ids added, per file that failed why, and per file what it warned."""

    added: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    remaining: int = 0

    def summary(self) -> str:
        text = f"imported {len(self.added)} article(s), {len(self.failed)} failed"
        return text + (f"; cancelled with {self.remaining} not imported" if self.cancelled else "")


def failure_reason(path: Path, exc: Exception) -> str:
    """One line for a file that could not be added: the archive's own message, or for any other
    exception its class and message, so one file's surprise never hides what happened."""
    if isinstance(exc, ArchiveError):
        return str(exc)
    message = " ".join(str(exc).split())[:300]
    return f"{path.name}: could not be added ({type(exc).__name__}: {message})"


def import_candidates(folder: Path) -> list[Path]:
    """Article files in ``folder`` (not recursive), sorted for a stable order of ids."""
    if not folder.is_dir():
        raise ArchiveError(f"{folder} is not a folder")
    return sorted(
        p for p in folder.iterdir()
        if p.suffix.lower() in IMPORT_SUFFIXES and p.is_file() and not p.name.startswith(".")
    )


def _prepare_import(path: Path) -> NewArticle:
    sidecar = path.with_suffix(".json")
    fields = load_meta_file(sidecar) if sidecar.is_file() else {}
    return NewArticle(path=path, fields=fields)


def import_folder(
    arc: Archive,
    folder: Path,
    *,
    progress: Progress | None = None,
    allow_duplicate: bool = False,
    cancel: Cancel | None = None,
) -> ImportReport:
    """Import every article in a folder; a file that fails is reported and skipped.

    ``cancel`` is polled between batches: each batch is committed whole or not at all, so a
    cancelled import leaves every article either fully catalogued or untouched.
    """
    from archive.progress import Step, cancelled

    report = ImportReport()
    paths = import_candidates(folder)
    done = 0
    for start in range(0, len(paths), IMPORT_BATCH):
        batch = paths[start:start + IMPORT_BATCH]
        if cancelled(cancel):
            report.cancelled, report.remaining = True, len(paths) - done
            break
        good: list[NewArticle] = []
        for path in batch:
            try:
                article = _prepare_import(path)
                article.allow_duplicate = allow_duplicate
                good.append(article)
            except Exception as exc:  # one file's failure, whatever its class
                report.failed.append((path.name, failure_reason(path, exc)))
        _import_batch(arc, good, report)
        done += len(batch)
        if progress:
            progress(Step(done, len(paths)))
    return report


def _import_batch(arc: Archive, articles: list[NewArticle], report: ImportReport) -> None:
    """Add a batch at once; when one file is bad, fall back to one by one to isolate it.

    Any exception from a file (not only the archive's own errors) is that file's failure: one
    page that trips a bug in an extractor must not cost the other files their place.
    """
    if not articles:
        return
    try:
        records = add_articles(arc, articles)
    except Exception:  # isolated below, file by file
        pass
    else:
        for article, record in zip(articles, records, strict=True):
            _report_added(report, article, record)
        return
    for article in articles:
        try:
            _report_added(report, article, add_article(arc, article))
        except Exception as exc:  # one file's failure, whatever its class
            report.failed.append((article.path.name, failure_reason(article.path, exc)))


def _report_added(report: ImportReport, article: NewArticle, record: dict) -> None:
    report.added.append((article.path.name, record["id"]))
    report.warnings.extend((article.path.name, warning) for warning in article.warnings)


# ----- editing -------------------------------------------------------------------------------
PathPart = str | int
_PATH_RE = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[-?\d{1,9}\])*")
_SEGMENT_RE = re.compile(r"\.?([^.\[\]]+)|\[(-?\d{1,9})\]")


def split_path(text: str) -> list[PathPart]:
    """``creators[0].family`` as ``['creators', 0, 'family']``; ``[-1]`` is the last item.

    The whole text must be a path (names joined by dots, list items by ``[N]`` or ``[-N]``), so
    a typo such as ``creators[x]`` or ``creators..family`` is refused rather than half-read.
    """
    if not _PATH_RE.fullmatch(text):
        raise ArchiveError(f"{text!r} is not a field path such as title, creators[0].family "
                           "or creators[-1].family")
    return [int(index) if index else name for name, index in _SEGMENT_RE.findall(text)]


def _field_type(path: list[PathPart]) -> Any:
    from archive import schema

    node: Any = schema.schema_document()
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
            continue
        node = node.get("properties", {}).get(part)
        if node is None:
            return None
    return node.get("type")


def parse_assignment(text: str) -> tuple[list[PathPart], Any]:
    """``FIELD=VALUE`` with a dotted FIELD; the value is JSON unless the field holds a string."""
    name, eq, raw = text.partition("=")
    if not eq or not name.strip():
        raise ArchiveError(f"--set {text!r}: expected FIELD=VALUE")
    path = split_path(name.strip())
    if raw == "":
        return path, None
    if _field_type(path) == "string":
        return path, raw
    try:
        return path, orjson.loads(raw)
    except orjson.JSONDecodeError:
        return path, raw  # the schema check will say what type it wanted


def _item(node: list, index: int, where: str, *, may_append: bool) -> int:
    """The position ``index`` names in ``node``; negative counts from the end, as in Python."""
    position = index + len(node) if index < 0 else index
    if position < 0 or position > len(node) or (position == len(node) and not may_append):
        raise ValidationError([f"{where}: there is no item {index}"])
    return position


def _not_an_object(node: Any, where: str) -> ValidationError:
    if isinstance(node, list):
        return ValidationError([f"{where}: is a list; name an item, such as {where}[0] or {where}[-1]"])
    return ValidationError([f"{where}: is not an object"])


def _refuse_protected_path(path: list[PathPart]) -> None:
    from archive import schema

    where = schema.field_path(path[:2])
    if path[0] in PROTECTED_FIELDS:
        raise ValidationError([f"{path[0]}: is set by the archive and cannot be edited"])
    if path[0] == "provenance" and len(path) > 1 and path[1] in PROTECTED_PROVENANCE:
        raise ValidationError([f"{where}: is set by the archive and cannot be edited"])


def apply_assignment(record: dict, path: list[PathPart], value: Any) -> None:
    """Set (or with ``None`` remove) a possibly nested field; list items by index.

    ``[N]`` with N the length of the list appends; ``[-1]`` is the last item. Every way a path
    can miss the record (no such item, a name inside a list, an index into text) is one
    ``ValidationError`` line naming the part of the path that missed.
    """
    from archive import schema

    if not path or not isinstance(path[0], str):
        raise ValidationError([f"{schema.field_path(path)}: is not a field path"])
    _refuse_protected_path(path)
    node: Any = record
    for depth, (part, following) in enumerate(itertools.pairwise(path)):
        parent, where = schema.field_path(path[:depth]), schema.field_path(path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ValidationError([f"{parent}: is not a list"])
            node = node[_item(node, part, where, may_append=False)]
            continue
        if not isinstance(node, dict):
            raise _not_an_object(node, parent)
        child = node.get(part)
        if child is None:
            child = node[part] = [] if isinstance(following, int) else {}
        node = child
    last, parent = path[-1], schema.field_path(path[:-1])
    if isinstance(last, int):
        if not isinstance(node, list):
            raise ValidationError([f"{parent}: is not a list"])
        position = _item(node, last, schema.field_path(path), may_append=value is not None)
        if value is None:
            node.pop(position)
        elif position == len(node):
            node.append(value)
        else:
            node[position] = value
    elif not isinstance(node, dict):
        raise _not_an_object(node, parent)
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


def changed_fields(before: dict, after: dict) -> list[str]:
    keys = (set(before) | set(after)) - {"revision", "serial", "updated_at"}
    return sorted(k for k in keys if before.get(k) != after.get(k))


def _refuse_if_withdrawn(record: dict, force: bool) -> None:
    """A deaccessioned record stays as it was withdrawn unless the archivist insists."""
    if record.get("status") == "deaccessioned" and not force:
        raise ArchiveError(
            f"{record['id']} is deaccessioned; its record is kept as it was withdrawn "
            "(use --force to edit it anyway)"
        )


def _keep_protected(before: dict, record: dict) -> dict:
    """``record`` with every field the archive owns (and the provenance stamps) as stored in
    ``before``, in ``before``'s field order; ``revision`` is left to the caller (it carries the
    revision the edit was made from, for the stale-write check)."""
    for name in PROTECTED_FIELDS - {"revision"}:
        if name in before:
            record[name] = copy.deepcopy(before[name])
        else:
            record.pop(name, None)
    stored = before.get("provenance") or {}
    given = record.get("provenance") if isinstance(record.get("provenance"), dict) else {}
    provenance = {k: v for k, v in given.items() if k not in PROTECTED_PROVENANCE}
    provenance.update({k: copy.deepcopy(v) for k, v in stored.items() if k in PROTECTED_PROVENANCE})
    if provenance:
        record["provenance"] = {k: provenance[k] for k in stored if k in provenance} | provenance
    else:
        record.pop("provenance", None)
    return {k: record[k] for k in before if k in record} | record


def _check_touched(before: dict, record: dict, touched: set[str]) -> dict:
    """The top-level fields an edit touched, through the door for outside input (protected
    fields refused, schema-checked, titles and names trimmed), then the archive's own fields
    put back. Provenance stamps left as stored are not the archivist's doing and pass."""
    partial = {k: record[k] for k in sorted(touched) if k in record}
    provenance, stored = partial.get("provenance"), before.get("provenance") or {}
    if isinstance(provenance, dict):
        partial["provenance"] = {
            k: v for k, v in provenance.items()
            if not (k in PROTECTED_PROVENANCE and k in stored and stored[k] == v)
        }
    record.update(fields_from_outside(partial, ""))
    return _keep_protected(before, record)


def _planned_changes(assignments: Iterable[str], fields: Any) -> list[tuple[list[PathPart], Any]]:
    """Every change an edit asks for, parsed and checked before the catalogue is locked."""
    changes: list[tuple[list[PathPart], Any]] = []
    if fields is not None:
        given = fields_from_outside(
            {k: v for k, v in fields.items() if v is not None} if isinstance(fields, dict) else fields, ""
        )
        removed = {k: None for k, v in fields.items() if v is None}
        problems = protected_problems(removed)
        if problems:
            raise ValidationError(problems)
        changes += [([k], v) for k, v in given.items()] + [([k], None) for k in removed]
    changes += [parse_assignment(text) for text in assignments]
    return changes


def edit_record(
    arc: Archive,
    record_id: str,
    *,
    assignments: Iterable[str] = (),
    fields: dict[str, Any] | None = None,
    expected_revision: int | None = None,
    force: bool = False,
) -> dict:
    """Change a record's metadata: validated, revision-checked, logged as ``mem``.

    ``fields`` replaces whole top-level fields (``None`` removes one); ``assignments`` are
    ``--set`` texts. A deaccessioned record is refused unless ``force``.
    """
    from archive.events import make_event

    changes = _planned_changes(assignments, fields)
    with arc.store.transaction() as tx:
        before = tx.get(record_id)
        _refuse_if_withdrawn(before, force)
        record = copy.deepcopy(before)
        for path, value in changes:
            apply_assignment(record, path, value)
        record = _check_touched(before, record, {str(path[0]) for path, _ in changes})
        changed = changed_fields(before, record)
        if not changed:
            raise ArchiveError(f"{record_id}: nothing to change")
        record["revision"] = before["revision"] if expected_revision is None else expected_revision
        tx.update(record)
        tx.log(
            make_event(
                "mem", record_id,
                detail="edited " + ", ".join(changed),
                outcome_detail={"fields": changed, "revision": before["revision"] + 1},
            )
        )
    return arc.store.get(record_id)


def replace_record(arc: Archive, record: dict, *, force: bool = False) -> dict:
    """Save a whole record from a form; ``record['revision']`` must be the one that was read.

    The form's fields go through the door for outside input like any other; what the archive
    owns (ids, status, bags, serial, the provenance stamps) is taken from the stored record, so
    a form can neither set it nor undo a bag or check recorded while it was open.
    """
    from archive.events import make_event

    with arc.store.transaction() as tx:
        before = tx.get(record["id"])
        _refuse_if_withdrawn(before, force)
        editable = {k: v for k, v in record.items() if k not in PROTECTED_FIELDS}
        if isinstance(editable.get("provenance"), dict):
            editable["provenance"] = {k: v for k, v in editable["provenance"].items()
                                      if k not in PROTECTED_PROVENANCE}
        new = _keep_protected(before, fields_from_outside(editable, ""))
        changed = changed_fields(before, new)
        if not changed:
            return before
        new["revision"] = record.get("revision")
        tx.update(new)
        tx.log(make_event("mem", record["id"], detail="edited " + ", ".join(changed),
                          outcome_detail={"fields": changed}))
    return arc.store.get(record["id"])


def deaccession(arc: Archive, record_id: str, reason: str) -> dict:
    """Withdraw a record: status and an event; its files and bags stay until an explicit purge."""
    from archive.events import make_event

    if not reason.strip():
        raise ArchiveError("a deaccession needs a reason")
    with arc.store.transaction() as tx:
        record = tx.get(record_id)
        if record["status"] == "deaccessioned":
            raise ArchiveError(f"{record_id} is already deaccessioned")
        record["status"] = "deaccessioned"
        record["deaccession"] = {"at": now_utc(), "reason": reason.strip()}
        tx.update(record)
        tx.log(make_event("dea", record_id, detail=reason.strip()))
    return arc.store.get(record_id)


# ----- reading -------------------------------------------------------------------------------
def list_records(arc: Archive, status: str | None = None) -> list[dict]:
    return arc.store.summaries(status)


def search_records(arc: Archive, query: str, *, field: str | None = None, text: bool = False) -> list[dict]:
    """Metadata search; with ``text`` the preserved texts are searched too."""
    hits = arc.store.search(query, field)
    if not text:
        return hits
    found = {r["id"] for r in hits}
    for row in arc.store.summaries():
        if row["id"] not in found and text_contains(arc, row["id"], query):
            hits.append(row)
    return hits


def source_path(arc: Archive, record: dict) -> Path:
    """The working copy of the record's original in sources/<id>/."""
    original = original_of(record)
    if original is None:
        raise ArchiveError(f"{record['id']}: the record names no source file")
    return arc.source_dir(record["id"]) / original.filename


def read_text(arc: Archive, record_id: str, limit: int | None = None, *, force: bool = False) -> str:
    """The preserved text (the extracted text for HTML), decoded; ``limit`` caps the bytes read.

    The working copy is first proved to match what the archive recorded, so a copy appended to or
    replaced in sources/ is refused (WorkingCopyError naming it) rather than shown as preserved;
    ``force`` reads it anyway.
    """
    from archive.fixity.workingcopy import checked_working_copy

    record = arc.store.get(record_id)
    path, _ = checked_working_copy(arc.root, record, text=True, force=force)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit) if limit else handle.read()
    except OSError as exc:
        raise ArchiveError(f"{record_id}: cannot read its text ({exc.strerror})") from None
    return data.decode("utf-8-sig", errors="replace")


def text_contains(arc: Archive, record_id: str, query: str) -> bool:
    """Case-insensitive search of the text a reader sees, streamed so large texts are not read whole.

    For HTML that is the extracted text beside the original (the file of role text), so a word
    found only in the markup (a class name, an attribute) is not a hit.
    """
    words = query.casefold().split()
    try:
        record = arc.store.get(record_id)
        shown = reading_file(record)
        if shown is None:
            return False
        path = arc.source_dir(record_id) / shown.filename
        found: set[str] = set()
        tail = ""
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            while chunk := handle.read(1 << 20):
                window = (tail + chunk).casefold()
                found.update(w for w in words if w in window)
                tail = chunk[-200:]
        return len(found) == len(words)
    except (OSError, ArchiveError):
        return False


def history(arc: Archive, record_id: str) -> list[dict]:
    """A record's events, oldest first; RecordNotFoundError for an unknown id."""
    return arc.store.history(record_id)


def iter_events(arc: Archive) -> Iterator[dict]:
    """Every committed event of the archive, streamed in commit order shard by shard (see
    Store.iter_events): what a PREMIS export or a replica reads."""
    return arc.store.iter_events()


def get_record(arc: Archive, record_id: str) -> dict:
    return arc.store.get(record_id)

