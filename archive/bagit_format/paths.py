"""Payload names and manifest paths, the two places where a file name meets the BagIt format.

RFC 8493 §2.1.3 requires CR, LF and ``%`` in a manifest path to be percent-encoded. bagit 1.9.0
encodes CR and LF but not ``%`` and never decodes ``%25``, so a literal ``%`` in a payload name
makes a bag that either breaks the RFC or fails bagit's own validation. The archive therefore
never puts ``%`` (or CR/LF, or any control character) into the name of a file it writes: the
name shown is kept, with ``%`` replaced by the look-alike FULLWIDTH PERCENT SIGN, and the name
as received stays in record.json. ``conform`` refuses a manifest that still holds a bare
``%``; ``decode_path`` reads manifest and fetch.txt paths, ``encode_path`` writes them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from archive.bagit_format.payload import SOURCE_DIR, source_path
from archive.untrusted import safe_basename

PERCENT_STAND_IN = "\uff05"  # ％, FULLWIDTH PERCENT SIGN
_DECODE_RE = re.compile(r"%(0A|0D|25)", re.IGNORECASE)
_DECODED = {"0a": "\n", "0d": "\r", "25": "%"}
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+=,@-]{0,199}")
"""A name both naming rules keep exactly as it is: ASCII (so NFC changes nothing), no separator,
control character, space or ``%``, not starting with a dot or a dash, at most 200 bytes."""


def payload_name(filename: str) -> str:
    """The name a user-supplied file gets inside a bag: safe, readable, and free of ``%``.

    ``untrusted.safe_basename`` drops what would break a manifest line or mislead a reader: a line
    or paragraph separator (U+2028, U+2029) or NEL (U+0085) would split the line in two, and no
    bag could be written for such a name.
    """
    return safe_basename(filename, fallback="source.txt").replace("%", PERCENT_STAND_IN)


def _legacy_safe_filename(name: str) -> str:
    """The rule bags were named by before ``safe_basename``, frozen here: bags made under it are
    never rewritten, so it must not change when the rule for new names does."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join("_" if (ord(c) < 32 or ord(c) == 127) else c for c in base).strip()
    base = base.lstrip(".") or "source.txt"
    while len(base.encode("utf-8")) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:-1] + dot + ext) if dot and stem else base[:-1]
    return base


def legacy_payload_name(filename: str) -> str:
    """The name bags made before ``payload_name`` used ``safe_basename`` gave a file: the same for
    almost every name, but a leading dash or an invisible format character was kept."""
    return _legacy_safe_filename(filename).replace("%", PERCENT_STAND_IN)


def source_payload(bag: Path | str, filename: str) -> str:
    """The bag-relative path (``data/source/<name>``) under which ``bag`` holds the source file
    catalogued as ``filename``: its payload name, or in a bag made before that rule, its old
    name when only that one is there. A bag is never rewritten, so both must keep verifying.

    A plain name (``_PLAIN_NAME``: nearly every file this archive catalogues) is its own payload
    name under both rules, so neither rule runs for it: verify asks this for every bag it checks."""
    if _PLAIN_NAME.fullmatch(filename):
        return source_path(filename)
    name = payload_name(filename)
    legacy = legacy_payload_name(filename)
    if legacy != name:
        folder = os.path.join(bag, *SOURCE_DIR.split("/"))
        if not os.path.lexists(os.path.join(folder, name)) and os.path.lexists(os.path.join(folder, legacy)):
            name = legacy
    return source_path(name)


def encode_path(path: str) -> str:
    """A relative bag path as a manifest line writes it (RFC 8493 §2.1.3)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(text: str, version: tuple[int, int] = (1, 0)) -> str:
    """The inverse of ``encode_path``; other ``%XX`` sequences are left as they are, as the RFC says.

    Only RFC 8493 (BagIt 1.0) percent-encodes; a path in a bag of an earlier version is literal.
    """
    if version < (1, 0):
        return text
    return _DECODE_RE.sub(lambda m: _DECODED[m.group(1).lower()], text)
