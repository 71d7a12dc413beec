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
REPLICA_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
REPLICA_KEYS = ("url", "endpoint_url", "region")
ARCHIVE_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STYLE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
"""An offered style name or an installed CSL style id; never a path, since archive.toml is input."""
LOCALE_TAG_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")


@dataclass(frozen=True)
class ReplicaSettings:
    """One ``[replicas.NAME]`` table: where a copy lives. Never a credential: those come from the
    standard places (AWS environment/config/profiles, ssh-agent and ~/.ssh), and a URL holding a
    password is refused before it is saved (archive.storage.urls)."""

    name: str
    url: str
    endpoint_url: str = ""
    region: str = ""

    def problem(self) -> str | None:
        if not REPLICA_NAME_RE.match(self.name):
            return (f"replica name {self.name!r} must be 1-32 lower-case letters, digits, '-' or '_', "
                    "starting with a letter or digit")
        for key in REPLICA_KEYS:
            value = getattr(self, key)
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                return f"{key} must be one line without control characters"
        if not self.url:
            return "url is required"
        return None


@dataclass
class Settings:
    """What archive.toml holds; defaults are what ``archive init`` writes."""

    organization: str = ""
    contact_name: str = ""
    contact_email: str = ""
    id_prefix: str = "ART"
    algorithms: list[str] = field(default_factory=lambda: ["sha256", "sha512"])
    profile: str = "article-archive"
    citation_style: str = "apa"
    """The CSL style of each new bag's bag-info ``Citation`` (an offered name such as ``chicago-author-date``
    or an installed style id), which citeproc-js formats from the bag's own citation.json."""
    citation_locale: str = ""
    """Its CSL locale (``en-GB``); empty: the style's own default locale, else en-US, as export does."""
    min_copies: int = 2
    """Good copies (this archive's own plus replicas) a record should have; fewer stands out."""
    archive_id: str = ""
    """A UUID naming this archive, minted by the first ``replica add`` and written into each
    replica's replica.json, so a replica of another archive is never taken for one of this one.
    Empty until then (and in archives made before it existed); a restored archive keeps it."""
    replicas: dict[str, ReplicaSettings] = field(default_factory=dict)

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
        if not STYLE_NAME_RE.match(self.citation_style):
            return "citation_style", (f"citation style {self.citation_style!r} must be a style name such as "
                                      "apa or chicago-author-date (lower-case letters, digits and '-')")
        if self.citation_locale and not LOCALE_TAG_RE.match(self.citation_locale):
            return "citation_locale", (f"citation locale {self.citation_locale!r} must be a locale tag such "
                                       "as en-GB, or empty for the style's own")
        if self.archive_id and not ARCHIVE_ID_RE.match(self.archive_id):
            return "archive_id", (f"archive id {self.archive_id!r} is not a UUID (replica add writes it; "
                                  "do not edit it)")
        if not 1 <= self.min_copies <= 100:
            return "min_copies", "min_copies must be a whole number from 1 to 100"
        for replica in self.replicas.values():
            found = replica.problem()
            if found:
                return f"replicas.{replica.name}", found
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
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def dump_settings(settings: Settings) -> str:
    """Render archive.toml by hand: two flat kinds of table, so a writer dependency would be overkill."""
    lines = ["# article-archive settings", "[archive]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in asdict(settings).items()
              if key != "replicas" and not (key == "archive_id" and not value)]
    for name in sorted(settings.replicas):
        replica = settings.replicas[name]
        lines += ["", f"[replicas.{name}]"]
        lines += [f"{key} = {_toml_value(getattr(replica, key))}" for key in REPLICA_KEYS
                  if getattr(replica, key)]
    return "\n".join(lines) + "\n"


def _expected(value: object, default: object) -> str | None:
    """What is wrong with a value of archive.toml, judged by the type of its default."""
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of strings, such as [\"sha256\", \"sha512\"]"
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            return "expected a whole number, such as 2"
    elif not isinstance(value, str):
        return "expected a string (in double quotes)"
    return None


def settings_from(data: dict, where: str) -> Settings:
    """Settings from parsed TOML, every key and value checked: one line naming ``where`` and
    the key for the first fault, so a hand-edited file never fails later as a type error."""
    for section, value in data.items():
        if section not in ("archive", "replicas"):
            raise ArchiveError(f"{where}: {section}: unknown section "
                               "(only [archive] and [replicas.NAME] are read)")
        if not isinstance(value, dict):
            raise ArchiveError(f"{where}: {section}: expected a table ([{section}] followed by settings)")
    section = dict(data.get("archive", {}))
    defaults = asdict(Settings())
    del defaults["replicas"]
    for key, value in section.items():
        if key not in defaults:
            known = ", ".join(defaults)
            raise ArchiveError(f"{where}: archive.{key}: unknown setting (known: {known})")
        problem = _expected(value, defaults[key])
        if problem:
            raise ArchiveError(f"{where}: archive.{key}: {problem}")
    settings = Settings(**section, replicas=_replicas_from(data.get("replicas", {}), where))
    found = settings.problem()
    if found:
        key = found[0] if found[0].startswith("replicas.") else f"archive.{found[0]}"
        raise ArchiveError(f"{where}: {key}: {found[1]}")
    return settings


def _replicas_from(tables: dict, where: str) -> dict[str, ReplicaSettings]:
    """``[replicas.NAME]`` tables, each key checked: url (required), endpoint_url, region."""
    replicas = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ArchiveError(f"{where}: replicas.{name}: expected a table "
                               f"([replicas.{name}] with url = ...)")
        for key, value in table.items():
            if key not in REPLICA_KEYS:
                raise ArchiveError(f"{where}: replicas.{name}.{key}: unknown setting "
                                   f"(known: {', '.join(REPLICA_KEYS)})")
            if not isinstance(value, str):
                raise ArchiveError(f"{where}: replicas.{name}.{key}: expected a string (in double quotes)")
        replicas[name] = ReplicaSettings(name=name, **{"url": "", **table})
    return replicas


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
