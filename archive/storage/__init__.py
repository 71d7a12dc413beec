"""Where bags live: one interface over the local disk, folders, SFTP and S3-compatible storage.

Everything that lists, reads, writes or stats files under a bag root goes through a
:class:`~archive.storage.base.Storage`. The local disk is the first implementation; each replica
kind is one more. See base.py for the contract every implementation keeps.
"""

from archive.storage.base import (
    Entry,
    NotTheSameFile,
    Storage,
    StorageError,
    check_relpath,
    total_size,
)
from archive.storage.local import LocalStorage

__all__ = [
    "Entry", "LocalStorage", "NotTheSameFile", "Storage", "StorageError", "check_relpath", "total_size",
]
