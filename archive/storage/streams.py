"""A remote file handle as a buffered binary stream whose failures are StorageErrors.

S3 bodies and SFTP handles fail with their own exception types mid-read; the fixity reader must see
one error kind that names the storage and the file, never a library's traceback or a secret.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any, BinaryIO

from archive.storage.base import StorageError


class _Raw(io.RawIOBase):
    def __init__(self, handle: Any, on_error: Callable[[BaseException], StorageError]) -> None:
        self._handle = handle
        self._on_error = on_error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._handle.read(len(buffer))
        except Exception as exc:
            raise self._on_error(exc) from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):
                self._handle.close()
        super().close()


def reader(handle: Any, on_error: Callable[[BaseException], StorageError], buffer: int = 1 << 20) -> BinaryIO:
    """``handle`` (anything with ``read(n)`` and ``close()``) as a buffered reader; a failed read
    raises ``on_error(exc)`` and closing never raises."""
    return io.BufferedReader(_Raw(handle, on_error), buffer)  # type: ignore[return-value]
