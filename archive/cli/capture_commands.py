"""Web capture commands: capture, recapture, diff.

Exit codes, for cron: 0 every URL captured (or already in the archive, or unchanged on
recapture), 1 at least one failed (each failure is one ``archive: error:`` line with its HTTP
status or error, then the summary), 2 a usage error. Start-up stays light: the capture library
(urllib3, warcio, the extractor) is imported inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
)

ORDER = 15


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("capture", help="capture web pages (WARC) and catalogue them")
    add_root(p)
    p.add_argument("urls", nargs="*", metavar="URL")
    p.add_argument("--from-file", type=Path, metavar="FILE",
                   help="one URL a line (blank lines and lines starting with # are skipped)")
    p.add_argument("--requisites", action="store_true",
                   help="also capture the page's same-origin images and stylesheets into the WARC")
    p.add_argument("--allow-duplicate", action="store_true",
                   help="catalogue a page even if the same HTML is already catalogued")
    _add_fetch_options(p)
    p.add_argument("--workers", type=positive_int, default=4, help="hosts fetched at once (default 4)")
    p.add_argument("--delay", type=float, default=1.0,
                   help="seconds between two requests to one host (default 1)")
    add_json(p)
    p.set_defaults(handler=cmd_capture)

    p = sub.add_parser("recapture", help="fetch captured pages again; record what changed")
    add_root(p)
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument("--all", action="store_true", help="every captured page (the newest of each)")
    p.add_argument("--older-than", type=duration, metavar="AGE",
                   help="with --all: only pages last fetched longer ago than AGE (30d, 12h, 1w)")
    _add_fetch_options(p)
    add_json(p)
    p.set_defaults(handler=cmd_recapture)

    p = sub.add_parser("diff", help="the words that changed between a capture and its recapture")
    add_root(p)
    p.add_argument("id")
    add_json(p)
    p.set_defaults(handler=cmd_diff)


def _add_fetch_options(p: argparse.ArgumentParser) -> None:
    """What capture and recapture both fetch with: the same limits, the same address rule."""
    p.add_argument("--allow-private", action="store_true",
                   help="allow loopback and private addresses (tests on 127.0.0.1)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="give up on a server silent this long (default 30; 120 s per page in all)")
    p.add_argument("--max-mb", type=positive_int, default=256, metavar="MB",
                   help="largest body accepted, as received and decoded (default 256)")


def _cli_words(message: str) -> str:
    """The library names its keyword; the command line has an option."""
    return message.replace("(pass allow_private to fetch it)", "(give --allow-private to fetch it)")


def _read_url_file(path: Path) -> list[str]:
    from archive.errors import UsageError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; give one URL a line") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    import os

    from archive.capture.catalogue import CaptureOptions
    from archive.capture.fetch import Limits
    from archive.errors import UsageError

    timeout = getattr(args, "timeout", 30.0)
    if not 0 < timeout <= 3600:
        raise UsageError("--timeout must be more than 0 and at most 3600 seconds")
    limits = Limits(read_seconds=timeout, total_seconds=max(120.0, timeout),
                    max_bytes=getattr(args, "max_mb", 256) * 1024 * 1024)
    # ARCHIVE_CAPTURE_CA_FILE: a local certificate authority for HTTPS tests; never set otherwise.
    return CaptureOptions(limits=limits, requisites=getattr(args, "requisites", False),
                          allow_private=args.allow_private,
                          allow_duplicate=getattr(args, "allow_duplicate", False),
                          ca_file=os.environ.get("ARCHIVE_CAPTURE_CA_FILE") or None)


def cmd_capture(args: argparse.Namespace) -> int:
    from archive.capture.run import capture_many
    from archive.cli.common import progress_bar
    from archive.errors import UsageError

    urls = list(args.urls) + (_read_url_file(args.from_file) if args.from_file else [])
    if not urls:
        raise UsageError("give at least one URL, or --from-file FILE")
    if args.delay < 0:
        raise UsageError("--delay must be 0 or more seconds")
    arc = open_from(args)

    def show(line) -> None:  # type: ignore[no-untyped-def]
        if args.json:
            return
        if line.state == "failed":
            fail(printable(_cli_words(line.error or "")))
        elif line.state == "already":
            print(printable(f"{line.id}  already in the archive  {line.url}"), flush=True)
        else:
            print(printable(f"{line.id}  {line.url}"), flush=True)

    with progress_bar("capturing", len(urls), "pages") as progress:
        report = capture_many(arc, urls, _options(args), workers=args.workers, delay=args.delay,
                              progress=progress, on_line=show)
    if args.json:
        print_json({
            "captured": [vars(line) for line in report.lines if line.state != "failed"],
            "failed": [{"url": line.url, "status": line.status, "error": line.error}
                       for line in report.failed],
            "summary": report.summary(),
            "resumed": report.resumed,
        })
    else:
        if report.failed and len(report.lines) > 1:
            print("failed:", file=sys.stderr)
            for line in report.failed:
                status = f"HTTP {line.status}" if line.status else "error"
                print(printable(f"  {line.url}  {status}"), file=sys.stderr)
        print(report.summary())
    if report.failed:
        raise CommandFailed
    return 0


def cmd_recapture(args: argparse.Namespace) -> int:
    from archive.capture.catalogue import contact_of
    from archive.capture.recapture import due_for_recapture
    from archive.cli.common import progress_bar
    from archive.errors import UsageError
    from archive.progress import Step

    if bool(args.ids) == bool(args.all):
        raise UsageError("give record ids, or --all")
    if args.older_than is not None and not args.all:
        raise UsageError("--older-than goes with --all")
    arc = open_from(args)
    contact_of(arc)
    ids = due_for_recapture(arc, args.older_than or 0.0) if args.all else list(dict.fromkeys(args.ids))
    options = _options(args)
    results: list[dict] = []
    failed: list[dict] = []
    with progress_bar("recapturing", len(ids), "pages") as progress:
        for number, record_id in enumerate(ids, 1):
            _recapture_one(arc, record_id, options, args, results, failed)
            progress(Step(number, len(ids)))
    summary = (f"recaptured {len(results)}: {sum(r['outcome'] == 'unchanged' for r in results)} unchanged, "
               f"{sum(r['outcome'] == 'changed' for r in results)} changed, "
               f"{sum(r['outcome'] == 'gone' for r in results)} gone; {len(failed)} failed")
    if args.json:
        print_json({"recaptured": results, "failed": failed, "summary": summary})
    else:
        print(summary)
    if failed:
        raise CommandFailed
    return 0


def _recapture_one(arc, record_id: str, options, args: argparse.Namespace,  # type: ignore[no-untyped-def]
                   results: list[dict], failed: list[dict]) -> None:
    from archive.capture.recapture import recapture
    from archive.errors import ArchiveError

    try:
        done = recapture(arc, record_id, options)
    except ArchiveError as exc:
        failed.append({"id": record_id, "error": str(exc), "status": getattr(exc, "status", None)})
        if not args.json:
            fail(printable(_cli_words(str(exc))))
        return
    results.append(vars(done))
    if not args.json:
        against = f" (compared with {done.compared})" if done.compared != record_id else ""
        made = f" -> {done.new_id}" if done.new_id else ""
        gone = f" {done.status}" if done.outcome == "gone" else ""
        print(printable(f"{record_id}  {done.outcome}{gone}{made}{against}"), flush=True)


def cmd_diff(args: argparse.Namespace) -> int:
    from archive.capture.recapture import diff_captures, render_diff

    arc = open_from(args)
    diff = diff_captures(arc, args.id)
    if args.json:
        print_json({"old": {"id": diff.old_id, "captured": diff.old_captured},
                    "new": {"id": diff.new_id, "captured": diff.new_captured},
                    "changed": diff.changed, "ops": [list(op) for op in diff.ops]})
    else:
        for line in render_diff(diff).splitlines():
            print(printable(line))
    return 0
