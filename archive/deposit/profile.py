"""Checking a bag against a BagIt profile (bagit-profiles specification, up to version 1.4.0).

bagit-profile (the Python package) stops at the first fault of each kind and requires the bag to
name the profile's URL; a depositor needs every unmet rule at once, and a profile handed over as
a file. So the rules are checked here, each failure one line that names the rule.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import orjson

from archive.bagit_format import taginfo
from archive.errors import ArchiveError
from archive.resources import load_json

DEFAULT_PROFILE = "profiles/article-archive.json"
MEDIA_TYPES = {"tar": "application/x-tar", "tar.gz": "application/gzip", "zip": "application/zip"}
_IMPLICIT_TAG_FILES = ("bagit.txt", "manifest-*.txt", "tagmanifest-*.txt", "fetch.txt")


def load_profile(path: Path | None = None) -> dict:
    """The profile at ``path``, or the shipped default; a broken file is a one-line error."""
    if path is None:
        return orjson.loads(orjson.dumps(load_json(DEFAULT_PROFILE)))  # a copy callers may change
    try:
        profile = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read the profile ({exc.strerror})") from None
    except orjson.JSONDecodeError as exc:
        raise ArchiveError(f"{path}: the profile is not valid JSON ({exc})") from None
    if not isinstance(profile, dict) or not isinstance(profile.get("BagIt-Profile-Info"), dict):
        raise ArchiveError(f"{path}: not a BagIt profile (BagIt-Profile-Info is missing)")
    return profile


def _bag_files(bag: Path) -> tuple[list[str], list[str]]:
    """Tag files (top level, any depth outside data/) and payload files, as bag-relative paths."""
    tags: list[str] = []
    payload: list[str] = []
    for folder, dirs, files in os.walk(bag):
        rel = os.path.relpath(folder, bag)
        for name in files:
            path = name if rel == "." else f"{rel}/{name}"
            (payload if path.startswith("data/") else tags).append(path)
        dirs.sort()
    return sorted(tags), sorted(payload)


def _algorithms(names: list[str], prefix: str) -> set[str]:
    return {n[len(prefix):-4] for n in names if n.startswith(prefix) and n.endswith(".txt") and "/" not in n}


def _version(bag: Path) -> str:
    try:
        info, _ = taginfo.parse_strict((bag / "bagit.txt").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return ""
    return (info.get("bagit-version") or [""])[-1]


def _bag_info_rules(bag: Path, rules: dict) -> list[str]:
    try:
        values, malformed = taginfo.parse_strict((bag / "bag-info.txt").read_text(encoding="utf-8"))
    except FileNotFoundError:
        values, malformed = {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return [f"Bag-Info: bag-info.txt cannot be read ({exc})"]
    unmet = [f"Bag-Info: bag-info.txt line {number} is not 'Label: value'" for number in malformed]
    for label, rule in rules.items():
        found = values.get(label.lower(), [])
        rule = rule if isinstance(rule, dict) else {}
        if rule.get("required") and not any(v.strip() for v in found):
            unmet.append(f"Bag-Info: {label} is required but missing")
        if rule.get("repeatable") is False and len(found) > 1:
            unmet.append(f"Bag-Info: {label} must appear once, found {len(found)} times")
        allowed = rule.get("values")
        if allowed:
            unmet += [f"Bag-Info: {label} value {v!r} is not one of {allowed}"
                      for v in found if v not in allowed]
    return unmet


def _listed(kind: str, required: list[str], present: set[str], allowed: list[str] | None) -> list[str]:
    unmet = [f"{kind}-Required: {name} is missing" for name in required if name not in present]
    if allowed is not None:
        unmet += [f"{kind}-Allowed: {name} is not allowed" for name in sorted(present) if name not in allowed]
    return unmet


def _files(kind: str, required: list[str], present: list[str], allowed: list[str] | None) -> list[str]:
    unmet = [f"{kind}-Required: {pattern} is missing" for pattern in required
             if not fnmatch.filter(present, pattern)]
    if allowed is not None:
        unmet += [f"{kind}-Allowed: {path} is not allowed" for path in present
                  if not any(fnmatch.fnmatchcase(path, p) for p in allowed)]
    return unmet


def check_profile(bag: Path, profile: dict, serialization: str | None = None) -> list[str]:
    """Every rule of ``profile`` the bag folder does not meet; empty when it conforms.

    ``serialization`` is the format it is about to be written in (tar, tar.gz, zip), or None.
    """
    tags, payload = _bag_files(bag)
    unmet = _bag_info_rules(bag, profile.get("Bag-Info") or {})
    unmet += _listed("Manifests", profile.get("Manifests-Required") or [], _algorithms(tags, "manifest-"),
                     profile.get("Manifests-Allowed"))
    unmet += _listed("Tag-Manifests", profile.get("Tag-Manifests-Required") or [],
                     _algorithms(tags, "tagmanifest-"), profile.get("Tag-Manifests-Allowed"))
    allowed_tags = profile.get("Tag-Files-Allowed")
    if allowed_tags is not None:
        allowed_tags = [*allowed_tags, *_IMPLICIT_TAG_FILES]
    unmet += _files("Tag-Files", profile.get("Tag-Files-Required") or [], tags, allowed_tags)
    unmet += _files("Payload-Files", profile.get("Payload-Files-Required") or [], payload,
                    profile.get("Payload-Files-Allowed"))
    has_fetch = "fetch.txt" in tags
    if has_fetch and profile.get("Allow-Fetch.txt") is False:
        unmet.append("Allow-Fetch.txt: fetch.txt is present but not allowed")
    if not has_fetch and profile.get("Fetch.txt-Required"):
        unmet.append("Fetch.txt-Required: fetch.txt is missing")
    if profile.get("Data-Empty") and not (not payload or (len(payload) == 1 and
                                                           (bag / payload[0]).stat().st_size == 0)):
        unmet.append("Data-Empty: the payload must be empty")
    versions = profile.get("Accept-BagIt-Version")
    if versions and _version(bag) not in versions:
        found = _version(bag) or "(none)"
        unmet.append(f"Accept-BagIt-Version: BagIt-Version {found} is not one of {versions}")
    rule = profile.get("Serialization", "optional")
    if rule == "required" and serialization is None:
        unmet.append("Serialization: the bag must be serialised")
    if rule == "forbidden" and serialization is not None:
        unmet.append("Serialization: the bag must not be serialised")
    accepted = profile.get("Accept-Serialization")
    if serialization and accepted and MEDIA_TYPES[serialization] not in accepted:
        unmet.append(f"Accept-Serialization: {MEDIA_TYPES[serialization]} is not accepted")
    return unmet
