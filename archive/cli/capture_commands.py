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

from archive.cli.common import CommandFailed, add_json, add_root, fail, open_from, print_json, printable

ORDER = 15


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("capture", help="capture web pages (WARC) and catalogue them")
    add_root(p)
    p.add_argument("urls", nargs="*", metavar="URL")
    p.add_argument("--from-file", type=Path, metavar="FILE",
                   help="one URL a line (blank lines and lines starting with # are skipped)")
    p.add_argument("--requisites", action="store_true",
                   help="also capture the page's same-origin images and stylesheets into the WARC")
    p.add_argument("--allow-private", action="store_true",
                   help="allow loopback and private addresses (tests on 127.0.0.1)")
    p.add_argument("--allow-duplicate", action="store_true",
                   help="catalogue a page even if the same HTML is already catalogued")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="give up on a server silent this long (default 30; 120 s per page in all)")
    p.add_argument("--max-mb", type=_positive, default=256, metavar="MB",
                   help="largest body accepted, as received and decoded (default 256)")
    p.add_argument("--workers", type=_positive, default=4, help="hosts fetched at once (default 4)")
    p.add_argument("--delay", type=float, default=1.0,
                   help="seconds between two requests to one host (default 1)")
    add_json(p)
    p.set_defaults(handler=cmd_capture)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


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
