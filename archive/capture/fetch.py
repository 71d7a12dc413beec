"""Fetch one URL over HTTP(S), following redirects ourselves, within time and size limits.

Why urllib3 (rather than requests or httpx): it is already installed (trafilatura, htmldate and
requests build on it), and it is the level we need. Its connection class connects to the address
we vetted while sending the host name for the Host header, TLS SNI and certificate check
(``server_hostname``/``assert_hostname``), so a DNS answer cannot change between check and
connect; it streams the body as sent (``decode_content=False``: still gzip or br, chunked framing
removed) for the WARC; it follows no redirect by itself and reads no proxy or .netrc settings from
the environment. requests would add those (and its own redirects) only for us to turn them off;
httpx would add a new dependency and hides the peer address behind extensions.

Every hop is a fresh connection: check the URL, connect to a vetted address, check the peer
address, send the request (its bytes are recorded exactly as sent), stream the body to a spool
file while counting bytes against ``max_bytes`` and the clock against the total deadline. The
final body is then decoded (gzip/deflate/br) into a second spool file under the same size limit,
and its declared charset is reported (decoding the HTML itself is ``archive.extract.html``'s job).
"""

from __future__ import annotations

import codecs
import contextlib
import http.client
import ipaddress
import re
import shutil
import socket
import ssl
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from urllib.parse import urljoin

import urllib3
import urllib3.exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.ssl_match_hostname import CertificateError

from archive import __version__
from archive.capture import decode
from archive.capture.urls import CheckedURL, Resolver, check_url
from archive.errors import (
    FetchError,
    FetchTimeoutError,
    RedirectError,
    ResponseTooLargeError,
    URLRefusedError,
    UsageError,
)

