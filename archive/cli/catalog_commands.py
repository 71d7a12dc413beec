"""Commands that create an archive and catalogue articles: init, add, import, list, show, search,
edit, deaccession, history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from archive.cli.common import (
    CommandFailed,
    add_json,
    add_root,
    fail,
    open_from,
    print_json,
    printable,
    progress_bar,
)
from archive.store.index import SEARCH_FIELDS, read_hay_at_open

if TYPE_CHECKING:
    from archive.layout import Archive

# The library (archive.catalog and what it pulls in) is imported inside each handler, so that
# ``archive list`` or ``--help`` never loads what only ``add`` needs (see common.py).

ORDER = 10
STATUSES = ("draft", "catalogued", "bagged", "deposited", "deaccessioned")
CHANGED = "changed"
"""Not a status of its own: a record whose metadata changed after its newest bag (next bag: vN+1)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create an archive")
    p.add_argument("dir", nargs="?", default=".", help="folder to create it in (default: here)")
    p.add_argument("--org", default="", help="Source-Organization for bag-info.txt")
    p.add_argument("--contact-name", default="", help="Contact-Name for bag-info.txt")
    p.add_argument("--contact-email", default="", help="Contact-Email for bag-info.txt")
    p.add_argument("--id-prefix", default="ART", help="accession number prefix (default ART)")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("add", help="catalogue one article file")
    add_root(p)
    p.add_argument("file", type=Path)
    p.add_argument("--meta", type=Path, help="JSON file of record fields")
    p.add_argument("--title")
    p.add_argument("--creator", action="append", default=[], help='"Family, Given" (repeatable)')
    p.add_argument("--publication", help="newspaper, magazine or site (container title)")
    p.add_argument("--issued", help="publication date: YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument("--url")
    p.add_argument("--language", help="BCP 47 tag, such as en")
    p.add_argument("--subject", action="append", default=[], help="subject heading (repeatable)")
    p.add_argument("--type", dest="record_type", help="article-newspaper, article-magazine, ...")
    p.add_argument("--allow-duplicate", action="store_true",
                   help="add even if the same text is already catalogued")
    p.add_argument("--detect-references", action="store_true",
                   help="propose the sources the text cites, unconfirmed (see 'archive references')")
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("import", help="catalogue every .txt/.md/.html file in a folder")
    add_root(p)
    p.add_argument("dir", type=Path)
    p.add_argument("--allow-duplicate", action="store_true")
    add_json(p)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("list", help="list records")
    add_root(p)
    p.add_argument("--status", choices=(*STATUSES, CHANGED),
                   help="only records of this status; 'changed': edited since their newest bag")
    add_json(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", help="show one record")
    add_root(p)
    p.add_argument("id")
    add_json(p)
    p.add_argument("--text", action="store_true",
                   help="print the preserved text instead (refused if the working copy does not match)")
    p.add_argument("--force", action="store_true",
                   help="with --text: print a working copy that does not match, with a warning")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("search", help="search metadata (and with --text, the texts)")
    add_root(p)
    p.add_argument("query")
    p.add_argument("--field", choices=SEARCH_FIELDS)
    p.add_argument("--text", action="store_true", help="also search the article texts")
    add_json(p)
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("edit", help="change a record's metadata")
    add_root(p)
    p.add_argument("id")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="FIELD=VALUE",
                   help="dotted field path; JSON for lists and objects; empty value removes")
    p.add_argument("--meta", type=Path, help="JSON file of fields to replace")
    p.add_argument("--force", action="store_true", help="edit a deaccessioned record anyway")
    p.set_defaults(handler=cmd_edit)

    p = sub.add_parser("deaccession", help="withdraw a record (nothing is deleted)")
    add_root(p)
    p.add_argument("id")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_deaccession)

    p = sub.add_parser("history", help="a record's preservation events")
    add_root(p)
    p.add_argument("id")
    add_json(p)
    p.set_defaults(handler=cmd_history)


def cmd_init(args: argparse.Namespace) -> int:
    from archive.layout import init_archive

    arc = init_archive(args.dir, organization=args.org, contact_name=args.contact_name,
                       contact_email=args.contact_email, id_prefix=args.id_prefix)
    print(f"created archive in {arc.root}")
    return 0


