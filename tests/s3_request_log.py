"""A forwarding S3 endpoint on 127.0.0.1 in front of moto that writes down every request it passes.

moto keeps no request log a test can read, so a test that must prove what a command did NOT do
(download an object's bytes) points the replica at this proxy instead: each request's method and
path (the bucket and key, query left off) is appended to ``requests`` before it is forwarded, and
the answer is passed back unchanged. ``signers`` records, for each signed request, the access key
id and region of its SigV4 credential scope (moto accepts any key, so this is how a test proves
which credentials the client really used); the signature itself is never kept.
"""

from __future__ import annotations

import http.client
import http.server
import re
import threading
from urllib.parse import unquote, urlsplit

SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/s3/aws4_request")


class ForwardingProxy:
    """An endpoint on 127.0.0.1 that passes every request on to ``upstream`` and its answer back
    unchanged. Subclasses see each request first (``note``) and may answer it themselves
    (``answer_instead``, True when they did)."""

    def __init__(self, upstream: str) -> None:
        outer = self
        up = urlsplit(upstream)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                outer.note(self)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if outer.answer_instead(self):
                    return
                connection = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request(self.command, self.path, body=body or None, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                # A HEAD's answer has no body but the object's length, which must go through as it is.
                length = answer.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                connection.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def note(self, request: http.server.BaseHTTPRequestHandler) -> None:
        """Called with each request before its body is read."""

    def answer_instead(self, request: http.server.BaseHTTPRequestHandler) -> bool:
        """Answer ``request`` here (its body already read) and return True, or False to forward it."""
        return False

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RecordingProxy(ForwardingProxy):
    def __init__(self, upstream: str) -> None:
        self.requests: list[tuple[str, str]] = []
        self.signers: list[tuple[str, str]] = []
        """(access key id, region) of each signed request, from its Authorization header."""
        super().__init__(upstream)

    def note(self, request: http.server.BaseHTTPRequestHandler) -> None:
        self.requests.append((request.command, unquote(urlsplit(request.path).path)))
        scope = SCOPE.search(request.headers.get("Authorization") or "")
        if scope:
            self.signers.append((scope.group(1), scope.group(2)))

    def gets(self) -> list[str]:
        """Paths of the GET requests (object downloads and listings) since the last ``clear``."""
        return [path for method, path in self.requests if method == "GET"]

    def clear(self) -> None:
        self.requests.clear()
        self.signers.clear()
