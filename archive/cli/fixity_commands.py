"""Commands that check fixity: verify (the archive's bags), audit (oldest checks first, for cron)
and validate-bag (any bag on disk, made anywhere)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from archive.cli.common import (
    CommandFailed,
    add_json,
    add_root,
    duration,
    fail,
    open_from,
    positive_int,
    print_json,
    printable,
    progress_bar,
)
from archive.errors import ArchiveError
from archive.ids import is_id

if TYPE_CHECKING:
    from archive.fixity.bagcheck import BagCheckResult
    from archive.fixity.report import VerifyReport
    from archive.layout import Archive

# The fixity package is imported inside the handlers and option parsers that use it, so other
# commands never load it (see common.py).

ORDER = 30


"""A century: longer than any archive has kept a bag, short enough for date arithmetic."""


def _record_id(text: str) -> str:
    if not is_id(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an accession number (e.g. ART-2026-000001)")
    return text


def _add_check_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fast", action="store_true",
                   help="check completeness and Payload-Oxum only, without reading file contents")
    p.add_argument("--jobs", type=positive_int, metavar="N",
                   help="bags checked at once (default: every core)")
    add_json(p)
    p.add_argument("--report", type=Path, metavar="FILE", help="also write the JSON report to FILE")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check the fixity of the archive's bags (all, or of the IDs given)")
    add_root(p)
    p.add_argument("ids", nargs="*", metavar="ID", type=_record_id, help="records to verify (default: all)")
    p.add_argument("--replica", metavar="NAME",
                   help="check the copies on replica NAME instead, hashing the remote bytes (with --fast: "
                        "completeness, sizes and, on S3, the stored SHA-256 of each object)")
    _add_check_options(p)
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("audit", help="verify the bags whose last full check is oldest first (for cron)")
    add_root(p)
    p.add_argument("--older-than", metavar="AGE", type=duration,
                   help="only bags whose last full check was more than AGE ago (e.g. 90d)")
    p.add_argument("--limit", type=positive_int, metavar="N", help="check at most N bags")
    p.add_argument("--budget", metavar="TIME", type=duration, help="start no new bag after TIME (e.g. 10m)")
    _add_check_options(p)
    p.set_defaults(handler=cmd_audit)

    p = sub.add_parser("validate-bag", help="check any BagIt bag on disk against RFC 8493")
    p.add_argument("path", type=Path, help="the bag folder, or a .tar, .tar.gz or .zip holding one")
    p.add_argument("--fast", action="store_true",
                   help="check completeness and Payload-Oxum only, without reading the files")
    add_json(p)
    p.set_defaults(handler=cmd_validate_bag)


def print_bag_result(result: BagCheckResult, label: str) -> None:
    """Errors and warnings one per line, then the verdict; names are shown, never obeyed."""
    for problem in result.problems:
        print(f"  {printable(problem.line())}")
    verdict = {"success": "valid", "warning": "valid, with warnings", "failure": "INVALID"}[result.outcome]
    mode = " (fast: completeness and Payload-Oxum only, contents not read)" if result.fast else ""
    print(f"{printable(label)}: {verdict}; {len(result.errors())} errors, "
          f"{len(result.warnings())} warnings{mode}")


def cmd_validate_bag(args: argparse.Namespace) -> int:
    from archive.deposit.verify import is_package
    from archive.fixity.bagcheck import validate_bag

    if is_package(args.path):
        return _validate_package(args)
    result = validate_bag(args.path, fast=args.fast)
    if args.json:
        print_json(result.to_dict())
    else:
        print_bag_result(result, str(args.path))
    if not result.valid:
        raise CommandFailed
    return 0


def _validate_package(args: argparse.Namespace) -> int:
    """A .tar, .tar.gz or .zip: unpacked with ingest's protections into a temporary folder outside
    any archive, validated there, and removed; the archive file itself is never changed."""
    from archive.deposit.unpack import Refused
    from archive.deposit.verify import validate_package

    name = args.path.name
    try:
        result = validate_package(args.path, fast=args.fast)
    except Refused as exc:
        if args.json:
            print_json({"path": str(args.path), "outcome": "failure", "refused": exc.reasons})
        else:
            fail(printable(f"{args.path}: refused before validation; nothing was kept"))
            for reason in exc.reasons:
                fail(printable(f"  {reason}"))
        raise CommandFailed from None
    if args.json:
        print_json({**result.to_dict(), "package": str(args.path)})
    else:
        print(printable(f"validated the bag inside {name}"))
        print_bag_result(result, str(args.path))
    if not result.valid:
        raise CommandFailed
    return 0


def _warn(message: str) -> None:
    """A warning on stderr in the form of the CLI's errors; the exit code stays the checks' own."""
    print(f"archive: warning: {printable(message)}", file=sys.stderr)


def _report_path(arc: Archive, args: argparse.Namespace) -> None:
    """Refuse a --report path inside the archive's own files before anything is checked."""
    from archive.outputs import check_output_path

    if args.report:
        args.report = check_output_path(arc.root, args.report, what="report")


