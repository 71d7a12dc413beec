"""Commands that check fixity: verify (the archive's bags), audit (oldest checks first, for cron)
and validate-bag (any bag on disk, made anywhere)."""

from __future__ import annotations

import argparse
from pathlib import Path

from archive.cli.common import (
    CommandFailed,
    add_json,
    add_root,
    fail,
    one_line,
    open_from,
    print_json,
    progress_bar,
)
from archive.errors import ArchiveError
from archive.fixity.audit import audit, parse_duration
from archive.fixity.bagcheck import BagResult, validate_bag
from archive.fixity.report import VerifyReport
from archive.fixity.verify import verify_archive
from archive.store.atomic import atomic_write

ORDER = 30


def _jobs(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _add_check_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fast", action="store_true",
                   help="check completeness and Payload-Oxum only, without reading file contents")
    p.add_argument("--jobs", type=_jobs, metavar="N", help="bags checked at once (default: every core)")
    add_json(p)
    p.add_argument("--report", type=Path, metavar="FILE", help="also write the JSON report to FILE")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check the fixity of the archive's bags (all, or of the IDs given)")
    add_root(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="records to verify (default: all)")
    _add_check_options(p)
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("audit", help="verify the bags checked longest ago first (for cron)")
    add_root(p)
    p.add_argument("--older-than", metavar="AGE", help="only bags last checked before AGE ago (e.g. 90d)")
    p.add_argument("--limit", type=_jobs, metavar="N", help="check at most N bags")
    p.add_argument("--budget", metavar="TIME", help="start no new bag after TIME (e.g. 10m)")
    _add_check_options(p)
    p.set_defaults(handler=cmd_audit)

    p = sub.add_parser("validate-bag", help="check any BagIt bag on disk against RFC 8493")
    p.add_argument("path", type=Path, help="the bag folder, or a .tar, .tar.gz or .zip holding one")
    p.add_argument("--fast", action="store_true",
                   help="check completeness and Payload-Oxum only, without reading the files")
    add_json(p)
    p.set_defaults(handler=cmd_validate_bag)


def print_bag_result(result: BagResult, label: str) -> None:
    """Errors and warnings one per line, then the verdict; names are shown, never obeyed."""
    for problem in result.problems:
        print(f"  {one_line(problem.line())}")
    verdict = {"success": "valid", "warning": "valid, with warnings", "failure": "INVALID"}[result.outcome]
    mode = " (fast: completeness and Payload-Oxum only, contents not read)" if result.fast else ""
    print(f"{one_line(label)}: {verdict}; {len(result.errors())} errors, "
          f"{len(result.warnings())} warnings{mode}")


def cmd_validate_bag(args: argparse.Namespace) -> int:
    from archive.deposit.verify import is_package

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
    from archive.deposit.extract import Refused
    from archive.deposit.verify import validate_package

    name = args.path.name
    try:
        result = validate_package(args.path, fast=args.fast)
    except Refused as exc:
        if args.json:
            print_json({"path": str(args.path), "outcome": "failure", "refused": exc.reasons})
        else:
            fail(one_line(f"{args.path}: refused before validation; nothing was kept"))
            for reason in exc.reasons:
                fail(one_line(f"  {reason}"))
        raise CommandFailed from None
    if args.json:
        print_json({**result.to_dict(), "package": str(args.path)})
    else:
        print(one_line(f"validated the bag inside {name}"))
        print_bag_result(result, str(args.path))
    if not result.valid:
        raise CommandFailed
    return 0


def _bar_update(update):
    """Adapt verify's progress (bags, bytes) to the shared bar: bags counted, bytes in the text."""
    def progress(done: int, total: int, done_bytes: int, total_bytes: int) -> None:
        update(done, total, extra=f"{done_bytes / 1e6:,.1f} of {total_bytes / 1e6:,.1f} MB")
    return progress


def _finish(report: VerifyReport, args: argparse.Namespace, verbose: bool) -> int:
    data = report.to_dict()
    if args.report:
        try:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            import orjson

            atomic_write(args.report, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        except OSError as exc:
            raise ArchiveError(f"cannot write the report to {args.report}: {exc.strerror or exc}") from None
    if args.json:
        print_json(data)
    else:
        if verbose:
            for bag in report.bags:
                if bag.outcome == "success":
                    continue
                label = "FAILED" if bag.outcome == "failure" else "warning"
                print(f"{label} {bag.record_id} v{bag.version} ({bag.path})")
                for problem in bag.problems:
                    print(f"  {one_line(problem.line())}")
            for orphan in report.orphans:
                print(f"ORPHAN {one_line(orphan)}: a bag folder no record claims")
        print(report.summary())
    if report.cancelled and not report.bags:
        fail("nothing was checked")
    return 0 if report.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    arc = open_from(args)
    with progress_bar("verifying bags", 0) as update:
        report = verify_archive(arc, args.ids or None, fast=args.fast, jobs=args.jobs,
                                progress=_bar_update(update))
    return _finish(report, args, verbose=True)


def cmd_audit(args: argparse.Namespace) -> int:
    arc = open_from(args)
    older = parse_duration(args.older_than) if args.older_than else None
    budget = parse_duration(args.budget) if args.budget else None
    with progress_bar("auditing bags", 0) as update:
        report = audit(arc, older_than=older, limit=args.limit, budget=budget, fast=args.fast,
                       jobs=args.jobs, progress=_bar_update(update))
    return _finish(report, args, verbose=False)
