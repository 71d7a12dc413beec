"""Where the archive may write a file the user asked for (a report, a deposit, an export).

The archive's managed folders are written only by the archive's own commands, through the store's
transactions and the bag writer. A user-chosen output path that lands inside them (``verify
--report catalog/records/000000.json``, ``deposit --to bags/<id>/v1/data``) would replace a shard
or change a bag that is promised never to change, so every such path is checked here first.
"""

from __future__ import annotations

import os
from pathlib import Path

from archive.errors import ArchiveError

MANAGED_FOLDERS = ("catalog", "bags", "sources", "staging", "logs")
MANAGED_FILES = ("archive.toml",)


class OutputPathError(ArchiveError):
    """The path asked for would write into the archive's own files."""


def managed_area(root: Path, path: Path) -> str | None:
    """The managed folder or file of the archive at ``root`` that ``path`` falls in, if any."""
    base = Path(os.path.realpath(root))
    target = Path(os.path.realpath(Path(path).expanduser()))
    for name in MANAGED_FOLDERS:
        folder = base / name
        if target == folder or folder in target.parents:
            return f"{name}/"
    for name in MANAGED_FILES:
        if target == base / name:
            return name
    return None


def check_output_path(root: Path, path: Path, *, what: str = "output") -> Path:
    """``path``, after refusing it when it lies inside the archive's managed folders or files."""
    area = managed_area(root, path)
    if area is not None:
        raise OutputPathError(
            f"{path}: the {what} would be written inside the archive's {area}, which only the "
            "archive itself writes; choose a path outside it"
        )
    return Path(path).expanduser()
