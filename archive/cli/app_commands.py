"""``archive tui``: open the Textual app (also what ``archive`` with no command does)."""

from __future__ import annotations

import argparse
from pathlib import Path

from archive.cli.common import add_root

ORDER = 90


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tui", help="open the terminal UI (the default with no command)")
    add_root(p)
    p.set_defaults(handler=cmd_tui)


def cmd_tui(args: argparse.Namespace) -> int:
    from archive.cli.launch import launch_tui
    from archive.config import find_root

    root: Path = find_root(getattr(args, "root", None))
    return launch_tui(root)
