"""Where the shipped JSON documents (schemas, profiles) are found.

The wheel carries schemas/ as ``archive/schemas``; a source checkout has it beside the package.
Looking in both keeps editable and installed copies working alike.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from archive.errors import InstallationError

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def schemas_dir() -> Path:
    """The folder holding the JSON Schemas, in the wheel or in a checkout."""
    for candidate in (_PACKAGE_DIR / "schemas", _PACKAGE_DIR.parent / "schemas"):
        if (candidate / "record.schema.json").is_file():
            return candidate
    raise InstallationError("schemas/ is missing from this installation of article-archive")


@cache
def load_json(relative: str) -> dict:
    """A shipped JSON document by its path under schemas/, parsed once per process."""
    return json.loads((schemas_dir() / relative).read_text(encoding="utf-8"))


def cache_dir() -> Path:
    """Where remembered verdicts and formatted citations live: ``$ARCHIVE_CACHE_DIR``, else the
    user's cache folder. Read afresh on each call, so a test (or a user) can point it elsewhere."""
    folder = os.environ.get("ARCHIVE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "article-archive")
    return Path(folder)
