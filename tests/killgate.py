"""Kill a process at a moment defined by its progress, never by the clock.

A test that sleeps a random time and then sends SIGKILL proves nothing on a loaded machine: the
process may not have started its work yet, or may have finished it. Here the process under test
stops at *gates* instead: before and after every ``os.rename``/``os.replace`` (and, where a test
asks for it, inside every catalogue file write), it reports what it is about to do over a Unix
socket and waits. The test's :class:`KillGate` lets each gate pass until the one it chose, and
kills the whole process group while the process is held there. The kill point is then exactly
"the 7th bag being moved into bags/, before its rename", whatever the machine's speed, and a run
replays from its seed.

The child side is installed by ``tests/killgate_site/sitecustomize.py`` in every Python process
started with :meth:`KillGate.env` (the CLI, its fork server and its pool workers alike); without
``ARCHIVE_KILLGATE`` in the environment every function here does nothing.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ENV = "ARCHIVE_KILLGATE"
SITE = Path(__file__).resolve().parent / "killgate_site"
TESTS = Path(__file__).resolve().parent

# ----- the side of the process under test ---------------------------------------------------

_conn: socket.socket | None = None
_conn_pid: int | None = None
_lock = threading.Lock()
_lock_pid = os.getpid()


def gate(op: str, phase: str, *paths: object) -> None:
    """Report ``op``/``phase`` to the test and wait until it lets this process go on (or kills it)."""
    global _conn, _conn_pid, _lock, _lock_pid
    address = os.environ.get(ENV)
    if not address:
        return
    pid = os.getpid()
    if _lock_pid != pid:  # a forked child: never share the parent's lock or connection
        _lock, _lock_pid = threading.Lock(), pid
    with _lock:
        if _conn_pid != pid:
            _conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            _conn.connect(address)
            _conn_pid = pid
        assert _conn is not None
        fields = [str(pid), op, phase, *(os.fspath(p) if isinstance(p, os.PathLike) else str(p)
                                         for p in paths)]
        _conn.sendall(("\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields) + "\n").encode())
        if _conn.recv(1) != b"g":  # the test is gone: stop rather than run on unobserved
            os._exit(70)


def install() -> None:
    """Gate every rename: bagit's moves into data/, bags moved into bags/, catalogue replaces."""
    if getattr(os, "_killgate_installed", False):
        return

    def gated(op: str, real: Callable) -> Callable:
        def rename(src, dst, *args, **kwargs):
            gate(op, "before", src, dst)
            result = real(src, dst, *args, **kwargs)
            gate(op, "after", src, dst)
            return result

        return rename

    os.rename = gated("rename", os.rename)
    os.replace = gated("replace", os.replace)
    os._killgate_installed = True  # type: ignore[attr-defined]


def instrument_atomic_writes() -> None:
    """Gate the steps of ``archive.store.atomic.atomic_write`` inside its temporary file too.

    The temporary is created (gate), half of it written (gate: a short write, which
    atomic_write's loop must complete), fsynced (gate before), then renamed by ``os.replace``
    (gated by :func:`install`). Only that module sees the wrapped ``os``.
    """
    from archive.store import atomic

    _gate_file_steps(atomic, "tmp", lambda path, flags: str(path).endswith(atomic.TMP_SUFFIX),
                     on_open="created")


# ----- the test's side --------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One gate reached: which process, what it is about to do (or has just done), to which paths."""

    pid: int
    op: str
    phase: str
    paths: tuple[str, ...]

    def __str__(self) -> str:
        return f"pid {self.pid} {self.op} {self.phase} {' -> '.join(self.paths)}"


