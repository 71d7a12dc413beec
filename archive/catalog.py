"""Cataloguing: add, import, edit, deaccession, list, search and show records.

Every function takes an open ``Archive`` and goes through the store's transactions, so the CLI,
the TUI and the tests share one path to disk and one set of checks.
"""

from __future__ import annotations

import itertools
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from archive import schema
from archive.errors import (
    ArchiveError,
    DuplicateSourceError,
    SourceFileError,
    ValidationError,
)
from archive.events import current_user, make_event
from archive.extract import extract
from archive.ids import format_id
from archive.layout import Archive
from archive.references import detect_references
from archive.sources import take_in
from archive.store.catalog_store import iter_chunks, now_utc

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` by long operations; the CLI draws a bar, the TUI a widget."""

Cancel = Callable[[], bool]
"""Polled between steps of long operations; True stops them at a point where the archive is whole."""

READ_ONLY_FIELDS = (
    "id", "uuid", "revision", "created_at", "updated_at", "source", "bags", "status", "deaccession",
)
IMPORT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
IMPORT_BATCH = 256


# ----- building records ----------------------------------------------------------------------
def parse_creator(text: str) -> dict[str, str]:
    """``"Family, Given"`` as a person; a name without a comma as a literal (an organisation)."""
    family, comma, given = text.partition(",")
    if comma:
        creator = {"family": family.strip()}
        if given.strip():
            creator["given"] = given.strip()
        return creator
    return {"literal": text.strip()}


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


@dataclass
class NewArticle:
    """What an archivist supplies for one article: the file, and fields typed or from a sidecar."""

    path: Path
    fields: dict[str, Any] = field(default_factory=dict)
    allow_duplicate: bool = False
    detect_references: bool = False


def _protect(fields: dict[str, Any]) -> None:
    bad = [name for name in fields if name in READ_ONLY_FIELDS and name != "status"]
    if bad:
        raise ValidationError([f"{name}: is set by the archive and cannot be given" for name in bad])


def _build_record(arc: Archive, article: NewArticle, sequence: int) -> tuple[dict, Any]:
    """Check the file and the fields and assemble the record; writes nothing."""
    info = take_in(article.path, None)
    extraction = extract(article.path)
    given = dict(article.fields)
    _protect(given)
    record: dict[str, Any] = {"type": "article"}
    record.update(extraction.fields)
    record.update(given)
    typed_provenance = dict(given.get("provenance") or {})
    extracted = [n for n in extraction.extracted if n not in given]
    if "title" not in record:
        record["title"] = title_from_filename(article.path)
        extracted.append("title")
    if article.detect_references and "references" not in given:
        text = extraction.derived_text or article.path.read_text(encoding="utf-8-sig")
        record["references"] = detect_references(text)  # each confirmed: false until checked
        extracted.append("references")
    provenance = {
        "catalogued_by": current_user(),
        "catalogued_at": now_utc(),
        **(extraction.fields.get("provenance") or {}),
        **typed_provenance,
    }
    if extracted:
        provenance["extracted_fields"] = sorted(set(extracted))
    record["provenance"] = provenance
    record["id"] = format_id(arc.settings.id_prefix, sequence)
    record["uuid"] = str(uuid.uuid4())
    record["status"] = given.get("status", "catalogued")
    record["source"] = info.as_field()
    record["revision"] = 1
    record["created_at"] = record["updated_at"] = now_utc()
    if extraction.derived_text is not None:
        record["source"]["text_filename"] = Path(info.filename).stem + ".extracted.txt"
    schema.validate(record)
    return record, (info, extraction)


def _store_source(arc: Archive, record: dict, article: NewArticle, extraction: Any) -> None:
    """Copy the source (checked again while copying) into sources/<id>/."""
    folder = arc.source_dir(record["id"])
    copied = take_in(article.path, folder / record["source"]["filename"])
    if copied.sha256 != record["source"]["sha256"]:
        raise SourceFileError(f"{article.path}: the file changed while it was being added")
    if extraction.derived_text is not None:
        (folder / record["source"]["text_filename"]).write_text(
            extraction.derived_text, encoding="utf-8"
        )


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


def add_articles(arc: Archive, articles: list[NewArticle]) -> list[dict]:
    """Catalogue several files in one transaction; the first failure aborts them all."""
    # Everything is checked before an id is reserved, so a refused file changes nothing.
    built = [_build_record(arc, a, 0) for a in articles]
    seen: dict[str, str] = {}
    for (record, _), article in zip(built, articles, strict=True):
        _check_duplicate(arc, record, article, seen)
    copied: list[Path] = []
    try:
        with arc.store.transaction() as tx:
            sequences = tx.reserve_sequences(len(articles))
            for (record, (info, extraction)), article, sequence in zip(
                built, articles, sequences, strict=True
            ):
                record["id"] = format_id(arc.settings.id_prefix, sequence)
                _store_source(arc, record, article, extraction)
                copied.append(arc.source_dir(record["id"]))
                tx.insert(record)
                tx.log(
                    make_event(
                        "cap", record["id"],
                        detail=f"source {info.filename} captured from {article.path.name}",
                        outcome_detail={"sha256": info.sha256, "sha512": info.sha512, "size": info.size},
                    )
                )
    except BaseException:
        for folder in copied:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return [arc.store.get(record["id"]) for record, _ in built]


# ----- import --------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """What an import did: the ids added and, per file that failed, why."""

    added: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    remaining: int = 0

    def summary(self) -> str:
        text = f"imported {len(self.added)} article(s), {len(self.failed)} failed"
        return text + (f"; cancelled with {self.remaining} not imported" if self.cancelled else "")


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
    report = ImportReport()
    paths = import_candidates(folder)
    done = 0
    for batch in iter_chunks(paths, IMPORT_BATCH):
        if cancel is not None and cancel():
            report.cancelled, report.remaining = True, len(paths) - done
            break
        good: list[NewArticle] = []
        for path in batch:
            try:
                article = _prepare_import(path)
                article.allow_duplicate = allow_duplicate
                good.append(article)
            except ArchiveError as exc:
                report.failed.append((path.name, str(exc)))
        _import_batch(arc, good, report)
        done += len(batch)
        if progress:
            progress(done, len(paths))
    return report


def _import_batch(arc: Archive, articles: list[NewArticle], report: ImportReport) -> None:
    """Add a batch at once; when one file is bad, fall back to one by one to isolate it."""
    if not articles:
        return
    try:
        for article, record in zip(articles, add_articles(arc, articles), strict=True):
            report.added.append((article.path.name, record["id"]))
        return
    except ArchiveError:
        pass
    for article in articles:
        try:
            report.added.append((article.path.name, add_article(arc, article)["id"]))
        except ArchiveError as exc:
            report.failed.append((article.path.name, str(exc)))


# ----- editing -------------------------------------------------------------------------------
PathPart = str | int
_SEGMENT_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(text: str) -> list[PathPart]:
    """``creators[0].family`` as ``['creators', 0, 'family']``."""
    parts: list[PathPart] = []
    for name, index in _SEGMENT_RE.findall(text):
        parts.append(int(index) if index else name)
    if not parts or not isinstance(parts[0], str):
        raise ArchiveError(f"{text!r} is not a field path such as title or creators[0].family")
    return parts


def _field_type(path: list[PathPart]) -> Any:
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


def apply_assignment(record: dict, path: list[PathPart], value: Any) -> None:
    """Set (or with ``None`` remove) a possibly nested field; list items by index."""
    if path[0] in READ_ONLY_FIELDS:
        raise ValidationError([f"{path[0]}: is set by the archive and cannot be edited"])
    node: Any = record
    where = schema.field_path(path)
    for part, following in itertools.pairwise(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise ValidationError([f"{where}: there is no item {part}"])
            node = node[part]
            continue
        child = node.get(part)
        if child is None:
            child = node[part] = [] if isinstance(following, int) else {}
        node = child
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last > len(node):
            raise ValidationError([f"{where}: there is no item {last}"])
        if value is None:
            node.pop(last)
        elif last == len(node):
            node.append(value)
        else:
            node[last] = value
    elif not isinstance(node, dict):
        raise ValidationError([f"{where}: the parent is not an object"])
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


def changed_fields(before: dict, after: dict) -> list[str]:
    keys = (set(before) | set(after)) - {"revision", "updated_at"}
    return sorted(k for k in keys if before.get(k) != after.get(k))


def edit_record(
    arc: Archive,
    record_id: str,
    *,
    assignments: Iterable[str] = (),
    fields: dict[str, Any] | None = None,
    expected_revision: int | None = None,
) -> dict:
    """Change a record's metadata: validated, revision-checked, logged as ``mem``."""
    with arc.store.transaction() as tx:
        before = tx.get(record_id)
        record = orjson.loads(orjson.dumps(before))
        if fields:
            _protect(fields)
            for key, value in fields.items():
                apply_assignment(record, [key], value)
        for text in assignments:
            apply_assignment(record, *parse_assignment(text))
        changed = changed_fields(before, record)
        if not changed:
            raise ArchiveError(f"{record_id}: nothing to change")
        if expected_revision is not None:
            record["revision"] = expected_revision
        tx.update(record)
        tx.log(
            make_event(
                "mem", record_id,
                detail="edited " + ", ".join(changed),
                outcome_detail={"fields": changed, "revision": before["revision"] + 1},
            )
        )
    return arc.store.get(record_id)


def replace_record(arc: Archive, record: dict) -> dict:
    """Save a whole record from a form; ``record['revision']`` must be the one that was read."""
    with arc.store.transaction() as tx:
        before = tx.get(record["id"])
        for name in READ_ONLY_FIELDS:
            if name in before and name != "revision":
                record[name] = before[name]
        changed = changed_fields(before, record)
        if not changed:
            return before
        tx.update(record)
        tx.log(make_event("mem", record["id"], detail="edited " + ", ".join(changed),
                          outcome_detail={"fields": changed}))
    return arc.store.get(record["id"])


def deaccession(arc: Archive, record_id: str, reason: str) -> dict:
    """Withdraw a record: status and an event; its files and bags stay until an explicit purge."""
    if not reason.strip():
        raise ArchiveError("a deaccession needs a reason")
    with arc.store.transaction() as tx:
        record = tx.get(record_id)
        if record["status"] == "deaccessioned":
            raise ArchiveError(f"{record_id} is already deaccessioned")
        record["status"] = "deaccessioned"
        record["deaccession"] = {"at": now_utc(), "reason": reason}
        tx.update(record)
        tx.log(make_event("dea", record_id, detail=reason))
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
    return arc.source_dir(record["id"]) / record["source"]["filename"]


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
    """Case-insensitive search of one text, streamed so large texts are not read whole."""
    words = query.casefold().split()
    try:
        record = arc.store.get(record_id)
        path = source_path(arc, record)
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
    arc.store.summary(record_id)  # a clear error for an unknown id
    return arc.store.events(record_id)


def get_record(arc: Archive, record_id: str) -> dict:
    return arc.store.get(record_id)

