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
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from archive.errors import SourceFileError
from archive.store.atomic import fsync_dir

CHUNK = 1 << 20
MAX_SOURCE_BYTES = 1 << 30  # 1 GiB: documented in README; larger texts are refused before copying
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
    """A name that is safe as a bag payload path: no folders, no controls, NFC, at most 200 bytes.

    Spaces, ``%`` and non-ASCII letters are kept: bags percent-encode what needs it.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join("_" if (ord(c) < 32 or ord(c) == 127) else c for c in base).strip()
    base = base.lstrip(".") or "source.txt"
    while len(base.encode("utf-8")) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:-1] + dot + ext) if dot and stem else base[:-1]
    return base


def media_type_for(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "text/plain")


_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HTML_TYPES = ("text/html", "application/xhtml+xml")


def declared_charset(head: bytes, label: str) -> str | None:
    """The legacy charset an HTML page declares in a ``<meta>`` tag, or None for UTF-8.

    Older news pages are often windows-1252 or ISO-8859-1 and say so; their bytes are kept as
    received and decoded with that codec. Only HTML can declare one: plain text must be UTF-8.
    """
    match = _META_CHARSET_RE.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise SourceFileError(f"{label}: declares the unknown charset {name!r}") from None
    return None if codec in ("utf-8", "utf-8-sig", "ascii") else name


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


def take_in(path: Path, destination: Path | None, *, label: str | None = None) -> SourceInfo:
    """Check ``path`` is acceptable text and, if ``destination`` is given, copy it there.

    Nothing is left at ``destination`` unless the whole file passed.
    """
    label = label or str(path)
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
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    charset = None
    if media_type_for(path.name) in HTML_TYPES:
        with open(path, "rb") as head:
            charset = declared_charset(head.read(4096), label)
    scanner = _Scanner(label, charset)
    tmp = None
    out = None
    size = 0
    try:
        if destination is not None:
            destination.parent.mkdir(parents=True, exist_ok=True)
            tmp = destination.with_name(destination.name + ".partial")
            out = open(tmp, "wb")  # noqa: SIM115 - closed in finally, renamed on success
        with open(path, "rb") as src:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                sha256.update(chunk)
                sha512.update(chunk)
                scanner.feed(chunk)
                if out:
                    out.write(chunk)
        scanner.feed(b"", final=True)
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
    if size == 0:
        raise SourceFileError(f"{label}: the file is empty (0 bytes); nothing to preserve")
    return SourceInfo(
        filename=safe_filename(path.name),
        media_type=media_type_for(path.name),
        encoding=scanner.encoding,
        size=size,
        sha256=sha256.hexdigest(),
        sha512=sha512.hexdigest(),
        word_count=scanner.words,
    )
