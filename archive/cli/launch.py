"""Starting the terminal UI from the command line without the library importing it.

archive/ must never import textual or tui (the library stays usable headless), so the CLI
replaces its process with ``python -m tui``, passing the archive root along.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from archive.errors import ArchiveError


def launch_tui(root: Path | None) -> int:
    """Replace this process with the Textual app; returns only when it cannot start."""
    if importlib.util.find_spec("tui") is None:
        raise ArchiveError("the terminal UI is not installed with this copy of article-archive")
    if not sys.stdout.isatty() and not os.environ.get("ARCHIVE_FORCE_TUI"):
        raise ArchiveError("the terminal UI needs a terminal; use the archive commands in scripts")
    argv = [sys.executable, "-m", "tui"]
    if root is not None:
        argv += ["--root", str(root)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)
    return 1  # pragma: no cover - execv does not return