def _fields_from_flags(args: argparse.Namespace) -> dict:
    """--meta and the typed options together; the library's one door for outside input
    (archive.untrusted.fields_from_outside) checks them as one set of given fields."""
    from archive.catalog import load_meta_file
    from archive.creators import parse_creator

    fields = load_meta_file(args.meta) if args.meta else {}
    flags = {
        "title": args.title, "container_title": args.publication, "issued": args.issued,
        "url": args.url, "language": args.language, "type": args.record_type,
    }
    fields.update({k: v for k, v in flags.items() if v is not None})
    if args.creator:
        fields["creators"] = [parse_creator(c) for c in args.creator]
    if args.subject:
        fields["subjects"] = list(dict.fromkeys(args.subject))
    return fields


def warn(file_name: str, warning: str) -> None:
    """One ``archive: warning:`` line on stderr: the command went on, but something was not used."""
    print(f"archive: warning: {printable(file_name)}: {printable(warning)}", file=sys.stderr)


def cmd_add(args: argparse.Namespace) -> int:
    from archive import catalog

    arc = open_from(args)
    article = catalog.NewArticle(path=args.file, fields=_fields_from_flags(args),
                         allow_duplicate=args.allow_duplicate,
                         detect_references=args.detect_references)
    record = catalog.add_article(arc, article)
    for warning in article.warnings:
        warn(args.file.name, warning)
    print(record["id"])
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from archive import catalog

    arc = open_from(args)
    total = len(catalog.import_candidates(args.dir))
    with progress_bar("importing", total) as update:
        report = catalog.import_folder(arc, args.dir, progress=update,
                                       allow_duplicate=args.allow_duplicate)
    if args.json:
        print_json({"added": [{"file": f, "id": i} for f, i in report.added],
                    "failed": [{"file": f, "error": e} for f, e in report.failed],
                    "warnings": [{"file": f, "warning": w} for f, w in report.warnings],
                    "summary": report.summary()})
    else:
        for name, record_id in report.added:
            print(f"{record_id}  {printable(name)}")
        for name, warning in report.warnings:
            warn(name, warning)
        for name, error in report.failed:
            fail(printable(error) if name in error else f"{printable(name)}: {printable(error)}")
        print(report.summary())
    return 1 if report.failed else 0


_MARKS = {"success": "ok", "failure": "FAIL", "warning": "warn"}


def _fixity_mark(row: dict) -> str:
    outcome = row.get("fixity_outcome")
    if not outcome:
        return "-"
    fast = " fast" if row.get("fixity_mode") == "fast" else ""  # a fast check proves no file intact
    return f"{_MARKS[outcome]}{fast} {row['fixity_at'][:10]}"


def shown_status(row: dict) -> str:
    """The status column: ``changed`` for a record edited since its newest bag (the README's
    promise), unless it is deaccessioned, which matters more; ``--json`` keeps both fields."""
    if row.get("changed_since_bag") and row["status"] != "deaccessioned":
        return CHANGED
    return row["status"]


def _row_line(row: dict) -> str:
    """One row of ``list`` and ``search``: a search may print thousands, so the usual title (a
    printable string) is not passed through ``printable``."""
    title = row["title"]
    if type(title) is not str or not title.isprintable():
        title = printable(title)
    return (f"{row['id']}  {shown_status(row):<13}  {row['issued'] or '-':<10}  "
            f"{_fixity_mark(row) if row.get('fixity_outcome') else '-':<15}  {title[:80]}")


def print_rows(rows: list[dict]) -> None:
    if not rows:
        print("no records")
        return
    print("\n".join(map(_row_line, rows)))  # one write, not one per row: a search may list thousands


def cmd_list(args: argparse.Namespace) -> int:
    from archive import catalog

    arc = open_from(args)
    if args.status == CHANGED:
        rows = [r for r in catalog.list_records(arc) if r.get("changed_since_bag")]
    else:
        rows = catalog.list_records(arc, args.status)
    if args.json:
        from archive.replicas.status import with_copies

        # Only bagged records have copies to detail; the documents are read without a copy each.
        records = arc.store.documents_of(r["id"] for r in rows if r.get("bag_version"))
        print_json(with_copies(rows, arc.settings, records))
    else:
        print_rows(rows)
    return 0


