"""archive.toml: the settings of one archive, and how an archive's root is found.

The root is found like git finds a repository, so every command works from anywhere inside an
archive without repeating ``--root``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive.errors import ArchiveError, NotAnArchiveError

CONFIG_NAME = "archive.toml"
ROOT_ENV = "ARCHIVE_ROOT"
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Settings:
    """What archive.toml holds; defaults are what ``archive init`` writes."""

    organization: str = ""
    contact_name: str = ""
    contact_email: str = ""
    id_prefix: str = "ART"
    algorithms: list[str] = field(default_factory=lambda: ["sha256", "sha512"])
    profile: str = "article-archive"

    def validate(self) -> None:
        """Refuse settings that would make invalid ids or bag-info values later."""
        if not PREFIX_RE.match(self.id_prefix):
            raise ArchiveError(
                f"id prefix {self.id_prefix!r} must be 1-10 capital letters or digits, "
                "starting with a letter"
            )
        if self.contact_email and not EMAIL_RE.match(self.contact_email):
            raise ArchiveError(f"contact e-mail {self.contact_email!r} is not an e-mail address")
        for name in ("organization", "contact_name"):
            value = getattr(self, name)
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise ArchiveError(f"{name.replace('_', ' ')} must be one line without control characters")
        unknown = set(self.algorithms) - {"sha256", "sha512"}
        if unknown or not self.algorithms:
            raise ArchiveError("algorithms must be sha256 and/or sha512")


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def dump_settings(settings: Settings) -> str:
    """Render archive.toml by hand: the file is flat, and a writer dependency would be overkill."""
    lines = ["# article-archive settings", "[archive]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in asdict(settings).items()]
    return "\n".join(lines) + "\n"


def load_settings(root: Path) -> Settings:
    """Read archive.toml, naming the file when it is damaged."""
    path = root / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ArchiveError(f"{path}: cannot read settings ({exc})") from None
    section = data.get("archive", {})
    known = {k: v for k, v in section.items() if k in Settings.__dataclass_fields__}
    settings = Settings(**known)
    settings.validate()
    return settings


def find_root(explicit: str | os.PathLike[str] | None = None, start: Path | None = None) -> Path:
    """Resolve the archive root: explicit, then $ARCHIVE_ROOT, then the nearest parent."""
    given = explicit or os.environ.get(ROOT_ENV)
    if given:
        root = Path(given).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise NotAnArchiveError(
                f"{root} is not an archive (no {CONFIG_NAME}); create one with: archive init {root}"
            )
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise NotAnArchiveError(
        f"no archive here or in any parent folder of {here}; "
        "create one with: archive init DIR (or pass --root / set ARCHIVE_ROOT)"
    )
