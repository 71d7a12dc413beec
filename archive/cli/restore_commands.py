"""restore: a whole archive rebuilt from one replica (by its name here, or by its URL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from archive.cli.common import CommandFailed, add_json, add_root, fail, print_json, printable, progress_bar
from archive.errors import UsageError

if TYPE_CHECKING:
    from archive.storage.base import Storage

ORDER = 26


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("restore", help="rebuild a whole archive in DIR from one replica")
    add_root(p)
    p.add_argument("--from", dest="source", required=True, metavar="NAME|URL",
                   help="a replica named in this archive's archive.toml, or a replica's URL "
                        "(a folder, sftp://user@host/path, s3://bucket/prefix)")
    p.add_argument("dest", type=Path, metavar="DIR", help="a new or empty folder for the archive")
    p.add_argument("--endpoint-url", default="", help="S3 endpoint of a URL given to --from (MinIO, Ceph...)")
    p.add_argument("--region", default="", help="S3 region of a URL given to --from")
    add_json(p)
    p.set_defaults(handler=cmd_restore)


def replica_from(args: argparse.Namespace) -> Storage:
    """The replica --from names: one of the current archive's, when there is a current archive
    with a replica of that name; otherwise a replica URL."""
    from archive.config import find_root, load_settings
    from archive.errors import NotAnArchiveError
    from archive.replicas.remote import replica_storage
    from archive.storage.local import LocalStorage
    from archive.storage.urls import storage_from_url

    try:
        root = find_root(getattr(args, "root", None))
        settings = load_settings(root)
    except NotAnArchiveError:
        settings = None
    else:
        from archive.outputs import check_output_path

        check_output_path(root, args.dest, what="restored archive")
    if settings is not None and args.source in settings.replicas:
        if args.endpoint_url or args.region:
            raise UsageError(f"replica {args.source!r} takes its endpoint and region from archive.toml; "
                             "--endpoint-url and --region go with a URL")
        return replica_storage(settings.replicas[args.source])
    storage = storage_from_url(args.source, endpoint_url=args.endpoint_url or None,
                               region=args.region or None)
    if isinstance(storage, LocalStorage) and not Path(storage.root).is_dir():
        known = ", ".join(sorted(settings.replicas)) if settings and settings.replicas else "none here"
        raise UsageError(f"{args.source!r} is neither a replica of this archive (replicas: {known}) "
                         "nor a folder")
    return storage


def cmd_restore(args: argparse.Namespace) -> int:
    from archive.replicas.restore import restore

    storage = replica_from(args)
    with progress_bar("restoring", 0, "bags") as update:
        result = restore(storage, args.dest, progress=update)
    if args.json:
        print_json(result.as_json())
    else:
        for line in result.lines():
            print(printable(line))
    for problem in result.problems:
        fail(printable(problem))
    if not result.ok:
        raise CommandFailed
    return 0