def format_record(record: dict) -> list[str]:
    """A record as ``field: value`` lines, nested fields flattened, for people to read."""
    lines: list[str] = []

    def walk(prefix: str, value: object) -> None:
        if prefix == "source.files":
            return  # listed below, from the one reading of the set (old records have none stored)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else key, item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(f"{prefix}[{i}]", item)
        else:
            lines.append(f"{prefix}: {printable(value)}")

    walk("", record)
    files = source_file_lines(record)
    at = max((i + 1 for i, line in enumerate(lines) if line.startswith("source.")), default=len(lines))
    return lines[:at] + files + lines[at:]


def source_file_lines(record: dict) -> list[str]:
    """One line per file of the source with its role, size and media type."""
    from archive.source_files import files_of  # show's alone: list and search never need it

    lines = []
    for i, item in enumerate(files_of(record)):
        facts = ", ".join(x for x in (item.media_type, f"{item.size} bytes" if item.size is not None else "")
                          if x)
        lines.append(f"source.files[{i}]: {item.role} {printable(item.filename)}"
                     + (f" ({facts})" if facts else ""))
    return lines


def _show_text(arc: Archive, args: argparse.Namespace) -> int:
    """The source byte for byte, once proved to be what the archive recorded (``--force``: anyway,
    with a warning), so a tampered working copy is never printed as the preserved text."""
    from archive import catalog
    from archive.errors import ArchiveError
    from archive.fixity.workingcopy import checked_working_copy

    record = catalog.get_record(arc, args.id)
    path, warning = checked_working_copy(arc.root, record, force=args.force)
    if warning:
        print(f"archive: warning: {printable(warning)}; shown anyway (--force)", file=sys.stderr)
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                sys.stdout.buffer.write(chunk)
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read the working copy ({exc.strerror or exc})") from None
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    arc = open_from(args)
    if args.text:
        return _show_text(arc, args)
    from archive.replicas.status import copies_json, copies_lines

    record = arc.store.get(args.id)  # catalog.get_record, without importing archive.catalog
    if args.json:
        print_json({**record, "copies": copies_json(record, arc.settings)})
    else:
        print("\n".join(format_record(record) + copies_lines(record, arc.settings)))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    if args.field is None:  # every shard's hay will be scanned: read it when its index is opened
        read_hay_at_open()
    arc = open_from(args)
    if args.text:
        from archive import catalog

        rows = catalog.search_records(arc, args.query, field=args.field, text=True)
    else:  # catalog.search_records without the texts: the store's search, nothing more to import
        rows = arc.store.search(args.query, args.field)
    if args.json:
        print_json(rows)
    else:
        print_rows(rows)
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    if not args.assignments and not args.meta:
        fail("nothing to change: give --set FIELD=VALUE or --meta FILE")
        return 2
    from archive import catalog
    from archive.catalog import load_meta_file

    arc = open_from(args)
    fields = load_meta_file(args.meta) if args.meta else None
    record = catalog.edit_record(arc, args.id, assignments=args.assignments, fields=fields,
                                 force=args.force)
    print(f"{record['id']} now at revision {record['revision']}")
    return 0


def cmd_deaccession(args: argparse.Namespace) -> int:
    from archive import catalog

    record = catalog.deaccession(open_from(args), args.id, args.reason)
    print(f"{record['id']} deaccessioned; its files and bags are kept")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    # catalog.history, without importing archive.catalog (uuid, the extractors' results, the
    # source checks: a third of the command's own work at 1,000 events a record, see bench_history)
    events = open_from(args).store.history(args.id)
    if args.json:
        print_json(events)
        return 0
    if not events:
        raise CommandFailed
    sys.stdout.write("".join(map(_event_line, events)))  # one write, not a print per event
    return 0


def _event_line(event: dict) -> str:
    detail = printable(event.get("detail", ""))
    return f"{event['at']}  {event['type']['label']:<28} {event['outcome']['label']:<8} {detail}\n"
