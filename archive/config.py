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

    def problem(self) -> tuple[str, str] | None:
        """The first setting that would make invalid ids or bag-info values later, with why."""
        if not PREFIX_RE.match(self.id_prefix):
            return "id_prefix", (f"id prefix {self.id_prefix!r} must be 1-10 capital letters or "
                                 "digits, starting with a letter")
        if self.contact_email and not EMAIL_RE.match(self.contact_email):
            return "contact_email", f"contact e-mail {self.contact_email!r} is not an e-mail address"
        for name in ("organization", "contact_name"):
            value = getattr(self, name)
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                return name, f"{name.replace('_', ' ')} must be one line without control characters"
        unknown = set(self.algorithms) - {"sha256", "sha512"}
        if unknown or not self.algorithms:
            return "algorithms", "algorithms must be sha256 and/or sha512"
        return None

    def validate(self) -> None:
        """Refuse settings that would make invalid ids or bag-info values later."""
        found = self.problem()
        if found:
            raise ArchiveError(found[1])


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


def _expected(value: object, default: object) -> str | None:
    """What is wrong with a value of archive.toml, judged by the type of its default."""
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of strings, such as [\"sha256\", \"sha512\"]"
    elif not isinstance(value, str):
        return "expected a string (in double quotes)"
    return None


def settings_from(data: dict, where: str) -> Settings:
    """Settings from parsed TOML, every key and value checked: one line naming ``where`` and
    the key for the first fault, so a hand-edited file never fails later as a type error."""
    for section, value in data.items():
        if section != "archive":
            raise ArchiveError(f"{where}: {section}: unknown section (only [archive] is read)")
        if not isinstance(value, dict):
            raise ArchiveError(f"{where}: archive: expected a table ([archive] followed by settings)")
    section = data.get("archive", {})
    defaults = asdict(Settings())
    for key, value in section.items():
        if key not in defaults:
            known = ", ".join(defaults)
            raise ArchiveError(f"{where}: archive.{key}: unknown setting (known: {known})")
        problem = _expected(value, defaults[key])
        if problem:
            raise ArchiveError(f"{where}: archive.{key}: {problem}")
    settings = Settings(**section)
    found = settings.problem()
    if found:
        raise ArchiveError(f"{where}: archive.{found[0]}: {found[1]}")
    return settings


def load_settings(root: Path) -> Settings:
    """Read archive.toml: the one path every setting takes, naming the file and the key."""
    path = root / CONFIG_NAME
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read settings ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"{path}: not UTF-8 (byte {exc.start}); it must be a UTF-8 TOML file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ArchiveError(f"{path}: not valid TOML ({exc})") from None
    return settings_from(data, str(path))


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
