"""How ``run_cli`` starts an ``archive`` run: forked from the worker's warmed zygote
(``tests/cli_zygote.py``), or by a real exec of the console script.

Either way the command is a process of its own with real argv parsing, exit code, output and
files; the fork only skips the interpreter's start-up and archive's imports, which were most of
the suite's CPU (0.04-0.1 CPU-s of each of some 2,000 runs). A run goes by real exec when:

- ``$ARCHIVE_TEST_EXEC=1`` (every run: to check that the fast path changes nothing);
- the test is marked ``@pytest.mark.real_exec`` (a test about start-up, imports, signals or the
  process tree of the CLI, which a fork would not show as a user's run has it);
- the run's environment differs from the zygote's in anything read before or during start-up
  and import (``STARTUP_KEYS``): PYTHONPATH (killgate's sitecustomize and other hooks), any
  PYTHON* variable, -X options by PYTHONxxx, the locale (LANG, LC_*), TZ; or sets a kill point
  (``ARCHIVE_KILLGATE``, ``ARCHIVE_TEST_KILL_AT``: a test that kills the CLI).

What a forked run does not reproduce, so a test that depends on it must exec (tests that need a
process tree, psutil's cmdline, or SIGKILL of the CLI start ``archive`` with subprocess
themselves, as they did before): the kernel's record of the exec (/proc/PID/cmdline and
/proc/PID/environ are the zygote's, the parent is the zygote), the freeing of every module at
exit (``cli_zygote._end``), and a fresh str hash seed per run (every run a worker forks shares
its zygote's; each worker's zygote has its own).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

EXEC_ENV = "ARCHIVE_TEST_EXEC"
ZYGOTE = Path(__file__).resolve().with_name("cli_zygote.py")

STARTUP_PREFIXES = ("PYTHON", "LC_", "ARCHIVE_KILLGATE", "ARCHIVE_TEST_KILL")
STARTUP_KEYS = frozenset({"LANG", "LANGUAGE", "TZ"})
"""Environment variables the interpreter or an import reads once at start-up (archive reads
its own variables when a command runs: tests/test_cli_runner.py checks that no module of archive
reads one at import)."""

FORCE_EXEC = [False]
"""``FORCE_EXEC[0]``: set by conftest.py while a test marked ``real_exec`` runs (a list, not a
thread-local: a test's own threads run the CLI too)."""


def startup_differs(a: dict[str, str], b: dict[str, str]) -> bool:
    """Whether a process started with environment ``a`` could start differently from one
    started with ``b``."""
    keys = {k for k in (*a, *b) if k.startswith(STARTUP_PREFIXES) or k in STARTUP_KEYS}
    return any(a.get(k) != b.get(k) for k in keys)


class Zygote:
    """The worker's warmed process, started on first use (with the environment of that first
    run, less what a run may change without it mattering) and ended with the worker."""

    def __init__(self, archive_bin: Path, env: dict[str, str]) -> None:
        self.env = dict(env)
        self.folder = tempfile.mkdtemp(prefix="archive-zygote-")
        self.address = os.path.join(self.folder, "socket")
        self.proc = subprocess.Popen(
            [sys.executable, str(ZYGOTE), str(archive_bin.parent), self.address],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env, cwd=self.folder,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the zygote says so once it listens
        if line != b"ready\n":
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"the CLI zygote did not start (exit {self.proc.returncode})")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """End it (end of file on its stdin) and wait, so its CPU is counted as the worker's
        children's, as the CLI runs it forked were."""
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.address)
            os.rmdir(self.folder)

    def run(self, argv: list[str], cwd: str | os.PathLike | None, env: dict[str, str],
            input: bytes | None, timeout: float | None) -> tuple[subprocess.CompletedProcess, float]:
        """As ``subprocess.run(argv, cwd, env, input, capture_output=True, timeout)``; also the
        CPU-seconds the run used."""
        if cwd is not None and not os.path.isdir(cwd):  # subprocess fails in the parent too
            raise FileNotFoundError(2, "No such file or directory", os.fspath(cwd))
        request = json.dumps({
            "argv0": argv[0], "args": argv[1:], "env": env, "umask": _umask(),
            "cwd": os.fspath(cwd) if cwd is not None else os.getcwd(),
        }).encode()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r, in_w = os.pipe() if input is not None else (None, None)
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self.address)
            socket.send_fds(conn, [struct.pack("!I", len(request))], [in_r if in_r is not None else 0,
                                                                      out_w, err_w])
            conn.sendall(request)
        except OSError:
            for fd in (out_r, out_w, err_r, err_w, in_r, in_w):
                if fd is not None:
                    os.close(fd)
            conn.close()
            raise
        for fd in (out_w, err_w, in_r):
            if fd is not None:
                os.close(fd)
        try:
            return self._collect(conn, argv, out_r, err_r, in_w, input, timeout)
        finally:
            conn.close()

    @staticmethod
    def _collect(conn: socket.socket, argv: list[str], out_r: int, err_r: int, in_w: int | None,
                 input: bytes | None, timeout: float | None) -> tuple[subprocess.CompletedProcess, float]:
        """Feed stdin, read stdout and stderr to their ends and the exit status, as
        ``communicate`` does; at the deadline, SIGKILL the run and raise TimeoutExpired."""
        deadline = None if timeout is None else time.monotonic() + timeout
        selector = selectors.DefaultSelector()
        chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ, "out")
        to_send = memoryview(input or b"")
        if in_w is not None:
            if to_send:
                os.set_blocking(in_w, False)
                selector.register(in_w, selectors.EVENT_WRITE, "in")
            else:
                os.close(in_w)
                in_w = None
        selector.register(conn, selectors.EVENT_READ, "status")
        answer = b""
        pid: int | None = None
        code: int | None = None
        cpu = 0.0
        open_outputs = 2
        try:
            while open_outputs or code is None:
                wait = None if deadline is None else deadline - time.monotonic()
                if wait is not None and wait <= 0:
                    if pid is not None:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    conn.setblocking(True)
                    while len(answer) < 16:  # the zygote reports the killed run's end
                        more = conn.recv(16 - len(answer))
                        if not more:
                            break
                        answer += more
                    raise subprocess.TimeoutExpired(argv, timeout, output=b"".join(chunks[out_r]),
                                                    stderr=b"".join(chunks[err_r]))
                for key, _ in selector.select(wait):
                    if key.data == "out":
                        data = os.read(key.fd, 65536)
                        if data:
                            chunks[key.fd].append(data)
                        else:
                            selector.unregister(key.fd)
                            open_outputs -= 1
                    elif key.data == "in":
                        assert in_w is not None
                        try:
                            sent = os.write(in_w, to_send[:65536])
                        except BrokenPipeError:
                            sent = len(to_send)
                        to_send = to_send[sent:]
                        if not to_send:
                            selector.unregister(in_w)
                            os.close(in_w)
                            in_w = None
                    else:
                        more = conn.recv(16 - len(answer))
                        if not more:
                            raise RuntimeError("the CLI zygote went away during a run")
                        answer += more
                        if pid is None and len(answer) >= 4:
                            (pid,) = struct.unpack("!I", answer[:4])
                            answer = answer[4:]
                        if pid is not None and len(answer) == 12:
                            code, cpu = struct.unpack("!id", answer)
                            selector.unregister(conn)
        finally:
            selector.close()
            for fd in (out_r, err_r, in_w):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        done = subprocess.CompletedProcess(argv, code, b"".join(chunks[out_r]), b"".join(chunks[err_r]))
        return done, cpu


