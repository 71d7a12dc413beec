"""A warmed ``archive``: each CLI run of a test forked from a process that has imported archive.

Started as a script, once per pytest worker (``tests/cli_runner.py`` starts it and talks to it).
Most of an ``archive`` run's CPU in the suite was the interpreter starting and importing archive's
modules, the same work some 4,000 times. This process does that once; for each run it forks a
child that becomes the command exactly as ``.venv/bin/archive`` would be: its own pid, argv,
working directory, umask and environment (``os.environ`` replaced wholesale), the stdin, stdout
and stderr pipes of the test (passed over a Unix socket), every other descriptor closed, signal
dispositions and mask as a fresh interpreter has them, then ``sys.exit(entry())`` as the console
script does, ending as the interpreter ends (threads joined, atexit run, output flushed; ``_end``
says what of the interpreter's end it skips). The test gets the child's exit status (and its CPU
time) back over the socket.

What cannot be reproduced this way (what happens before and during start-up and import) is left
to a real exec: ``cli_runner.run`` decides which runs may come here.

This process stays single-threaded (a forked child must be free to fork its own pool workers, as
``archive bag`` and ``verify`` do when no other thread runs) and ends when its stdin, a pipe only
the pytest worker holds, reaches end of file, killing any run still going.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import gc
import importlib
import io
import json
import os
import pkgutil
import selectors
import signal
import socket
import struct
import sys
import threading
import types

# As the console script: its own folder first on sys.path, not tests/.
BIN_DIR = sys.argv[1]
sys.path[0] = BIN_DIR

_SIGNALS = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]
_FRESH_HANDLERS = {s: signal.getsignal(s) for s in _SIGNALS}
"""The dispositions a fresh interpreter starts with (before archive is imported)."""
_FRESH_MASK = signal.pthread_sigmask(signal.SIG_BLOCK, [])

def _warm() -> None:
    """Import every module of archive (what commands import at their top), not tui: textual
    reads its environment at import, so a ``tui`` run imports it afresh in the child."""
    import archive

    for module in pkgutil.walk_packages(archive.__path__, "archive."):
        if not module.name.endswith(".__main__"):
            importlib.import_module(module.name)
    from archive.citation.citeproc_js import preload

    preload()  # what a bagging parent loads before forking its workers; starts no thread, no V8


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    """One request: a length-prefixed JSON object, with the run's stdin/stdout/stderr fds."""
    fds = array.array("i")
    data, ancdata, _flags, _addr = conn.recvmsg(4, socket.CMSG_LEN(3 * fds.itemsize))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    if len(data) < 4:
        raise ConnectionError("no request")
    (size,) = struct.unpack("!I", data)
    body = b""
    while len(body) < size:
        more = conn.recv(size - len(body))
        if not more:
            raise ConnectionError("short request")
        body += more
    return json.loads(body), list(fds)


def _stdio(fd: int, mode: str, like: io.TextIOWrapper, name: str) -> io.TextIOWrapper:
    """A text stream on ``fd`` made as CPython's start-up makes sys.stdin/stdout/stderr (its
    ``create_stdio``): the encoding and errors of the zygote's own (same locale, same PYTHON*
    variables), newline ``\\n``, the descriptor never closed by it; stdin always buffered, the
    others unbuffered (write-through) as the zygote's are under PYTHONUNBUFFERED, else buffered
    and line-buffered on a terminal (stderr always)."""
    raw = io.FileIO(fd, mode + "b", closefd=False)
    raw.name = name  # type: ignore[misc]
    unbuffered = mode == "w" and isinstance(like.buffer, io.RawIOBase)
    buffer: io.RawIOBase | io.BufferedIOBase
    if unbuffered:
        buffer = raw
    elif mode == "r":
        buffer = io.BufferedReader(raw)
    else:
        buffer = io.BufferedWriter(raw)
    line_buffering = not unbuffered and mode == "w" and (raw.isatty() or fd == 2)
    stream = io.TextIOWrapper(buffer, encoding=like.encoding, errors=like.errors, newline="\n",
                              line_buffering=line_buffering, write_through=unbuffered)
    stream.mode = mode  # type: ignore[misc]
    return stream