REDIRECTS = (301, 302, 303, 307, 308)
READ_SIZE = 64 * 1024
_ERRNO = re.compile(r"^\[Errno -?\d+\] ")
_EMAIL = re.compile(r"^[^@\s<>()\[\]\\,;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class Limits:
    """How far one capture may go. ``max_bytes`` bounds each body as received and once decoded."""

    max_redirects: int = 10
    total_seconds: float = 120.0
    read_seconds: float = 30.0
    max_bytes: int = 256 * 1024 * 1024


@dataclass
class Hop:
    """One request and its response, as exchanged on the wire (body spooled to ``body``)."""

    url: CheckedURL
    address: str
    started: datetime
    request: bytes
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: Path
    body_length: int

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass
class FetchResult:
    """Every hop of one fetch, the final body decoded, and what the response declared.

    The spool files live until the ``fetch`` context ends.
    """

    requested: str
    hops: list[Hop]
    decoded: Path
    decoded_length: int
    content_type: str | None
    charset: str | None
    notes: list[str] = field(default_factory=list)
    user_agent: str = ""

    @property
    def final(self) -> Hop:
        return self.hops[-1]

    @property
    def final_url(self) -> str:
        return self.final.url.url

    @property
    def is_html(self) -> bool:
        return self.content_type in ("text/html", "application/xhtml+xml")


def user_agent(contact: str) -> str:
    """``article-archive/<version> (+mailto:<contact>)``; the contact must be a plain e-mail."""
    if not _EMAIL.match(contact or ""):
        raise UsageError(
            f"contact e-mail {contact!r} is not a plain e-mail address (needed in the User-Agent)"
        )
    return f"article-archive/{__version__} (+mailto:{contact})"


@contextlib.contextmanager
def fetch(
    url: str,
    *,
    contact: str,
    limits: Limits = Limits(),
    allow_private: bool = False,
    resolver: Resolver | None = None,
    spool_dir: Path | None = None,
    ca_file: str | None = None,
) -> Iterator[FetchResult]:
    """Fetch ``url`` and yield its ``FetchResult``; spool files vanish when the block ends.

    Raises ``URLRefusedError`` (the URL or a redirect target may not be fetched) or a
    ``FetchError`` (unreachable, too slow, too large, redirect loop, broken response), each one
    line naming the URL. HTTP error statuses are not errors here: the caller decides.
    ``ca_file`` replaces the system's certificate authorities (tests use a local CA).
    """
    agent = user_agent(contact)
    with tempfile.TemporaryDirectory(prefix="capture-", dir=spool_dir) as spool:
        yield _fetch(url, agent, limits, allow_private, resolver, Path(spool), ca_file)


def _fetch(
    url: str, agent: str, limits: Limits, allow_private: bool, resolver: Resolver | None, spool: Path,
    ca_file: str | None = None,
) -> FetchResult:
    deadline = time.monotonic() + limits.total_seconds
    current = check_url(url, allow_private=allow_private, resolver=resolver)
    chain = [current.url]
    hops: list[Hop] = []
    while True:
        hop = _exchange(current, agent, limits, deadline, spool / f"body-{len(hops)}", ca_file)
        hops.append(hop)
        location = hop.header("Location")
        if hop.status not in REDIRECTS or not location:
            break
        target = urljoin(current.url, location)
        if len(hops) > limits.max_redirects:
            raise RedirectError(f"fetching {url}: more than {limits.max_redirects} redirects")
        current = _checked_redirect(url, current.url, target, allow_private, resolver)
        if current.url in chain:
            loop = " → ".join([*chain[chain.index(current.url):], current.url])
            raise RedirectError(f"fetching {url}: redirect loop {loop}")
        chain.append(current.url)
    return _finish(url, hops, agent, limits, deadline, spool)


def _checked_redirect(
    url: str, source: str, target: str, allow_private: bool, resolver: Resolver | None
) -> CheckedURL:
    try:
        return check_url(target, allow_private=allow_private, resolver=resolver)
    except URLRefusedError as exc:
        raise URLRefusedError(f"fetching {url}: redirect from {source}: {exc}") from None


def _request_headers(url: CheckedURL, agent: str) -> dict[str, str]:
    return {
        "Host": url.host_header,
        "User-Agent": agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Encoding": decode.accept_encoding(),
        "Connection": "close",
    }


def _remaining(url: str, deadline: float, limits: Limits) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchTimeoutError(f"fetching {url}: took longer than {limits.total_seconds:g} s in all")
    return min(limits.read_seconds, left)


class _Recording:
    """Mixed into urllib3's connections: keeps the request bytes exactly as sent."""

    sent: bytearray

    def send(self, data):  # type: ignore[no-untyped-def]
        if not hasattr(self, "sent"):
            self.sent = bytearray()
        self.sent += bytes(data)
        return super().send(data)  # type: ignore[misc]


class _RecordingHTTP(_Recording, HTTPConnection):
    pass


class _RecordingHTTPS(_Recording, HTTPSConnection):
    pass


def _connect(url: CheckedURL, address: str, timeout: float, ca_file: str | None) -> HTTPConnection:
    """Connect to the vetted ``address``; for https, SNI and the certificate check use the name."""
    if url.scheme == "https":
        conn: HTTPConnection = _RecordingHTTPS(
            address, url.port, timeout=timeout, server_hostname=url.host,
            assert_hostname=url.host, cert_reqs="CERT_REQUIRED", ca_certs=ca_file,
        )
    else:
        conn = _RecordingHTTP(address, url.port, timeout=timeout)
    conn.connect()
    peer = conn.sock.getpeername()[0] if conn.sock else None
    if peer is None or ipaddress.ip_address(str(peer).split("%", 1)[0]) != ipaddress.ip_address(address):
        conn.close()
        raise FetchError(f"fetching {url.url}: connected to {peer}, not the vetted address {address}")
    return conn


def _exchange(
    url: CheckedURL, agent: str, limits: Limits, deadline: float, body: Path, ca_file: str | None
) -> Hop:
    started = datetime.now(UTC)
    timeout = _remaining(url.url, deadline, limits)
    conn = None
    last_error: Exception | None = None
    for address in url.addresses:
        try:
            conn = _connect(url, address, timeout, ca_file)
            break
        except (OSError, urllib3.exceptions.HTTPError, CertificateError) as exc:
            last_error = exc
    if conn is None:
        raise _network_error(url.url, last_error, timeout)
    try:
        conn.request("GET", url.target, headers=_request_headers(url, agent),
                     preload_content=False, decode_content=False)
        response = conn.getresponse()
        original = response._original_response  # http.client's, which keeps headers in order
        headers = list(original.msg.items()) if original is not None else list(response.headers.items())
        length = _spool(url.url, response, body, limits, deadline)
        return Hop(
            url=url, address=address, started=started, request=bytes(getattr(conn, "sent", b"")),
            version="HTTP/1.0" if response.version == 10 else "HTTP/1.1",
            status=response.status, reason=response.reason or "", headers=headers,
            body=body, body_length=length,
        )
    except (OSError, urllib3.exceptions.HTTPError, http.client.HTTPException) as exc:
        raise _network_error(url.url, exc, timeout) from None
    finally:
        conn.close()


def _spool(url: str, response, body: Path, limits: Limits, deadline: float) -> int:  # type: ignore[no-untyped-def]
    """Stream the body as received to ``body``, bounded in bytes and time."""
    total = 0
    with body.open("wb") as out:
        for chunk in response.stream(READ_SIZE, decode_content=False):
            total += len(chunk)
            if total > limits.max_bytes:
                raise ResponseTooLargeError(
                    f"fetching {url}: response body is larger than the limit of {limits.max_bytes:,} bytes"
                )
            out.write(chunk)
            _remaining(url, deadline, limits)
    return total


def _network_error(url: str, exc: Exception | None, timeout: float) -> FetchError:
    if isinstance(exc, FetchError):
        return exc
    if isinstance(exc, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        # (urllib3 makes NewConnectionError a kind of time-out, for old callers: test it first)
        reason = _ERRNO.sub("", _short(exc).split("new connection: ", 1)[-1])
        return FetchError(f"fetching {url}: cannot connect ({reason})")
    if isinstance(exc, socket.timeout | TimeoutError | urllib3.exceptions.TimeoutError):
        return FetchTimeoutError(f"fetching {url}: the server sent nothing for {timeout:.3g} s (time-out)")
    if isinstance(exc, urllib3.exceptions.ProtocolError | http.client.IncompleteRead):
        return FetchError(f"fetching {url}: the connection broke off ({_short(exc)})")
    if isinstance(exc, urllib3.exceptions.SSLError | ssl.SSLError | CertificateError):
        return FetchError(f"fetching {url}: TLS failed ({_short(exc)})")
    return FetchError(f"fetching {url}: {_short(exc)}")


def _short(exc: Exception | None) -> str:
    text = str(exc) if exc is not None else "no address to connect to"
    inner = getattr(exc, "reason", None) or (exc.args[1] if exc and len(exc.args) > 1 else None)
    if isinstance(inner, Exception):
        text = str(inner)
    return " ".join(text.split())[:200] or type(exc).__name__


def _finish(
    url: str, hops: list[Hop], agent: str, limits: Limits, deadline: float, spool: Path
) -> FetchResult:
    final = hops[-1]
    decoded = spool / "decoded"
    length = _decode_body(url, final, decoded, limits, deadline)
    content_type, charset = _content_type(final.header("Content-Type"))
    notes = []
    if final.status in REDIRECTS:
        notes.append(f"redirect {final.status} without a Location header")
    if content_type is None:
        notes.append("no Content-Type declared")
    elif content_type not in ("text/html", "application/xhtml+xml"):
        notes.append(f"not HTML ({content_type}): kept as received")
    notes.extend(_charset_notes(charset, content_type, decoded))
    return FetchResult(url, hops, decoded, length, content_type, charset, notes, agent)


def _decode_body(url: str, hop: Hop, target: Path, limits: Limits, deadline: float) -> int:
    coding = hop.header("Content-Encoding")
    if not decode.codings(coding):
        shutil.copyfile(hop.body, target)
        return hop.body_length
    total = 0
    with hop.body.open("rb") as raw, target.open("wb") as out:
        try:
            for piece in decode.decode(iter(lambda: raw.read(READ_SIZE), b""), coding):
                total += len(piece)
                if total > limits.max_bytes:
                    raise ResponseTooLargeError(
                        f"fetching {url}: response body decoded ({coding}) is larger than the limit "
                        f"of {limits.max_bytes:,} bytes"
                    )
                out.write(piece)
                _remaining(url, deadline, limits)
        except decode.DecodeFailed as exc:
            raise FetchError(f"fetching {hop.url.url}: {exc}") from None
    return total


def _content_type(header: str | None) -> tuple[str | None, str | None]:
    """The media type (lower case) and the declared charset (as declared, stripped)."""
    if not header:
        return None, None
    message = Message()
    message["Content-Type"] = header
    media = message.get_content_type() if "/" in header.split(";", 1)[0] else None
    charset = message.get_param("charset")
    if isinstance(charset, tuple):
        charset = charset[2]
    return media, (str(charset).strip() or None) if charset else None


def _charset_notes(charset: str | None, content_type: str | None, decoded: Path) -> list[str]:
    """Say whether the declared charset is one Python knows and whether the body decodes with it."""
    textual = content_type is None or content_type.startswith("text/") or content_type.endswith("+xml")
    if charset is None:
        return ["no charset declared in Content-Type"] if textual else []
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        return [f"declared charset {charset!r} is not an encoding Python knows"]
    if not getattr(codec, "_is_text_encoding", True):
        return [f"declared charset {charset!r} is not a text encoding"]
    decoder = codec.incrementaldecoder("strict")
    offset = 0
    with decoded.open("rb") as body:
        for piece in iter(lambda: body.read(READ_SIZE), b""):
            try:
                decoder.decode(piece)
            except UnicodeDecodeError as exc:
                return [f"body does not decode as the declared charset {charset!r} "
                        f"(byte {offset + exc.start})"]
            offset += len(piece)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return [f"body does not decode as the declared charset {charset!r} (ends mid-character)"]
    return []