class KillGate:
    """A Unix socket the gated processes report to; :meth:`run` decides where each one dies."""

    def __init__(self) -> None:
        # A short folder of its own: a socket path is limited to ~100 bytes, tmp_path can be longer.
        self.folder = Path(tempfile.mkdtemp(prefix="killgate-"))
        self.address = str(self.folder / "s")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.address)
        self.listener.listen(64)
        self.listener.setblocking(False)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment that makes every Python process started with it report to this gate."""
        env = dict(os.environ if base is None else base)
        path = [str(SITE), str(TESTS), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        env["PYTHONPATH"] = os.pathsep.join(path)
        env[ENV] = self.address
        return env

    def run(self, proc: subprocess.Popen, kill_here: Callable[[Event], bool],
            timeout: float = 300.0) -> Event | None:
        """Let ``proc`` (started in a session of its own) pass each gate until ``kill_here(event)``
        is true, then SIGKILL its whole process group while it is held at that gate.

        Returns the event it was killed at, or None when it exited without reaching one.
        ``timeout`` is only a safety net against a hang: no progress in that time is a failure.
        """
        selector = selectors.DefaultSelector()
        selector.register(self.listener, selectors.EVENT_READ)
        buffers: dict[socket.socket, bytes] = {}
        deadline = time.monotonic() + timeout
        try:
            while True:
                if time.monotonic() > deadline:
                    self._kill(proc)
                    raise TimeoutError(f"no decision within {timeout:.0f} s: the process hung")
                ready = selector.select(timeout=0.2)
                if not ready and proc.poll() is not None and not self._pending(selector):
                    return None
                for key, _ in ready:
                    if key.fileobj is self.listener:
                        with contextlib.suppress(BlockingIOError):
                            conn, _ = self.listener.accept()
                            conn.setblocking(True)
                            selector.register(conn, selectors.EVENT_READ)
                            buffers[conn] = b""
                        continue
                    conn = key.fileobj  # type: ignore[assignment]
                    chunk = conn.recv(65536)
                    if not chunk:
                        selector.unregister(conn)
                        conn.close()
                        continue
                    buffers[conn] += chunk
                    while b"\n" in buffers[conn]:
                        line, buffers[conn] = buffers[conn].split(b"\n", 1)
                        pid, op, phase, *paths = line.decode().split("\t")
                        event = Event(int(pid), op, phase, tuple(paths))
                        if kill_here(event):
                            self._kill(proc)
                            return event
                        conn.sendall(b"g")
        finally:
            for key in list(selector.get_map().values()):
                if key.fileobj is not self.listener:
                    key.fileobj.close()  # type: ignore[union-attr]
            selector.close()

    @staticmethod
    def _pending(selector: selectors.BaseSelector) -> bool:
        return bool(selector.select(timeout=0))

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def close(self) -> None:
        self.listener.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> KillGate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def instrument_history_appends() -> None:
    """Gate the steps of an append to a history log (``archive.store.history``): before its
    first byte, after half of it (a short write the writer's loop completes, so a kill there
    leaves a torn last line) and before its fsync. Only that module sees the wrapped ``os``."""
    from archive.store import history

    _gate_file_steps(history, "log", lambda path, flags: str(path).endswith(history.LOG_SUFFIX)
                     and bool(flags & history.os.O_APPEND), before_write="before-write")


def _gate_file_steps(module, kind: str, tracks, *, on_open: str = "", before_write: str = "") -> None:
    """Give ``module`` an ``os`` whose open, write and fsync of the files ``tracks(path, flags)``
    picks stop at gates: optionally at open and before the first byte, then after half of a
    write (a short write the caller's loop must complete) and before the fsync."""
    real = module.os
    names: dict[int, str] = {}

    def open_(path, flags, *args, **kwargs):
        fd = real.open(path, flags, *args, **kwargs)
        if tracks(path, flags):
            names[fd] = str(path)
            if on_open:
                gate(kind, on_open, path)
        return fd

    def write(fd, data):
        if fd in names and len(data) > 1:
            if before_write:
                gate(kind, before_write, names[fd])
            written = real.write(fd, data[: len(data) // 2])
            gate(kind, "half-written", names[fd])
            return written
        return real.write(fd, data)

    def fsync(fd):
        if fd in names:
            gate(kind, "before-fsync", names[fd])
        return real.fsync(fd)

    def close(fd):
        names.pop(fd, None)
        return real.close(fd)

    proxy = types.SimpleNamespace(**{name: getattr(real, name) for name in dir(real)
                                     if not name.startswith("__")})
    proxy.open, proxy.write, proxy.fsync, proxy.close = open_, write, fsync, close
    module.os = proxy
