"""Taking in a source file: one streaming pass that hashes, checks and copies it.

The archive must keep the bytes exactly as received, and must never read a large file whole into
memory. One pass computes sha256 and sha512, decodes incrementally to prove the text is UTF-8,
counts words, and writes the copy, which becomes visible only by an atomic rename.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.errors import SourceFileError
from archive.store.atomic import fsync_dir
from archive.untrusted import safe_basename

CHUNK = 1 << 20
MAX_SOURCE_BYTES = 1 << 30  # 1 GiB: documented in README; larger texts are refused before copying
MAX_NAME_BYTES = 200
ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f"}
MEDIA_TYPES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass
class SourceInfo:
    """What the catalogue records about a source file."""

    filename: str
    media_type: str
    encoding: str
    size: int
    sha256: str
    sha512: str
    word_count: int

    def as_field(self) -> dict:
        return {
            "filename": self.filename,
            "media_type": self.media_type,
            "encoding": self.encoding,
            "size": self.size,
            "sha256": self.sha256,
            "sha512": self.sha512,
            "word_count": self.word_count,
        }


def safe_filename(name: str) -> str:
    """A name that is safe as a bag payload path: one component, NFC, at most 200 bytes.

    The rules are ``untrusted.safe_basename``'s, the one definition of a safe name: no separator,
    no leading dot or dash, no control, line or paragraph separator (U+0085, U+2028, U+2029 break
    manifest lines) and no invisible format character. Spaces, ``%`` and non-ASCII letters are
    kept: bags percent-encode what needs it. A name with nothing usable left is ``source.txt``.
    """
    return safe_basename(name, fallback="source.txt", max_bytes=MAX_NAME_BYTES)


def media_type_for(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "text/plain")


_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HTML_TYPES = ("text/html", "application/xhtml+xml")


_ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_WIDE_UNICODE = ("utf-16", "utf-32")
"""Codecs a ``<meta>`` tag cannot truly declare: a tag readable as ASCII proves the bytes are not
UTF-16 or UTF-32, so browsers read such a page as UTF-8 (WHATWG Encoding, "prescan")."""


_NOT_FOR_PAGES = frozenset({
    "unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "utf-7",
})
"""Python's own text codecs that no page may use: escapes, domain-name codecs, UTF-7 (which
browsers refuse because it smuggles markup past filters)."""


def declared_label(head: bytes) -> str | None:
    """The charset name a page's ``<meta>`` tag gives, lower-cased, exactly as declared."""
    match = _META_CHARSET_RE.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def declares_wide_unicode(head: bytes) -> str | None:
    """The declared name when a page declares UTF-16 or UTF-32 (and is read as UTF-8), else None."""
    name = declared_label(head)
    try:
        return name if name and codecs.lookup(name).name.startswith(_WIDE_UNICODE) else None
    except LookupError:
        return None


def declared_charset(head: bytes, label: str) -> str | None:
    """The legacy charset an HTML page declares in a ``<meta>`` tag, or None for UTF-8.

    Older news pages are often windows-1252 or ISO-8859-1 and say so; their bytes are kept as
    received and decoded with that codec. Only HTML can declare one: plain text must be UTF-8.
    A name that is not a text encoding (rot13, hex, base64 are bytes-to-bytes or str-to-str
    codecs) or whose ASCII range differs from ASCII (EBCDIC, UTF-7) is refused in one line: the
    declaration itself was read as ASCII, so such a page cannot be what it says.
    """
    name = declared_label(head)
    if name is None:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise SourceFileError(f"{label}: declares the unknown charset {name!r}") from None
    if codec in _NOT_FOR_PAGES:
        raise SourceFileError(
            f"{label}: declares charset {name!r}, which is not a charset for web pages; "
            "convert the page to UTF-8 first"
        )
    try:
        compatible = _ASCII_PROBE.decode(name) == _ASCII_PROBE.decode("ascii")
    except LookupError:  # str/bytes decoding's own refusal of codecs that are not text encodings
        raise SourceFileError(f"{label}: declares charset {name!r}, which is not a text encoding") from None
    except (UnicodeError, ValueError):
        compatible = False
    if codec in ("utf-8", "utf-8-sig", "ascii") or codec.startswith(_WIDE_UNICODE):
        return None
    if not compatible:
        raise SourceFileError(
            f"{label}: declares charset {name!r}, which a <meta> tag readable as ASCII cannot "
            "truly declare; convert the page to UTF-8 first"
        )
    return name


class _Scanner:
    """Incremental decoding (UTF-8, or an HTML page's declared charset), binary detection and
    word counting over chunks."""

    def __init__(self, label: str, charset: str | None = None):
        self.label = label
        self.charset = charset
        self.decoder = codecs.getincrementaldecoder(charset or "utf-8")(errors="strict")
        self.words = 0
        self.in_word = False
        self.offset = 0
        self.ascii = True
        self.bom = False

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self.offset == 0 and chunk.startswith(codecs.BOM_UTF8):
            self.bom = True
        try:
            text = self.decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            # exc.object is what the decoder held back from earlier chunks plus this one, so the
            # bad byte may not be in ``chunk`` at all (a lone lead byte at the end of the file).
            where = self.offset + len(chunk) - len(exc.object) + exc.start
            declared = f"{self.charset} (as it declares)" if self.charset else "UTF-8"
            raise SourceFileError(
                f"{self.label}: not {declared} text (undecodable byte 0x{exc.object[exc.start]:02x} "
                f"at offset {where}); convert it to UTF-8 first"
            ) from None
        except (UnicodeError, ValueError, TypeError) as exc:  # a codec failing in its own way
            raise SourceFileError(
                f"{self.label}: cannot be read as {self.charset or 'UTF-8'} ({exc}); "
                "convert it to UTF-8 first"
            ) from None
        bad = _CONTROL_RE.search(text)
        if bad:
            kind = "a NUL byte" if bad.group() == "\x00" else f"control character {bad.group()!r}"
            raise SourceFileError(f"{self.label}: looks binary ({kind}); only text can be added")
        if self.ascii and not chunk.isascii():
            self.ascii = False
        self.offset += len(chunk)
        self._count_words(text)

    def _count_words(self, text: str) -> None:
        if not text:
            return
        parts = text.split()
        count = len(parts)
        if count and self.in_word and not text[0].isspace():
            count -= 1  # the first word continues one split across chunks
        self.words += count
        self.in_word = not text[-1].isspace()

    @property
    def encoding(self) -> str:
        if self.charset:
            return self.charset
        if self.bom:
            return "utf-8-sig"
        return "us-ascii" if self.ascii else "utf-8"


