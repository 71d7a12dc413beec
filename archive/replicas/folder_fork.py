"""A second process copying part of a folder replica's bags while the calling thread copies the rest.

Why a process and not threads: a folder replica's copy is system calls on the page cache with a
little Python between each; threads hand the GIL over at every one of them (measured: 8 threads
cost 1.6x the CPU of one, and ran no faster). A forked child has its own interpreter, so the two
copy loops run on two cores with no hand-off at all.

The child only copies: each bag with the same ``copy_bag`` as the calling thread (temporary
folder, every file checked against the bag's manifests, one rename), and reports one line per bag
on a pipe. Everything else stays in the calling thread, which alone records copies: it reads the
child's lines between its own bags, and a bag counts only after the batch's ``syncfs`` (which
covers the child's files too: one file system) and the catalogue write, as before. The child
writes nothing to the catalogue, so a kill of either process, or both, leaves what a kill of one
copying thread left: committed bags not yet recorded (re-hashed by the next run, never re-sent)
and temporary folders (swept by the next run).

When: only where forking is safe and worth it: Linux (the child must die with its parent:
``archive.processes.die_with_parent``), the calling process running no other thread (a fork copies
no thread, and a lock another thread held would stay held in the child: the TUI's workers stay
in one thread), ``jobs`` of 2 or more, and enough bags to repay the fork.

The child stops when the calling thread asks (a byte on the stop pipe, seen between files at most
every ``STOP_POLL_S``): its bag under way is abandoned and its temporary folder removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from archive.replicas.folder_push import FolderBags, copy_bag
from archive.replicas.transfer import BagDone, Context, LocalProblem, Stopped

MIN_BAGS = 64
"""Fewer bags than this are copied in the calling thread alone: a fork costs milliseconds."""
STOP_POLL_S = 0.05


def can_fork(jobs: int, bags: int) -> bool:
    """Whether a copying child may be forked here (see the module docstring)."""
    return (jobs >= 2 and bags >= MIN_BAGS and sys.platform.startswith("linux")
            and hasattr(os, "fork") and threading.active_count() == 1)


class _PipeStop:
    """The child's ``ctx.stop``: set once a byte (or the end) shows on the stop pipe; looked at
    no more often than every STOP_POLL_S, as ``is_set`` is asked before every file."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = False
        self.looked = 0.0

    def is_set(self) -> bool:
        if self.seen:
            return True
        now = time.monotonic()
        if now - self.looked >= STOP_POLL_S:
            self.looked = now
            self.seen = bool(select.select([self.fd], [], [], 0)[0])
        return self.seen

    def set(self) -> None:
        self.seen = True

    def wait(self, timeout: float | None = None) -> bool:
        return self.is_set()


@dataclass
class Report:
    """One bag's outcome in the child: ``done`` (a BagDone), or the failure to raise for it;
    ``again``: the bag was on the replica already, so the calling thread checks it file by file."""

    index: int
    done: BagDone | None = None
    failure: BaseException | None = None
    again: bool = False


@dataclass
class Child:
    """The forked copier, seen from the calling thread."""

    pid: int
    results: int
    stop_fd: int
    buffer: bytes = b""
    ended: bool = False
    reaped: bool = False

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.stop_fd, b"s")

    def ready(self, block: bool = False) -> Iterator[Report]:
        """The reports that have arrived (with ``block``, all of them, to the child's end)."""
        while not self.ended:
            if not block and not select.select([self.results], [], [], 0)[0]:
                break
            data = os.read(self.results, 1 << 16)
            if not data:
                self.ended = True
            self.buffer += data
            *lines, self.buffer = self.buffer.split(b"\n")
            for line in lines:
                yield _parse(json.loads(line))

    def finish(self, *, check: bool) -> None:
        """Wait for the child, whose reports were read to the end first (``ready(block=True)``);
        with ``check``, a child that did not end well is a bug (exit 70), as a worker's would be."""
        self.reaped = True
        for fd in (self.results, self.stop_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if check and code != 0:
            raise RuntimeError(f"the process copying bags to the folder replica ended with status {code}")


def _parse(fields: list[Any]) -> Report:
    index, kind = fields[0], fields[1]
    if kind == "done":
        return Report(index, done=BagDone(*fields[2]))
    if kind == "again":
        return Report(index, again=True)
    if kind == "stopped":
        return Report(index, failure=Stopped("stopped"))
    if kind == "local":
        return Report(index, failure=LocalProblem(fields[2]))
    return Report(index, failure=OSError(fields[2]))


def fork_copier(ctx: Context, bags: FolderBags, items: list[tuple[int, str, dict[str, Any]]]) -> Child:
    """Fork a child copying ``items`` ((index, record id, bag entry) each) to the folder replica."""
    results_r, results_w = os.pipe()
    stop_r, stop_w = os.pipe()
    owner = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 70
        try:
            os.close(results_r)
            os.close(stop_w)
            code = _copy_in_child(owner, ctx, bags, items, results_w, stop_r)
        finally:
            os._exit(code)
    os.close(results_w)
    os.close(stop_r)
    return Child(pid, results_r, stop_w)


def _copy_in_child(owner: int, ctx: Context, bags: FolderBags, items: list[tuple[int, str, dict[str, Any]]],
                   out: int, stop_fd: int) -> int:
    from archive.processes import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the calling thread, which stops this
    die_with_parent(owner)
    ctx = replace(ctx, stop=_PipeStop(stop_fd))  # type: ignore[arg-type]  # the Event's three calls
    for index, record_id, entry in items:
        if ctx.stop.is_set():
            _say(out, [index, "stopped"])
            continue
        try:
            done = copy_bag(ctx, bags, record_id, entry)
        except Stopped:
            _say(out, [index, "stopped"])
            continue
        except LocalProblem as exc:
            _say(out, [index, "local", str(exc)])
            continue
        except OSError as exc:
            _say(out, [index, "error", f"{exc.filename or bags.replica.label}: {exc.strerror or exc}"])
            continue
        if done is None:
            _say(out, [index, "again"])
        else:
            _say(out, [index, "done", [done.record_id, done.version, done.files, done.bytes, done.sent,
                                       done.sent_bytes]])
    return 0


def _say(out: int, fields: list[Any]) -> None:
    data = (json.dumps(fields) + "\n").encode("utf-8")
    while data:
        data = data[os.write(out, data):]
