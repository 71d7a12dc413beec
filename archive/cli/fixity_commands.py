"""Commands that check fixity: verify (the archive's bags), audit (oldest checks first, for cron)
and validate-bag (any bag on disk, made anywhere)."""

from __future__ import annotations

import argparse
from pathlib import Path

from archive.cli.common import CommandFailed, add_json, one_line, print_json
from archive.fixity.bagcheck import BagResult, validate_bag

ORDER = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate-bag", help="check any BagIt bag on disk against RFC 8493")
    p.add_argument("path", type=Path, help="the bag folder")
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
    result = validate_bag(args.path, fast=args.fast)
    if args.json:
        print_json(result.to_dict())
    else:
        print_bag_result(result, str(args.path))
    if not result.valid:
        raise CommandFailed
    return 0
