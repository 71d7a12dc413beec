"""Content-Encoding decoding (gzip, deflate, br) in bounded memory, with an output limit.

A server chooses how much a small body expands to (a 1 MB gzip can hold 1 GB of zeros), so every
decoder here yields output in pieces of at most ``PIECE`` bytes and the caller counts them; no
single call may expand without bound.

br is decoded with ``brotlicffi`` (python-hyper's maintained binding), deliberately not Google's
``brotli`` module: warcio looks for a module named ``brotli`` and, when it finds Google's, crashes
on every br record (it sets an attribute that binding does not allow, warcio issue #73), so
``warcio check`` would fail on our own WARCs. With ``brotlicffi`` warcio leaves br bodies as they
are and checks their digests, and we decode them ourselves.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from archive.errors import FetchError

PIECE = 256 * 1024


class DecodeFailed(FetchError):
    """The body is not valid for its Content-Encoding, or uses one we cannot decode; the fetcher
    re-raises it as a ``FetchError`` naming the URL."""


def brotli_available() -> bool:
    try:
        import brotlicffi  # noqa: F401
    except ImportError:
        return False
    return True


def accept_encoding() -> str:
    """The Accept-Encoding we send: only what ``decode`` can undo."""
    return "gzip, deflate, br" if brotli_available() else "gzip, deflate"


def codings(header: str | None) -> list[str]:
    """The Content-Encoding values in the order they were applied (identity dropped)."""
    if not header:
        return []
    names = [part.strip().lower() for part in header.split(",")]
    return [name for name in names if name and name != "identity"]


def decode(chunks: Iterable[bytes], header: str | None) -> Iterator[bytes]:
    """The decoded body of ``chunks`` (as received) under Content-Encoding ``header``."""
    stream: Iterable[bytes] = chunks
    for name in reversed(codings(header)):
        stream = _one(stream, name)
    yield from stream


def _one(chunks: Iterable[bytes], name: str) -> Iterator[bytes]:
    if name in ("gzip", "x-gzip"):
        return _zlib(chunks, 16 + zlib.MAX_WBITS, name)
    if name == "deflate":
        return _deflate(chunks)
    if name == "br":
        return _brotli(chunks)
    raise DecodeFailed(f"unsupported Content-Encoding {name!r}")


def _zlib(chunks: Iterable[bytes], wbits: int, name: str) -> Iterator[bytes]:
    engine = zlib.decompressobj(wbits)
    try:
        for chunk in chunks:
            data = chunk
            while data:
                out = engine.decompress(data, PIECE)
                data = engine.unconsumed_tail
                if out:
                    yield out
                if engine.eof:
                    data = b""
        while not engine.eof:
            out = engine.decompress(b"", PIECE)
            if not out:
                break
            yield out
    except zlib.error as exc:
        raise DecodeFailed(f"body is not valid {name} ({exc})") from None
    if not engine.eof:
        raise DecodeFailed(f"{name} body ends early")


def _deflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP's "deflate" is meant to be zlib-wrapped, but some servers send raw deflate."""
    iterator = iter(chunks)
    first = b""
    for chunk in iterator:
        first = chunk
        if chunk:
            break

    def again() -> Iterator[bytes]:
        yield first
        yield from iterator

    raw = bool(first) and (first[0] & 0x0F != 8 or (first[0] << 8 | (first[1:2] or b"\0")[0]) % 31)
    return _zlib(again(), -zlib.MAX_WBITS if raw else zlib.MAX_WBITS, "deflate")


def _brotli(chunks: Iterable[bytes]) -> Iterator[bytes]:
    try:
        import brotlicffi
    except ImportError:
        raise DecodeFailed("Content-Encoding br needs the brotlicffi package") from None
    engine = brotlicffi.Decompressor()
    try:
        for chunk in chunks:
            out = engine.process(chunk, output_buffer_limit=PIECE)
            if out:
                yield out
            while not engine.can_accept_more_data():
                out = engine.process(b"", output_buffer_limit=PIECE)
                if not out:
                    break
                yield out
    except brotlicffi.error as exc:
        raise DecodeFailed(f"body is not valid br ({exc})") from None
    if not engine.is_finished():
        raise DecodeFailed("br body ends early")