def check_file(path: Path, label: str) -> int:
    """The size of ``path`` once it is proved a regular, non-empty file within the limit."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SourceFileError(f"{label}: cannot read ({exc.strerror})") from None
    if not os.path.isfile(path):
        raise SourceFileError(f"{label}: not a regular file")
    if st.st_size == 0:
        raise SourceFileError(f"{label}: the file is empty (0 bytes); nothing to preserve")
    if st.st_size > MAX_SOURCE_BYTES:
        raise SourceFileError(
            f"{label}: {st.st_size:,} bytes is over the {MAX_SOURCE_BYTES:,}-byte limit for one article"
        )
    return st.st_size


@dataclass
class CopiedFile:
    """What one read of a file beside the text gave: its size and digests."""

    size: int
    sha256: str
    sha512: str


def copy_in(path: Path, destination: Path, *, label: str | None = None) -> CopiedFile:
    """Copy any file (a WARC, an image: bytes, no text rules) to ``destination``, hashing it in
    the same read; visible under its final name only when whole (a kill leaves ``.partial``)."""
    label = label or str(path)
    check_file(path, label)
    scanner = _Digests()
    _copy(path, destination, label, scanner.feed)
    if scanner.size == 0:
        raise SourceFileError(f"{label}: the file is empty (0 bytes); nothing to preserve")
    return CopiedFile(scanner.size, scanner.sha256.hexdigest(), scanner.sha512.hexdigest())


class _Digests:
    def __init__(self) -> None:
        self.sha256, self.sha512, self.size = hashlib.sha256(), hashlib.sha512(), 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.sha256.update(chunk)
        self.sha512.update(chunk)


def _copy(path: Path, destination: Path | None, label: str, feed: Callable[[bytes], None],
          finish: Callable[[], None] = lambda: None) -> None:
    """Stream ``path`` through ``feed`` and, if ``destination`` is given, into it atomically;
    ``finish`` may still refuse the file (raising) before it becomes visible."""
    tmp = None
    out = None
    try:
        if destination is not None:
            destination.parent.mkdir(parents=True, exist_ok=True)
            tmp = destination.with_name(destination.name + ".partial")
            out = open(tmp, "wb")  # noqa: SIM115 - closed in finally, renamed on success
        with open(path, "rb") as src:
            while chunk := src.read(CHUNK):
                feed(chunk)
                if out:
                    out.write(chunk)
        finish()
        if out:
            out.flush()
            os.fsync(out.fileno())
            out.close()
            out = None
            os.replace(tmp, destination)
            fsync_dir(destination.parent)
    except OSError as exc:
        raise SourceFileError(f"{label}: cannot copy ({exc.strerror or exc}); nothing was added") from None
    finally:
        if out:
            out.close()
        if tmp is not None and tmp.exists():
            tmp.unlink()


def take_in(path: Path, destination: Path | None, *, label: str | None = None,
            filename: str | None = None, charset: str | None = None) -> SourceInfo:
    """Check ``path`` is acceptable text and, if ``destination`` is given, copy it there.

    Nothing is left at ``destination`` unless the whole file passed. ``filename`` is the name the
    file is catalogued under (default: its own), which also decides its media type. ``charset``
    is an HTML page's encoding as its transport determined it (a web capture: byte order mark,
    then the HTTP Content-Type, then ``<meta>``, the HTML standard's order; see
    ``archive.capture.charset``); given, it replaces what the page's ``<meta>`` tag says.
    """
    label = label or str(path)
    name = filename or path.name
    check_file(path, label)
    digests = _Digests()
    if charset is not None and media_type_for(name) in HTML_TYPES:
        charset = None if codecs.lookup(charset).name == "utf-8" else charset
    elif media_type_for(name) in HTML_TYPES:
        with open(path, "rb") as head:
            charset = declared_charset(head.read(4096), label)
    else:
        charset = None
    scanner = _Scanner(label, charset)

    def feed(chunk: bytes) -> None:
        digests.feed(chunk)
        scanner.feed(chunk)

    _copy(path, destination, label, feed, lambda: scanner.feed(b"", final=True))
    if digests.size == 0:
        raise SourceFileError(f"{label}: the file is empty (0 bytes); nothing to preserve")
    return SourceInfo(
        filename=safe_filename(name),
        media_type=media_type_for(name),
        encoding=scanner.encoding,
        size=digests.size,
        sha256=digests.sha256.hexdigest(),
        sha512=digests.sha512.hexdigest(),
        word_count=scanner.words,
    )
