"""Reading a bag's tag files: the declaration, bag-info.txt, manifests and fetch.txt.

Tag files come from anywhere, so each is read through the inventory (never a path from the bag's
own text), with a size cap for files that must be held in memory and a line-length cap for files
that are streamed, so a 1 GB tag file costs neither memory nor time.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from archive.bagit_format.manifest import ManifestLine, split_manifest_line
from archive.bagit_format.taginfo import parse_strict, split_lines
from archive.fixity.inventory import Inventory, open_checked, read_checked, why
from archive.fixity.problems import INVALID, MISSING, UNREADABLE, Problem, error, warning
from archive.storage.base import StorageError

MAX_SMALL_TAG_FILE = 1 << 20
"""bagit.txt and bag-info.txt are read whole; anything larger is refused, not parsed."""
MAX_MANIFEST = 256 << 20
"""Manifests are streamed; this cap only bounds the memory their entries take."""
MAX_LINE = 64 << 10
KNOWN_VERSIONS = {(0, 93), (0, 94), (0, 95), (0, 96), (0, 97), (1, 0)}
UTF8_BOM = codecs.BOM_UTF8

_VERSION_LINE = re.compile(r"BagIt-Version: ([0-9]+)\.([0-9]+)")
_ENCODING_LINE = re.compile(r"Tag-File-Character-Encoding: (\S+)")


@dataclass(slots=True)
class Declaration:
    """What bagit.txt says; ``version`` is None when it could not be read."""

    version: tuple[int, int] | None = None
    encoding: str = "utf-8"
    problems: list[Problem] = field(default_factory=list)


def read_whole(inv: Inventory, rel: str,
               limit: int = MAX_SMALL_TAG_FILE) -> tuple[bytes | None, Problem | None]:
    """The bytes of a small tag file, or the problem that stopped us reading it."""
    stat = inv.files.get(rel)
    if stat is None:
        return None, error(MISSING, "missing-tag-file", rel, "required tag file is missing")
    if stat.size > limit:
        return None, error(INVALID, "tag-file-too-large", rel,
                           f"{stat.size} bytes; more than the {limit} a tag file of this kind may hold")
    try:
        data = read_checked(inv, rel, limit)
    except (OSError, StorageError) as exc:
        return None, error(UNREADABLE, "unreadable", rel, why(exc))
    if len(data) > limit:
        return None, error(INVALID, "tag-file-too-large", rel, f"more than {limit} bytes")
    return data, None


_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})
"""Python codecs that decode bytes to text but are no character set a bag could be written in."""


def tag_file_codec(name: str) -> str | None:
    """The codec for a declared Tag-File-Character-Encoding, or None when it names none.

    The name comes from a hostile bag: it may hold a NUL (``codecs.lookup`` then raises
    ValueError) or name a bytes-to-bytes codec such as rot13, hex or zlib, which cannot decode
    a tag file at all.
    """
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):  # what str.decode itself consults
        return None
    return None if info.name in _NOT_CHARSETS else info.name


def read_declaration(inv: Inventory) -> Declaration:
    """bagit.txt: exactly the two required lines, UTF-8 without a byte-order mark (RFC 8493 2.1.1)."""
    decl = Declaration()
    data, problem = read_whole(inv, "bagit.txt", 64 << 10)
    if problem:
        decl.problems.append(problem)
        return decl
    assert data is not None
    if data.startswith(UTF8_BOM):
        decl.problems.append(error(INVALID, "bom-in-bagit-txt", "bagit.txt",
                                   "bagit.txt starts with a byte-order mark, which is not allowed"))
        data = data[len(UTF8_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        decl.problems.append(error(INVALID, "bad-encoding", "bagit.txt", "bagit.txt is not UTF-8"))
        return decl
    lines = split_lines(text)
    version = _VERSION_LINE.fullmatch(lines[0]) if lines else None
    encoding = _ENCODING_LINE.fullmatch(lines[1]) if len(lines) > 1 else None
    if version is None:
        decl.problems.append(error(INVALID, "bad-declaration", "bagit.txt",
                                   "first line must be 'BagIt-Version: M.N'"))
    else:
        decl.version = (int(version.group(1)), int(version.group(2)))
        if decl.version not in KNOWN_VERSIONS:
            decl.problems.append(error(INVALID, "unknown-version", "bagit.txt",
                                       f"unknown BagIt version {version.group(1)}.{version.group(2)}"))
    if encoding is None:
        decl.problems.append(error(INVALID, "bad-declaration", "bagit.txt",
                                   "second line must be 'Tag-File-Character-Encoding: ENCODING'"))
    else:
        codec = tag_file_codec(encoding.group(1))
        if codec is None:
            decl.problems.append(error(INVALID, "unknown-encoding", "bagit.txt",
                                       f"unknown character encoding {encoding.group(1)!r}"))
        else:
            decl.encoding = codec
    if len(lines) > 2:
        decl.problems.append(error(INVALID, "bad-declaration", "bagit.txt",
                                   "bagit.txt must hold exactly two lines"))
    return decl


def decode_tag_text(data: bytes, encoding: str, rel: str) -> tuple[str | None, list[Problem]]:
    """Text of a tag file in the declared encoding; a UTF-8 byte-order mark is an error."""
    problems: list[Problem] = []
    if encoding == "utf-8" and data.startswith(UTF8_BOM):
        problems.append(error(INVALID, "bom", rel, "starts with a byte-order mark, which is not allowed"))
        data = data[len(UTF8_BOM):]
    try:
        codec = "utf-16" if encoding.startswith("utf-16") else encoding
        return data.decode(codec), problems
    except UnicodeError as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        problems.append(error(INVALID, "bad-encoding", rel, f"not valid {encoding}: {reason}"))
        return None, problems


def parse_bag_info(text: str, rel: str) -> tuple[dict[str, list[str]], list[Problem]]:
    """Labels (lower-cased) to values (``taginfo.parse_strict``), each malformed line a problem."""
    info, malformed = parse_strict(text)
    return info, [error(INVALID, "malformed-bag-info", rel, f"line {number} is not 'Label: value'")
                  for number in malformed]


def iter_manifest(inv: Inventory, rel: str, encoding: str) -> Iterator[ManifestLine | Problem]:
    """Entries of a manifest, streamed; malformed lines come back as problems, not exceptions."""
    size = inv.files[rel].size
    if size > MAX_MANIFEST:
        yield error(INVALID, "tag-file-too-large", rel, f"{size} bytes; manifests may hold {MAX_MANIFEST}")
        return
    if size <= MAX_SMALL_TAG_FILE:
        yield from _small_manifest(inv, rel, encoding)
        return
    try:
        # Buffered so the byte-order mark can be peeked: a stream from a replica cannot seek back.
        raw = io.BufferedReader(open_checked(inv, rel))  # type: ignore[arg-type]  # closed by `text`
    except (OSError, StorageError) as exc:
        yield error(UNREADABLE, "unreadable", rel, why(exc))
        return
    try:
        head = raw.peek(3)[:3]
    except (OSError, StorageError) as exc:
        raw.close()
        yield error(UNREADABLE, "unreadable", rel, why(exc))
        return
    codec = "utf-16" if encoding.startswith("utf-16") else encoding
    if encoding == "utf-8" and head == UTF8_BOM:
        raw.read(3)
        yield error(INVALID, "bom", rel, "starts with a byte-order mark, which is not allowed")
    text = io.TextIOWrapper(raw, encoding=codec, errors="strict", newline=None)
    number = 0
    try:
        while True:
            line = text.readline(MAX_LINE)
            if not line:
                break
            number += 1
            if len(line) >= MAX_LINE and not line.endswith("\n"):
                yield error(INVALID, "malformed-manifest", rel, f"line {number} is longer than {MAX_LINE}")
                return
            line = line.rstrip("\n")
            if not line.strip():
                continue
            parsed = split_manifest_line(line)
            if parsed is None:
                yield error(INVALID, "malformed-manifest", rel,
                            f"line {number} is not 'checksum path'")
                continue
            digest, path, star = parsed
            yield ManifestLine(number, digest, path, star)
    except UnicodeDecodeError as exc:
        yield error(INVALID, "bad-encoding", rel, f"line {number + 1} is not valid {encoding}: {exc.reason}")
    except (OSError, StorageError) as exc:
        yield error(UNREADABLE, "unreadable", rel, why(exc))
    finally:
        text.close()


def _small_manifest(inv: Inventory, rel: str, encoding: str) -> Iterator[ManifestLine | Problem]:
    """The common case, read in one call: most manifests are a few hundred bytes."""
    data, problem = read_whole(inv, rel)
    if problem is not None:
        yield problem
        return
    text, problems = decode_tag_text(data or b"", encoding, rel)
    yield from problems
    if text is None:
        return
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        parsed = split_manifest_line(line)
        if parsed is None:
            yield error(INVALID, "malformed-manifest", rel, f"line {number} is not 'checksum path'")
            continue
        yield ManifestLine(number, *parsed)


@dataclass(frozen=True, slots=True)
class FetchLine:
    number: int
    url: str
    length: str
    path: str


def parse_fetch(text: str, rel: str) -> tuple[list[FetchLine], list[Problem]]:
    """fetch.txt: 'URL LENGTH PATH' with LENGTH a number or '-'."""
    items: list[FetchLine] = []
    problems: list[Problem] = []
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        parts = line.split(None, 2)
        if len(parts) != 3 or not (parts[1] == "-" or parts[1].isdigit()):
            problems.append(error(INVALID, "malformed-fetch", rel, f"line {number} is not 'URL LENGTH PATH'"))
            continue
        items.append(FetchLine(number, parts[0], parts[1], parts[2]))
    return items, problems


def md5sum_warning(rel: str, number: int) -> Problem:
    return warning(INVALID, "md5sum-binary-marker", rel,
                   f"line {number} uses the md5sum '*' binary marker; read as part of the separator")