def _print_details(report: VerifyReport, verbose: bool) -> None:
    """Every failing bag and working copy with its problems (verify), and the leftovers."""
    from archive.leftovers import PARTIAL_SUFFIX

    if verbose:
        for bag in report.bags:
            if bag.state == "success":
                continue
            label = "FAILED" if bag.state == "failure" else "warning"
            print(f"{label} {bag.record_id} v{bag.version} ({bag.path})")
            if bag.standing_note():
                print(f"  {bag.standing_note()}")
            for problem in bag.problems:
                print(f"  {printable(problem.line())}")
        for source in report.sources:
            if source.outcome == "success":
                continue
            label = "FAILED" if source.outcome == "failure" else "warning"
            print(f"{label} {source.record_id} working copy ({printable(source.path)})")
            for problem in source.problems:
                print(f"  {printable(problem.line())}")
        for orphan in report.orphans:
            print(f"ORPHAN {printable(orphan)}: a bag folder no record claims")
    for leftover in report.leftovers:
        what = ("a half-copied file a killed run left" if leftover.endswith(PARTIAL_SUFFIX)
                else "a sources/ entry no record owns")
        print(f"LEFTOVER {printable(leftover)}: {what}")


def _write_report(path: Path, data: dict) -> None:
    from archive.store.atomic import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import orjson

        atomic_write(path, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    except OSError as exc:
        raise ArchiveError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


def _finish(report: VerifyReport, args: argparse.Namespace, verbose: bool) -> int:
    # The JSON form only when it is written or printed: a dict per bag, made after the last bag
    # is checked, when nothing else runs beside it (a tenth of a second at 10,000 bags).
    data = report.to_dict() if args.report or args.json else {}
    if args.report:
        _write_report(args.report, data)
    if args.json:
        print_json(data)
    else:
        _print_details(report, verbose)
        print(report.summary())
    if report.unrecorded:
        _warn(f"{report.unrecorded}; the checks ran read-only and their outcome is in this report only")
    if report.cancelled and not report.bags:
        fail("nothing was checked")
    return 0 if report.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    from archive.fixity.verify import verify_archive

    arc = open_from(args)
    _report_path(arc, args)
    if args.replica is not None:
        return _verify_replica(arc, args)
    with progress_bar("verifying bags", 0) as update:
        report = verify_archive(arc, args.ids or None, fast=args.fast, jobs=args.jobs,
                                progress=update)
    return _finish(report, args, verbose=True)


def _verify_replica(arc: Archive, args: argparse.Namespace) -> int:
    """verify --replica NAME: the replica's copies, reported and recorded as local verify does."""
    from archive.replicas.check import verify_replica

    with progress_bar(f"verifying replica {args.replica}", 0) as update:
        result = verify_replica(arc, args.replica, fast=args.fast, ids=args.ids or None, jobs=args.jobs,
                                progress=update)
    data = result.as_json()
    if args.report:
        _write_report(args.report, data)
    if args.json:
        print_json(data)
    else:
        for line in result.lines():
            print(printable(line))
    if result.unrecorded:
        _warn(f"{result.unrecorded}; the checks ran read-only and their outcome is in this report only")
    if result.cancelled and not result.bags:
        fail("nothing was checked")
    return 0 if result.ok else 1


def cmd_audit(args: argparse.Namespace) -> int:
    from archive.fixity.audit import audit

    arc = open_from(args)
    _report_path(arc, args)
    with progress_bar("auditing bags", 0) as update:
        report = audit(arc, older_than=args.older_than, limit=args.limit, budget=args.budget, fast=args.fast,
                       jobs=args.jobs, progress=update)
    return _finish(report, args, verbose=False)
