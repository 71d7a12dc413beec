"""``python -m tui [--root DIR]``: what ``archive tui`` and ``archive demo`` exec into."""

from __future__ import annotations

import argparse
import sys

from archive.config import find_root
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
    from tui.app import ArchiveApp

    ArchiveApp(arc).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
