"""Manifest lines (``checksum path``), split and rendered the one way both sides of a bag agree on.

A line is a hexadecimal digest, whitespace, and a percent-encoded path (RFC 8493 §2.1.3). md5sum's
``*`` binary marker before the path is accepted and reported by the caller. Splitting never touches
the file system and never decodes: the caller decodes the path (``paths.decode_path``) for the bag's
version and checks it before it may name a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.bagit_format.paths import encode_path

_MANIFEST_LINE = re.compile(r"([0-9A-Fa-f]+)[ \t]+(\*?)(.+)")


@dataclass(frozen=True, slots=True)
class ManifestLine:
    """One entry of a manifest: its line number, digest (lower case), path as written, and whether
    it carried md5sum's ``*`` marker."""

    number: int
    digest: str
    path: str
    star: bool


def split_manifest_line(line: str) -> tuple[str, str, bool] | None:
    """(digest in lower case, path as written, star) of one line, or None when it is not one."""
    match = _MANIFEST_LINE.fullmatch(line)
    if match is None:
        return None
    return match.group(1).lower(), match.group(3), bool(match.group(2))


def render_manifest_line(digest: str, path: str) -> str:
    """A manifest line as the archive writes it: two spaces, the path percent-encoded."""
    return f"{digest}  {encode_path(path)}\n"
