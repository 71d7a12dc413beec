"""Streaming file digests, several algorithms in one read.

Bagging and fixity both hash every payload byte with sha256 and sha512. Reading once and feeding
both digests from separate threads (hashlib releases the GIL on large updates) uses both cores on
one file, which matters for large payloads; small files are bound by system calls instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHUNK = 4 << 20
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hash")


def hash_file(path: Path, algorithms: Iterable[str] = ("sha256", "sha512")) -> tuple[dict[str, str], int]:
    """Hex digests of ``path`` for each algorithm, and the bytes read, in one pass of the file."""
    digests = {name: hashlib.new(name) for name in algorithms}
    size = 0
    with open(path, "rb", buffering=0) as handle:
        chunk = handle.read(CHUNK)
        while chunk:
            size += len(chunk)
            if len(chunk) < (1 << 16) or len(digests) == 1:
                for digest in digests.values():
                    digest.update(chunk)
                chunk = handle.read(CHUNK)
                continue
            futures = [_pool.submit(d.update, chunk) for d in digests.values()]
            chunk = handle.read(CHUNK)  # read the next chunk while the digests run
            for future in futures:
                future.result()
    return {name: d.hexdigest() for name, d in digests.items()}, size
