"""Streaming file digests, several algorithms in one read.

Bagging and fixity hash every payload byte with sha256 and sha512. One read feeds both. For a large
file the slowest digest (sha512) runs on a helper thread while the calling thread reads the next
chunk and runs the other digests, so both cores stay busy and the read costs no extra time
(hashlib and os.readinto release the GIL). Small files, where system calls dominate, are read in one
call and hashed inline. Buffers are reused, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

CHUNK = 4 << 20
SMALL = 1 << 20
"""Files up to this size are read in one call and hashed on the calling thread."""

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _helper() -> ThreadPoolExecutor:
    """One helper thread per process, made lazily so a forked child never inherits a dead one."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hash")
            _pool_pid = os.getpid()
        return _pool


def _read_small(fd: int, limit: int) -> bytes:
    parts = []
    total = 0
    while True:
        block = os.read(fd, limit + 1 - total)
        if not block:
            break
        parts.append(block)
        total += len(block)
        if total > limit:
            break
    return b"".join(parts)


def hash_fd(fd: int, algorithms: Iterable[str] = ("sha256", "sha512"),
            size_hint: int | None = None) -> tuple[dict[str, str], int]:
    """Hex digests of everything readable from ``fd`` and the bytes read; the caller closes it."""
    names = list(algorithms)
    digests = [hashlib.new(name) for name in names]
    if size_hint is not None and size_hint <= SMALL:
        data = _read_small(fd, SMALL)
        if len(data) <= SMALL:
            for digest in digests:
                digest.update(data)
            return dict(zip(names, (d.hexdigest() for d in digests), strict=True)), len(data)
        return _hash_stream(fd, names, digests, first=data)
    return _hash_stream(fd, names, digests, first=b"")


def hash_bytes(data: bytes, algorithms: Iterable[str] = ("sha256", "sha512")) -> dict[str, str]:
    """Hex digests of bytes already in memory (a small file read once for parsing and hashing)."""
    found = {}
    for name in algorithms:
        found[name] = hashlib.new(name, data).hexdigest()
    return found


def hash_reader(reader: BinaryIO, algorithms: Iterable[str] = ("sha256", "sha512"),
                size_hint: int | None = None) -> tuple[dict[str, str], int]:
    """Hex digests of everything ``reader`` yields and the bytes read; the caller closes it.

    A local file (an unbuffered ``io.FileIO``, what LocalStorage.open_read returns) takes
    :func:`hash_fd`'s path on its descriptor; any other stream (a replica's) is read with
    ``readinto`` into the same two reused buffers, its slowest digest on the helper thread.
    """
    if isinstance(reader, io.FileIO):
        return hash_fd(reader.fileno(), algorithms, size_hint=size_hint)
    names = list(algorithms)
    return _hash_handle(reader, names, [hashlib.new(name) for name in names], first=b"")


def _hash_stream(fd: int, names: list[str], digests: list, first: bytes) -> tuple[dict[str, str], int]:
    with open(fd, "rb", buffering=0, closefd=False) as handle:
        return _hash_handle(handle, names, digests, first)


def _hash_handle(handle: BinaryIO, names: list[str], digests: list,
                 first: bytes) -> tuple[dict[str, str], int]:
    # The slowest digest goes to the helper thread; sha512 costs about twice sha256 per byte.
    order = sorted(digests, key=lambda d: d.name != "sha512")
    off, rest = order[0], order[1:]
    if len(digests) == 1:
        off, rest = None, order
    size = 0
    for digest in digests:
        digest.update(first)
    size += len(first)
    buffers = [bytearray(CHUNK), bytearray(CHUNK)]
    pending: Future | None = None
    turn = 0
    readinto = getattr(handle, "readinto", None) or _readinto_by_read(handle)
    while True:
        buffer = buffers[turn]
        count = readinto(buffer)  # overlaps the helper's work on the other buffer
        if pending is not None:
            pending.result()
            pending = None
        if not count:
            break
        view = memoryview(buffer)[:count]
        size += count
        if off is not None:
            pending = _helper().submit(off.update, view)
        for digest in rest:
            digest.update(view)
        turn ^= 1
    if pending is not None:
        pending.result()
    return dict(zip(names, (d.hexdigest() for d in digests), strict=True)), size


def _readinto_by_read(handle: BinaryIO):
    """``readinto`` for a stream that only has ``read`` (some remote clients' bodies)."""
    def readinto(buffer: bytearray) -> int:
        data = handle.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)
    return readinto


def hash_file(path: Path, algorithms: Iterable[str] = ("sha256", "sha512")) -> tuple[dict[str, str], int]:
    """Hex digests of ``path`` for each algorithm, and the bytes read, in one pass of the file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        return hash_fd(fd, algorithms, size_hint=os.fstat(fd).st_size)
    finally:
        os.close(fd)