def _umask() -> int:
    """This process's umask, read without changing it (os.umask would, for a moment)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_lock = threading.Lock()
_zygote: Zygote | None = None
_cpu = [0.0]


def forked_cpu() -> float:
    """CPU-seconds of the runs forked from the zygote so far (counted as the zygote's children,
    not this process's, until the zygote ends)."""
    return _cpu[0]


def run(argv: list[str], cwd, env: dict[str, str], input: bytes | None,
        timeout: float | None) -> subprocess.CompletedProcess:
    """One ``archive`` run: forked from the zygote where that is the same, else exec'd (the
    result's ``how`` says which: "fork" or "exec")."""
    global _zygote
    zygote = None
    if os.environ.get(EXEC_ENV) != "1" and not FORCE_EXEC[0]:
        with _lock:
            if _zygote is None or not _zygote.alive():
                _zygote = Zygote(Path(argv[0]), env)
            zygote = _zygote
        if startup_differs(env, zygote.env):
            zygote = None
    if zygote is None:
        done = subprocess.run(argv, cwd=cwd, env=env, input=input, capture_output=True, timeout=timeout)
        done.how = "exec"  # type: ignore[attr-defined]
        return done
    done, cpu = zygote.run(argv, cwd, env, input, timeout)
    with _lock:
        _cpu[0] += cpu
    done.how = "fork"  # type: ignore[attr-defined]
    return done


def close() -> None:
    """End the zygote (conftest.py calls this as the worker ends)."""
    global _zygote
    with _lock:
        if _zygote is not None:
            _zygote.close()
            _zygote = None
