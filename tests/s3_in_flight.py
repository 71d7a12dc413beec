"""How many transfers a moto S3 server is serving at once, counted inside the server itself.

``InFlight`` wraps the moto server's WSGI application (no extra hop, so a bench that counts pays
for one lock per request and nothing else): every PUT (a PutObject or an UploadPart, the requests
that carry an object's bytes) counts as in flight from the moment the server takes it until its
answer is ready, and ``peak`` is the highest count seen.

With ``hold=N`` it is also a gate: PUTs are held, not served, until N of them are waiting at the
same moment, then all are let go and every later request passes straight through. So a test
proves N transfers really were in flight together by the event itself, never by a clock. The
wait is bounded (``bound`` seconds, below the client's 30 s read timeout): if N never gather, the
held requests are let go, ``gathered`` stays unset and the test fails on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

TRANSFERS = ("PUT",)


class InFlight:
    def __init__(self, hold: int = 0, bound: float = 25.0) -> None:
        self.hold = hold
        self.bound = bound
        self.current = 0
        self.peak = 0
        self.transfers = 0
        self.gathered = threading.Event()
        """Set once ``hold`` PUTs were waiting at the same moment."""
        self._released = threading.Event()
        self._lock = threading.Lock()
        if hold <= 0:
            self._released.set()

    def reset(self) -> None:
        """Start counting afresh (between two runs against the same server); no hold any more."""
        with self._lock:
            self.peak = self.current
            self.transfers = 0
            self._released.set()

    def wrap(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("REQUEST_METHOD") not in TRANSFERS:
                return app(environ, start_response)
            self._enter()
            try:
                if not self._released.wait(self.bound):
                    self._released.set()  # they never gathered: let every held one go, gathered unset
                return list(app(environ, start_response))  # served whole before it counts as done
            finally:
                with self._lock:
                    self.current -= 1

        return counted

    def _enter(self) -> None:
        with self._lock:
            self.current += 1
            self.transfers += 1
            self.peak = max(self.peak, self.current)
            if not self._released.is_set() and self.current >= self.hold:
                self.gathered.set()
                self._released.set()


def watch(server: Any, counter: InFlight) -> InFlight:
    """Install ``counter`` on a running ``remote_servers.MotoServer``: its werkzeug server looks
    its application up for every request, so the wrapper sees each one from now on."""
    wsgi = server._server._server  # ThreadedMotoServer -> werkzeug BaseWSGIServer
    wsgi.app = counter.wrap(wsgi.app)
    return counter
