"""``archive repair``: put damaged bags and working copies right from a replica, or (with
--replica) a damaged replica right from the local archive."""

from __future__ import annotations

import argparse

from archive.cli.common import (
    CommandFailed,
    add_json,
    add_root,
    open_from,
    print_json,
    printable,
    progress_bar,
)
from archive.cli.fixity_commands import _record_id

ORDER = 31


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("repair", help="repair failing bags and working copies from a replica "
                                      "(or, with --replica, a replica from the local archive)")
    add_root(p)
    p.add_argument("ids", nargs="*", metavar="ID", type=_record_id, help="records to repair (default: all)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--from", dest="from_name", metavar="NAME",
                       help="take good copies only from replica NAME (default: every replica, in name order)")
    which.add_argument("--replica", metavar="NAME",
                       help="repair replica NAME's copies from the local archive instead")
    add_json(p)
    p.set_defaults(handler=cmd_repair)


def cmd_repair(args: argparse.Namespace) -> int:
    from archive.replicas.repair import repair, repair_replica

    arc = open_from(args)
    ids = args.ids or None
    with progress_bar("repairing" if args.replica is None else f"repairing replica {args.replica}",
                      0) as update:
        if args.replica is not None:
            result = repair_replica(arc, args.replica, ids, progress=update)
        else:
            result = repair(arc, ids, from_name=args.from_name, progress=update)
    if args.json:
        print_json(result.as_json())
    else:
        for line in result.lines():
            print(printable(line))
    if not result.ok:
        raise CommandFailed
    return 0
