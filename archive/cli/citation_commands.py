"""Commands that cite and describe articles: export (citations, catalogue) and references."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive.citation.options import DEFAULT_STYLE, FORMATS, STYLES
from archive.cli.common import add_json, add_root, fail, open_from, print_json, printable
from archive.errors import ArchiveError

ORDER = 40
STATUSES = ("draft", "catalogued", "bagged", "deposited", "deaccessioned")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="citations (csl-json, bibtex, biblatex, ris, text) or the catalogue (csv, jsonl)",
        description="Export records as citations, or the whole catalogue as csv or jsonl.",
    )
    add_root(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="records to export")
    p.add_argument("--all", action="store_true", help="every record, in accession order")
    p.add_argument("--format", dest="fmt", required=True, choices=FORMATS)
    p.add_argument(
        "--style",
        metavar="STYLE",
        help=f"citation style for --format text: {', '.join(STYLES)} (default {DEFAULT_STYLE}), "
        "another installed CSL style id, or a CSL 1.0 style FILE.csl",
    )
    p.add_argument(
        "--locale",
        metavar="TAG",
        help="CSL locale for --format text, e.g. en-GB, de-DE, fr-FR (default: the style's own, else en-US)",
    )
    p.add_argument("--status", choices=STATUSES, help="only records with this status")
    p.add_argument("--out", type=Path, help="write to FILE instead of standard output")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("references", help="the sources an article cites (detected or confirmed)")
    add_root(p)
    p.add_argument("id")
    p.add_argument(
        "--detect", action="store_true", help="detect them in the text now (does not change the record)"
    )
    add_json(p)
    p.set_defaults(handler=cmd_references)


def cmd_export(args: argparse.Namespace) -> int:
    from archive.citation import export_records
    from archive.store.atomic import atomic_write

    if bool(args.ids) == bool(args.all):
        fail("give record ids or --all (not both)")
        return 2
    for option, value in (("--style", args.style), ("--locale", args.locale)):
        if value and args.fmt != "text":
            fail(f"{option} applies only to --format text")
            return 2
    text = export_records(
        open_from(args),
        args.fmt,
        args.ids,
        style=args.style or DEFAULT_STYLE,
        locale=args.locale,
        status=args.status,
    )
    if args.fmt == "text" and not text:
        note = f"the {args.style or DEFAULT_STYLE} style leaves these records out of its bibliography"
        print(f"archive: note: {note}", file=sys.stderr)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        atomic_write(args.out, text.encode("utf-8"))
    except OSError as exc:
        raise ArchiveError(f"{args.out}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _reference_line(ref: dict) -> str:
    mentions = ref.get("mentions")
    count = f"{mentions} mention{'s' if mentions != 1 else ''}" if mentions is not None else ""
    state = "confirmed" if ref.get("confirmed", True) else "unconfirmed"
    parts = [printable(ref["name"]), ref.get("kind", "-"), count, state, printable(ref.get("url", ""))]
    return "  ".join(p for p in parts if p)


def cmd_references(args: argparse.Namespace) -> int:
    from archive import catalog
    from archive.references import detect_references

    arc = open_from(args)
    record = catalog.get_record(arc, args.id)
    if args.detect:
        refs = detect_references(catalog.read_text(arc, args.id))
        for ref in refs:
            ref["confirmed"] = False
    else:
        refs = record.get("references") or []
    if args.json:
        print_json(refs)
        return 0
    if not refs:
        hint = "" if args.detect else "; try --detect, or add with --detect-references"
        print(f"{args.id}: no references{hint}")
        return 0
    for ref in refs:
        print(_reference_line(ref))
    return 0
