"""``archive demo``: build an archive from the sample collection and open it in the TUI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ORDER = 95


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="build a demo archive from records/ (bagged, verified) and open it")
    p.add_argument("--dir", type=Path, default=Path("demo-archive"),
                   help="where to build it (default: ./demo-archive; rebuilt on every run)")
    p.add_argument("--no-tui", action="store_true", help="build it and stop (for scripts)")
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from archive.cli.launch import launch_tui
    from archive.demo import build_demo

    summary = build_demo(args.dir, step=lambda text: print(f"demo: {text}", file=sys.stderr))
    arc = summary.archive
    print(f"demo archive in {arc.root}: {summary.imported} record(s) imported, "
          f"{summary.bagged} bagged, {summary.verified} verified, {summary.failures} failed")
    if args.no_tui:
        print(f"open it with: archive --root {arc.root}")
        return 1 if summary.failures else 0
    return launch_tui(arc.root)
