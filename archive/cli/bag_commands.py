"""Commands that preserve and move bags: bag, deposit, ingest."""

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
from archive.errors import UsageError

if TYPE_CHECKING:
    from archive.layout import Archive

ORDER = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bag", help="write a BagIt bag of each record that is new or changed")
    add_root(p)
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument("--all", action="store_true", help="every record (deaccessioned ones are skipped)")
    p.add_argument("--rebag", action="store_true",
                   help="write a new version even when the record is unchanged, with the current "
                        "bag-info (e.g. after setting organization or contact in archive.toml)")
    add_json(p)
    p.set_defaults(handler=cmd_bag)

    p = sub.add_parser("deposit", help="serialise the newest bag of records for deposit")
    add_root(p)
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument("--all", action="store_true", help="every bagged record")
    p.add_argument("--format", dest="fmt", choices=("tar", "tar.gz", "zip"), default="tar")
    p.add_argument("--to", required=True, metavar="DIR|URL",
                   help="folder to write the files into, or a remote target to send them to "
                        "(s3://bucket/prefix, sftp://user@host/path)")
    p.add_argument("--endpoint-url", default="", help="S3 endpoint of an s3:// target (MinIO, Ceph...)")
    p.add_argument("--region", default="", help="S3 region of an s3:// target")
    p.add_argument("--profile", type=Path, help="BagIt profile (JSON) to check against "
                   "(default: the shipped article-archive profile)")
    add_json(p)
    p.set_defaults(handler=cmd_deposit)

    p = sub.add_parser("ingest", help="accept a bag made elsewhere (folder, .tar, .tar.gz or .zip)")
    add_root(p)
    p.add_argument("path", type=Path)
    add_json(p)
    p.set_defaults(handler=cmd_ingest)


def selected_ids(arc: Archive, args: argparse.Namespace) -> list[str]:
    """The ids named, or with --all every record; giving both or neither is a usage error."""
    if args.all and args.ids:
        raise UsageError("give record ids or --all, not both")
    if args.all:
        return arc.store.ids()
    if not args.ids:
        raise UsageError("give one or more record ids, or --all")
    for record_id in args.ids:
        arc.store.get(record_id)  # an unknown id stops the command before any work
    return list(args.ids)


def cmd_bag(args: argparse.Namespace) -> int:
    from archive.bagging import bag_records

    arc = open_from(args)
    ids = selected_ids(arc, args)
    with progress_bar("bagging", len(ids), "records") as update:
        results = bag_records(arc, ids, progress=update, rebag=args.rebag)
    failed = [r for r in results if r.outcome == "failed"]
    if args.json:
        print_json([{"id": r.record_id, "outcome": r.outcome, "version": r.version,
                     "path": str(r.path) if r.path else None, "message": r.message} for r in results])
    else:
        for r in results:
            if r.outcome == "failed":
                fail(printable(r.message))
            elif r.outcome == "bagged":
                print(f"{r.record_id}  v{r.version}  {r.path}")
            else:
                print(f"{r.record_id}  {r.outcome}: {printable(r.message)}")
        counts = {k: sum(r.outcome == k for r in results) for k in ("bagged", "unchanged", "skipped")}
        print(f"bagged {counts['bagged']}, unchanged {counts['unchanged']}, "
              f"skipped {counts['skipped']}, failed {len(failed)}")
    if failed:
        raise CommandFailed
    return 0


def cmd_deposit(args: argparse.Namespace) -> int:
    from archive.deposit import deposit_records
    from archive.deposit.remote import deposit_remote, is_remote_target

    remote = is_remote_target(args.to)
    if not remote and (args.endpoint_url or args.region):
        raise UsageError("--endpoint-url and --region go with an s3:// target")
    arc = open_from(args)
    ids = selected_ids(arc, args)
    with progress_bar("depositing", len(ids), "bags") as update:
        if remote:
            report = deposit_remote(arc, ids, to=args.to, fmt=args.fmt,
                                    endpoint_url=args.endpoint_url or None, region=args.region or None,
                                    profile=args.profile, progress=update)
        else:
            report = deposit_records(arc, ids, fmt=args.fmt, to=Path(args.to), profile=args.profile,
                                     progress=update)
    for _, message in report.warnings:  # also in --json, under "warnings"
        warn(printable(message))
    if args.json:
        print_json(report.to_dict())
    else:
        for item in report.written:
            print(f"{item.record_id}  v{item.version}  {item.path}  sha256 {item.sha256}")
        for record_id, reasons in report.refused:
            for reason in reasons:
                fail(printable(f"{record_id}: {reason}"))
        print(f"deposited {len(report.written)}, refused {len(report.refused)}")
    if report.refused:
        raise CommandFailed
    return 0


def warn(message: str) -> None:
    """One warning line on stderr, beside the ``archive: error:`` lines of ``fail``."""
    print(f"archive: warning: {message}", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace) -> int:
    from archive.deposit import IngestRefused, ingest

    arc = open_from(args)
    try:
        record = ingest(arc, args.path)
    except IngestRefused as exc:
        if args.json:
            print_json({"accepted": False, "reasons": exc.reasons})
        else:
            fail(printable(f"{args.path}: refused; the archive is unchanged"))
            for reason in exc.reasons:
                fail(printable(f"  {reason}"))
        raise CommandFailed from None
    if args.json:
        print_json({"accepted": True, "id": record["id"], "bag": record["bags"][0]["path"]})
    else:
        print(f"{record['id']}  ingested as bag v1 ({record['bags'][0]['path']})")
    return 0