def _become_the_command(request: dict, fds: list[int]) -> None:
    """In the forked child: take on the run's descriptors, place, environment and arguments."""
    for n, fd in enumerate(fds):
        os.dup2(fd, n, inheritable=True)
    os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536)
    for sig, handler in _FRESH_HANDLERS.items():
        if handler is not None:
            with contextlib.suppress(OSError, ValueError):
                signal.signal(sig, handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, _FRESH_MASK)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    import tempfile
    import time

    time.tzset()  # TZ as the run's environment says
    tempfile.tempdir = None  # $TMPDIR read afresh, as a new process would
    import multiprocessing

    multiprocessing.current_process().authkey = os.urandom(32)  # a fresh process's own key
    sys.stdin = sys.__stdin__ = _stdio(0, "r", sys.__stdin__, "<stdin>")  # type: ignore[arg-type]
    sys.stdout = sys.__stdout__ = _stdio(1, "w", sys.__stdout__, "<stdout>")  # type: ignore[arg-type]
    sys.stderr = sys.__stderr__ = _stdio(2, "w", sys.__stderr__, "<stderr>")  # type: ignore[arg-type]
    sys.argv = [request["argv0"], *request["args"]]
    main = types.ModuleType("__main__")
    main.__file__ = request["argv0"]
    main.__builtins__ = __builtins__  # type: ignore[attr-defined]
    sys.modules["__main__"] = main


def _serve() -> tuple[dict, list[int]]:
    """Answer requests until the worker goes (then exit); return only in a forked child, with
    the request it is to run."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sys.argv[2])
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin, selectors.EVENT_READ, "worker")
    running: dict[int, tuple[int, socket.socket]] = {}  # pidfd: (pid, connection)
    while True:
        for key, _ in selector.select():
            what = key.data
            if what == "worker":  # end of file: the worker has gone
                with contextlib.suppress(OSError):
                    os.unlink(sys.argv[2])
                    os.rmdir(os.path.dirname(sys.argv[2]))
                for pid, _conn in running.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                os._exit(0)
            if what == "accept":
                conn, _ = listener.accept()
                try:
                    request, fds = _receive(conn)
                except (ConnectionError, ValueError, OSError):
                    conn.close()
                    continue
                sys.stdout.flush()
                sys.stderr.flush()
                assert threading.active_count() == 1, "the zygote must stay single-threaded"
                gc.freeze()  # the child's collections then skip (and so do not copy) the warm heap
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    listener.close()
                    conn.close()
                    for _pid, other in running.values():
                        other.close()
                    _become_the_command(request, fds)
                    return request, fds
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                running[pidfd] = (pid, conn)
                selector.register(pidfd, selectors.EVENT_READ, "child")
                conn.sendall(struct.pack("!I", pid))
            elif what == "child":
                pidfd = key.fd
                selector.unregister(pidfd)
                pid, conn = running.pop(pidfd)
                os.close(pidfd)
                _, status, usage = os.wait4(pid, 0)
                code = os.waitstatus_to_exitcode(status)
                with contextlib.suppress(OSError):
                    conn.sendall(struct.pack("!id", code, usage.ru_utime + usage.ru_stime))
                conn.close()


def _end(code: object) -> None:
    """End as the interpreter ends a program that raised ``SystemExit(code)`` (or returned),
    up to the point where it would free every object and module one by one: non-daemon threads
    joined (``threading._shutdown``, which also shuts down concurrent.futures pools), atexit
    handlers run, output flushed (failing that, exit status 120), garbage cycles collected so
    their finalizers run; then ``os._exit``. Freeing what the zygote imported (copy-on-write
    pages touched one by one) cost 30 ms of every forked run, more than its own work for most
    commands; what is skipped is only the freeing of objects still held by modules at exit,
    which archive gives no finalizer. ``archive``'s own QUICK_EXIT commands end like this for
    real. A test that must see the real teardown sets ARCHIVE_TEST_EXEC=1 or is marked."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    gc.collect()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        status = 120
    os._exit(status & 0xFF)


def _run_as_the_console_script() -> None:
    """``sys.exit(entry())``, what .venv/bin/archive runs, ended by ``_end``: an exception is
    reported by ``sys.excepthook`` (exit 1), and KeyboardInterrupt ends the process by SIGINT,
    as the interpreter does."""
    from archive.cli import entry

    try:
        entry()
    except SystemExit as exc:
        _end(exc.code)
    except KeyboardInterrupt:
        sys.excepthook(*sys.exc_info())
        with contextlib.suppress(Exception):
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        _end(1)
    _end(0)


if __name__ == "__main__":
    _warm()
    _serve()  # returns only in a forked child, set up as the command's process
    _run_as_the_console_script()
