"""``python -m tui [--root DIR]``: what ``archive tui`` and ``archive demo`` exec into."""

from __future__ import annotations

import argparse
import logging
import sys

from archive.config import find_root
from archive.crashlog import log_folder, log_name
from archive.errors import ArchiveError
from archive.layout import open_archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="archive tui", description="The article-archive terminal UI.")
    parser.add_argument("--root", help="the archive folder (default: $ARCHIVE_ROOT or the nearest parent)")
    args = parser.parse_args(argv)
    try:
        arc = open_archive(find_root(args.root))
    except ArchiveError as exc:
        print(f"archive: {exc}", file=sys.stderr)
        return 2
    _log_to_file(arc.root)
    from tui.app import ArchiveApp

    ArchiveApp(arc).run()
    return 0


def _log_to_file(root) -> None:
    """What the TUI's workers log (a bug with its traceback) goes to ``<root>/logs/tui-<UTC>-<pid>.log``,
    a file made only if something is logged; the screen is never written over."""
    handler = logging.FileHandler(log_folder(root) / log_name(prefix="tui"), encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("tui")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


if __name__ == "__main__":
    sys.exit(main())
