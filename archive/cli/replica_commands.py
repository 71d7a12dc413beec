"""Commands for copies of the archive elsewhere: replica add | list | remove | clean, and replicate.

The replica machinery (and boto3 or paramiko behind it) is imported inside the handlers only.
"""

from __future__ import annotations

import argparse

from archive.cli.common import (
    CommandFailed,
    add_json,
    add_root,
    duration,
    fail,
    open_from,
    print_json,
    printable,
    progress_bar,
)

ORDER = 35


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be from 1 to 64")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replica", help="add, list, remove or clean replicas (copies on a folder, SFTP or S3)")
    add_root(p)
    actions = p.add_subparsers(dest="replica_action", metavar="ACTION")
    p.set_defaults(handler=lambda args: _usage(p))

    a = actions.add_parser("add", help="add a replica: a folder (path or file://), "
                                       "sftp://user@host[:port]/path or s3://bucket/prefix; credentials "
                                       "come from ssh-agent, ~/.ssh or the AWS environment, never the URL")
    add_root(a)
    a.add_argument("name", metavar="NAME", help="1-32 lower-case letters, digits, '-' or '_'")
    a.add_argument("url", metavar="URL")
    a.add_argument("--endpoint-url", default="", metavar="U", help="S3-compatible service's endpoint "
                   "(MinIO, Ceph RGW, Wasabi, B2)")
    a.add_argument("--region", default="", metavar="R", help="S3 region")
    a.set_defaults(handler=cmd_replica_add)

    a = actions.add_parser("list", help="the replicas archive.toml names")
    add_root(a)
    add_json(a)
    a.set_defaults(handler=cmd_replica_list)

    a = actions.add_parser("remove", help="forget a replica (nothing on it is deleted)")
    add_root(a)
    a.add_argument("name", metavar="NAME")
    a.set_defaults(handler=cmd_replica_remove)

    a = actions.add_parser("clean", help="remove what killed writes left on a replica (temporaries, "
                                         "unfinished uploads); never a committed file")
    add_root(a)
    a.add_argument("name", metavar="NAME")
    a.add_argument("--older-than", type=duration, default=None, metavar="AGE",
                   help="only leftovers last written at least AGE ago (default 1h: a write elsewhere "
                        "may still be going on); e.g. 10m, 0s")
    add_json(a)
    a.set_defaults(handler=cmd_replica_clean)

    p = sub.add_parser("replicate", help="copy every bag version (and sources, and a catalogue snapshot) "
                                         "that a replica lacks; only adds, never deletes")
    add_root(p)
    p.add_argument("names", nargs="*", metavar="NAME", help="replicas to copy to (default: all)")
    p.add_argument("--jobs", type=_jobs, default=8, metavar="N", help="concurrent transfers (default 8)")
    add_json(p)
    p.set_defaults(handler=cmd_replicate)


def _usage(parser: argparse.ArgumentParser) -> int:
    from archive.errors import UsageError

    raise UsageError("replica needs an action: add, list, remove or clean (see archive replica --help)")


def cmd_replica_add(args: argparse.Namespace) -> int:
    from archive.replicas.settings_io import add_replica

    arc = open_from(args)
    print(printable(add_replica(arc, args.name, args.url, args.endpoint_url, args.region)))
    return 0


def cmd_replica_list(args: argparse.Namespace) -> int:
    from archive.replicas.settings_io import list_replicas

    arc = open_from(args)
    replicas = list_replicas(arc)
    if args.json:
        print_json([r.as_json() for r in replicas])
    elif not replicas:
        print("no replicas; add one with: archive replica add NAME URL")
    else:
        for replica in replicas:
            print(printable(replica.line()))
    return 0


def cmd_replica_remove(args: argparse.Namespace) -> int:
    from archive.replicas.settings_io import remove_replica

    arc = open_from(args)
    print(printable(remove_replica(arc, args.name)))
    return 0


def cmd_replica_clean(args: argparse.Namespace) -> int:
    from archive.replicas.clean import OLDER_THAN_S, clean_replica

    arc = open_from(args)
    older_than = OLDER_THAN_S if args.older_than is None else args.older_than
    result = clean_replica(arc, args.name, older_than=older_than)
    if args.json:
        print_json(result.as_json())
    else:
        for line in result.lines():
            print(printable(line))
    for line in result.problems:
        fail(printable(line))
    if not result.ok:
        raise CommandFailed
    return 0


def cmd_replicate(args: argparse.Namespace) -> int:
    from archive.replicas.push import replicate

    arc = open_from(args)
    with progress_bar("replicating bags", 0, "bags") as update:
        result = replicate(arc, args.names or None, jobs=args.jobs, progress=update)
    if args.json:
        print_json(result.as_json())
    else:
        for line in result.lines():
            print(printable(line))
    for line in result.failures():
        fail(printable(line))
    if not result.ok:
        raise CommandFailed
    return 0
