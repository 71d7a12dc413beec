"""Which encoding a captured HTML page is read in: the HTML standard's order, with fallbacks.

The HTML standard ("determining the character encoding") ranks the evidence: a byte order mark
first, then the transport's declaration (HTTP ``Content-Type: text/html; charset=...``), then a
``<meta>`` tag found by the prescan, then a default. So a response header outranks a page's own
``<meta>``, right or wrong, and a page that declares nothing in ``<meta>`` is read in the charset
its server declared. (``archive add`` of a saved file has no header: only ``<meta>`` counts there.)

Where a browser would then show replacement characters, the archive refuses undecodable text.
So a declaration the body does not decode under (a server that says utf-8 and sends
windows-1252), or one that names no usable text encoding, is passed over with a note and the next
piece of evidence is tried; with none left, UTF-8, then windows-1252 (the standard's default for
unlabelled pages in most locales). Only a body no candidate decodes is refused. The bytes are kept
as received whatever is chosen; the choice and every note go into the record's provenance.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from archive.errors import SourceFileError
from archive.sources import declared_label

READ_SIZE = 1 << 20
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_NOT_FOR_PAGES = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined",
                            "utf-7"})
_ASCII_PROBE = b"<meta charset=\"x\">\n\t"
_LABELS = {f"cp{n}": f"windows-{n}" for n in range(1250, 1259)} | {"latin_1": "iso-8859-1"}
"""Python's codec names as web pages spell them (the record's ``source.encoding``)."""


def _usable(name: str | None, *, from_meta: bool) -> str | None:
    """Python's codec for a declared name, or None when it is no encoding a page may use.

    A ``<meta>`` declaration must be readable as ASCII, so it cannot truly name UTF-16/32 or an
    encoding whose ASCII range differs (the HTML standard reads such a page as UTF-8).
    """
    if not name:
        return None
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(codec, "_is_text_encoding", True) or codec.name in _NOT_FOR_PAGES:
        return None
    if from_meta:
        if codec.name.startswith(("utf-16", "utf-32")):
            return "utf-8"
        try:
            if _ASCII_PROBE.decode(codec.name) != _ASCII_PROBE.decode("ascii"):
                return None
        except (UnicodeError, ValueError, LookupError):
            return None
    return codec.name


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as handle:
            for piece in iter(lambda: handle.read(READ_SIZE), b""):
                decoder.decode(piece)
        decoder.decode(b"", final=True)
    except (UnicodeError, ValueError):
        return False
    return True


def page_charset(path: Path, header_charset: str | None) -> tuple[str, list[str]]:
    """The encoding to read the page at ``path`` in, and notes on what was passed over and why.

    Raises ``SourceFileError`` when no candidate decodes the page.
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
    notes: list[str] = []
    candidates: list[tuple[str, str]] = []
    for bom, name in _BOMS:
        if head.startswith(bom):
            candidates.append((name, "its byte order mark"))
            break
    if header_charset:
        usable = _usable(header_charset, from_meta=False)
        if usable:
            candidates.append((usable, f"the HTTP Content-Type header (charset={header_charset})"))
        else:
            notes.append(f"The HTTP Content-Type header declares charset {header_charset!r}, which is "
                         "not a text encoding for web pages; it was passed over.")
    meta = declared_label(head)
    if meta:
        usable = _usable(meta, from_meta=True)
        if usable:
            candidates.append((usable, f"its <meta> tag (charset={meta})"))
        else:
            notes.append(f"The page's <meta> tag declares charset {meta!r}, which such a tag cannot "
                         "truly declare or is not a text encoding; it was passed over.")
    candidates += [("utf-8", "the default (UTF-8)"),
                   ("cp1252", "the HTML standard's fallback (windows-1252)")]
    tried: set[str] = set()
    for encoding, why in candidates:
        if encoding in tried:
            continue
        tried.add(encoding)
        if _decodes(path, encoding):
            label = _LABELS.get(encoding, encoding)
            if len(tried) > 1 or notes:
                notes.append(f"Read as {label}, from {why}.")
            return label, notes
        notes.append(f"The page does not decode as {encoding} (from {why}); that was passed over.")
    raise SourceFileError(
        f"{path.name}: the page decodes in none of the encodings it or its server declare, nor as "
        "UTF-8 or windows-1252; nothing was added"
    )


def mismatch_note(encoding: str, path: Path) -> str | None:
    """A note when the page's ``<meta>`` names another encoding than the one it was read in."""
    with path.open("rb") as handle:
        meta = declared_label(handle.read(4096))
    chosen = _usable(meta, from_meta=True) if meta else None
    if meta and chosen and codecs.lookup(chosen).name != codecs.lookup(encoding).name and not (
        encoding == "utf-8-sig" and chosen == "utf-8"
    ):
        return (f"The page's <meta> tag says charset={meta}, but it was read as {encoding}, which "
                "outranks it (HTML standard: byte order mark, then the HTTP header, then <meta>).")
    return None


__all__ = ["SourceFileError", "mismatch_note", "page_charset"]
