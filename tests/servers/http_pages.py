"""A real HTTP server on 127.0.0.1 with the pages web-capture tests need.

``serve_pages()`` starts a threaded ``http.server`` on a free port, waits until it answers a
request (a connection, never a fixed sleep), yields a ``PageServer`` and stops it. Handlers that
must stall (the slow page) wait on ``server.release``, an Event the test never sets; the fixture
sets it on shutdown so the handler threads end. Endless bodies stop by themselves after
``ENDLESS_LIMIT`` bytes, or when the client hangs up, whichever comes first.

Every body a page sends is remembered in ``server.sent[path]`` (the bytes written after the
headers, content-coded as sent), so tests can prove a WARC replays them byte for byte.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import json
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ENDLESS_LIMIT = 1024 * 1024 * 1024
CHUNK = 64 * 1024

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Tidal Archives of the North Sea</title>
<meta name="author" content="Ada Lovelace">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Tidal Archives of the North Sea",
 "author": {"@type": "Person", "name": "Ada Lovelace"},
 "datePublished": "2024-03-05", "publisher": {"@type": "Organization", "name": "Sea Gazette"}}
</script></head>
<body><article><h1>Tidal Archives of the North Sea</h1>
<p>Records of the tides, kept since 1790, show the coast moving inland — café notes included.</p>
<p>Archivists in Bremen and Hull compared the ledgers line by line.</p>
</article></body></html>
"""

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class PageServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, shared: dict[str, threading.Event] | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), PageHandler)
        self.tls = tls
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.release = threading.Event()
        self.shared = shared if shared is not None else {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.timeline: list[tuple[str, float, float]] = []  # (path, monotonic start, end)
        self.sent: dict[str, bytes] = {}
        self.sent_sha256: dict[str, str] = {}
        self.counter = 0
        self.hits: list[tuple[str, str]] = []  # (path, User-Agent)
        self.mutable: dict[str, tuple[int, bytes, str]] = {}  # /mutable/<name>: what it serves now
        self.lock = threading.Lock()

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        """A client that hangs up mid-body (time-outs, size limits) is what the tests provoke."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def base(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path


class PageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PageServer

    def log_message(self, format, *args):
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        with self.server.lock:
            self.server.hits.append((parts.path, self.headers.get("User-Agent", "")))
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        started = time.monotonic()
        try:
            self._route(parts)
        finally:
            with self.server.lock:
                self.server.in_flight -= 1
                self.server.timeline.append((parts.path, started, time.monotonic()))

    def _route(self, parts) -> None:  # type: ignore[no-untyped-def]
        route = ROUTES.get(parts.path)
        if route is None:
            for prefix, handler in PREFIXES:
                if parts.path.startswith(prefix):
                    handler(self, parts.path[len(prefix):], parse_qs(parts.query))
                    return
            self.reply(404, b"not here", "text/plain")
            return
        route(self)

    def reply(self, status: int, body: bytes, content_type: str | None,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with self.server.lock:  # before sending: the client may check as soon as it has the body
            self.server.sent[urlsplit(self.path).path] = body
        self.wfile.write(body)


def _article(h: PageHandler) -> None:
    h.reply(200, ARTICLE.encode("utf-8"), "text/html; charset=utf-8")


def _no_charset(h: PageHandler) -> None:
    h.reply(200, ARTICLE.replace('<meta charset="utf-8">', "").encode("utf-8"), "text/html")


def _wrong_charset(h: PageHandler) -> None:
    # declares UTF-8, sends windows-1252 (the "é" is one byte 0xE9)
    body = ARTICLE.replace("—", "-").replace('<meta charset="utf-8">', "").encode("cp1252")
    h.reply(200, body, "text/html; charset=utf-8")


def _header_charset(h: PageHandler) -> None:
    # no <meta>: only the response header says windows-1252 (and the "é" is one byte 0xE9)
    body = ARTICLE.replace("—", "-").replace('<meta charset="utf-8">', "").encode("cp1252")
    h.reply(200, body, "text/html; charset=windows-1252")


def _meta_overruled(h: PageHandler) -> None:
    # <meta> says utf-8 but the bytes are windows-1252; the header says so and outranks <meta>
    body = ARTICLE.replace("—", "-").encode("cp1252")
    h.reply(200, body, "text/html; charset=windows-1252")


def _unknown_charset(h: PageHandler) -> None:
    h.reply(200, ARTICLE.encode("utf-8"), "text/html; charset=x-no-such-charset")


def _gzip(h: PageHandler) -> None:
    h.reply(200, gzip.compress(ARTICLE.encode("utf-8"), mtime=0), "text/html; charset=utf-8",
            {"Content-Encoding": "gzip"})


def _deflate(h: PageHandler) -> None:
    h.reply(200, zlib.compress(ARTICLE.encode("utf-8")), "text/html; charset=utf-8",
            {"Content-Encoding": "deflate"})


def _brotli(h: PageHandler) -> None:
    import brotlicffi

    h.reply(200, brotlicffi.compress(ARTICLE.encode("utf-8")), "text/html; charset=utf-8",
            {"Content-Encoding": "br"})


@functools.cache
def gzip_bomb() -> bytes:
    """64 MiB of zeros in about 64 KB of gzip."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()


def _gzip_bomb(h: PageHandler) -> None:
    h.reply(200, gzip_bomb(), "text/html", {"Content-Encoding": "gzip"})


def _bad_gzip(h: PageHandler) -> None:
    h.reply(200, b"this is not gzip at all", "text/html", {"Content-Encoding": "gzip"})


REQUISITES_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/style.css"><link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="http://other.example/evil.css"></head>
<body><p>Pictures</p><img src="image.png"><img src="/image.png#again"><img src="data:image/png;base64,AA==">
<img src="//other.example/x.png"><img src="/status/404"><img src="/redirect-to?to=http://0.0.0.0/">
<img src="/big/3">{more}</body></html>
"""
STYLE = b"body { font-family: serif; }\n"


def _with_requisites(h: PageHandler) -> None:
    more = "".join(f'<img src="/image.png?n={n}">' for n in range(40))
    h.reply(200, REQUISITES_PAGE.format(more=more).encode(), "text/html; charset=utf-8")


def _style(h: PageHandler) -> None:
    h.reply(200, STYLE, "text/css")


def _compress(h: PageHandler) -> None:
    h.reply(200, b"\x1f\x9d\x90<html>", "text/html", {"Content-Encoding": "compress"})


def _pdf(h: PageHandler) -> None:
    h.reply(200, PDF, "application/pdf")


def _png(h: PageHandler) -> None:
    h.reply(200, PNG, "image/png")


def _counter(h: PageHandler) -> None:
    with h.server.lock:
        h.server.counter += 1
        visit = h.server.counter
    body = ARTICLE.replace("inland", f"inland (revision {visit})").encode("utf-8")
    h.reply(200, body, "text/html; charset=utf-8")


def _slow(h: PageHandler) -> None:
    h.server.release.wait()  # the test never sets it: the client must time out
    h.reply(200, b"too late", "text/plain")


def _slow_body(h: PageHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100")
    h.end_headers()
    h.wfile.write(b"<html>")
    h.wfile.flush()
    h.server.release.wait()


def _endless(h: PageHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Connection", "close")
    h.end_headers()
    block = b"<p>more</p>\n" * (CHUNK // 12)
    sent = 0
    try:
        while sent < ENDLESS_LIMIT:
            h.wfile.write(block)
            sent += len(block)
    except OSError:
        pass
    h.close_connection = True


def _chunked(h: PageHandler) -> None:
    body = ARTICLE.encode("utf-8")
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    with h.server.lock:
        h.server.sent["/chunked"] = body
    for start in range(0, len(body), 100):
        piece = body[start:start + 100]
        h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    h.wfile.write(b"0\r\n\r\n")


def _short_body(h: PageHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "1000")
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(b"<html>only part")
    h.close_connection = True


def _json_ld(h: PageHandler) -> None:
    h.reply(200, json.dumps({"not": "html"}).encode(), "application/json")


def _status(h: PageHandler, rest: str, query: dict) -> None:
    code = int(rest or "500")
    h.reply(code, f"<html><body>status {code}</body></html>".encode(), "text/html; charset=utf-8")


def _redirect_chain(h: PageHandler, rest: str, query: dict) -> None:
    """/redirect/N redirects N times, then lands on the article."""
    left = int(rest or "0")
    target = f"/redirect/{left - 1}" if left > 1 else "/article"
    h.reply(302, b"", None, {"Location": target})


def _loop(h: PageHandler, rest: str, query: dict) -> None:
    h.reply(301, b"", None, {"Location": "/loop/b" if rest == "a" else "/loop/a"})


def _redirect_to(h: PageHandler, rest: str, query: dict) -> None:
    h.reply(302, b"", None, {"Location": query["to"][0]})


def _big(h: PageHandler, rest: str, query: dict) -> None:
    """/big/<MiB>: a deterministic body of that many MiB, streamed; its sha256 is remembered."""
    size = int(rest) * 1024 * 1024
    block = bytes(range(256)) * (CHUNK // 256)
    digest = hashlib.sha256()
    for start in range(0, size, CHUNK):
        digest.update(block[: min(CHUNK, size - start)])
    with h.server.lock:  # before sending: the client may check as soon as it has the body
        h.server.sent_sha256[h.path] = digest.hexdigest()
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(size))
    h.end_headers()
    try:
        for start in range(0, size, CHUNK):
            h.wfile.write(block[: min(CHUNK, size - start)])
    except OSError:
        return


def _rendezvous(h: PageHandler, rest: str, query: dict) -> None:
    """/rendezvous/<mine>/<other>: set event <mine>, then wait for <other> (the servers share the
    events). Both answer 200 only if both requests are in flight at once; one at a time, the
    first waits out its 10 s and answers 504."""
    mine, other = rest.split("/", 1)
    h.server.shared.setdefault(mine, threading.Event()).set()
    met = h.server.shared.setdefault(other, threading.Event()).wait(timeout=10)
    h.reply(200 if met else 504, b"met" if met else b"alone", "text/plain")


def _mutable(h: PageHandler, rest: str, query: dict) -> None:
    """/mutable/<name>: the article until a test sets ``server.mutable[name]`` to (status, body,
    content type): a page edited, or taken down, between capture and recapture."""
    default = (200, ARTICLE.encode("utf-8"), "text/html; charset=utf-8")
    status, body, kind = h.server.mutable.get(rest, default)
    h.reply(status, body, kind)


def _fresh(h: PageHandler, rest: str, query: dict) -> None:
    """/fresh/<n>: article n, different on every visit (as pages with a clock or ads are): only a
    journal, not the duplicate check, keeps a resumed batch from capturing it twice."""
    with h.server.lock:
        h.server.counter += 1
        visit = h.server.counter
    body = ARTICLE.replace("North Sea", f"North Sea, part {rest}").replace(
        "inland", f"inland (visit {visit})").encode("utf-8")
    h.reply(200, body, "text/html; charset=utf-8")


def _page(h: PageHandler, rest: str, query: dict) -> None:
    """/page/<n>: a small distinct article, for benchmarks and batches."""
    body = ARTICLE.replace("North Sea", f"North Sea, part {rest}").encode("utf-8")
    h.reply(200, body, "text/html; charset=utf-8")


ROUTES = {
    "/health": lambda h: h.reply(200, b"ok", "text/plain"),
    "/article": _article,
    "/no-charset": _no_charset,
    "/wrong-charset": _wrong_charset,
    "/unknown-charset": _unknown_charset,
    "/header-charset": _header_charset,
    "/meta-overruled": _meta_overruled,
    "/gzip": _gzip,
    "/deflate": _deflate,
    "/br": _brotli,
    "/gzip-bomb": _gzip_bomb,
    "/bad-gzip": _bad_gzip,
    "/compress": _compress,
    "/with-requisites": _with_requisites,
    "/style.css": _style,
    "/doc.pdf": _pdf,
    "/image.png": _png,
    "/counter": _counter,
    "/slow": _slow,
    "/slow-body": _slow_body,
    "/endless": _endless,
    "/chunked": _chunked,
    "/short-body": _short_body,
    "/data.json": _json_ld,
}
PREFIXES = [
    ("/status/", _status),
    ("/redirect/", _redirect_chain),
    ("/loop/", _loop),
    ("/redirect-to", _redirect_to),
    ("/big/", _big),
    ("/page/", _page),
    ("/mutable/", _mutable),
    ("/fresh/", _fresh),
    ("/rendezvous/", _rendezvous),
]


@contextmanager
def serve_pages(
    shared: dict[str, threading.Event] | None = None,
    tls: ssl.SSLContext | None = None,
    client_tls: ssl.SSLContext | None = None,
) -> Iterator[PageServer]:
    """Start the server, wait until it answers, yield it, stop it. Servers given the same
    ``shared`` dict share the events of /rendezvous/; ``tls`` serves HTTPS (``client_tls``
    is what the readiness check trusts)."""
    server = PageServer(shared, tls)
    gzip_bomb()
    thread = threading.Thread(target=server.serve_forever, name="http-pages", daemon=True)
    thread.start()
    try:
        _wait_ready(server, client_tls)
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def _wait_ready(server: PageServer, client_tls: ssl.SSLContext | None) -> None:
    """One real request: the listening socket is bound already, so this blocks only until the
    serving thread answers (bounded by the connection's own time-out)."""
    port = server.server_address[1]
    conn = (http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=client_tls)
            if server.tls else http.client.HTTPConnection("127.0.0.1", port, timeout=30))
    try:
        conn.request("GET", "/health")
        response = conn.getresponse()
        assert response.status == 200 and response.read() == b"ok"
    finally:
        conn.close()
