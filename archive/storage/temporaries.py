"""What a killed ``write_atomic`` leaves behind on each storage, found and removed by name only.

Each storage commits a write by a step that either happens or does not, so a writer killed before
it leaves a temporary that no reader takes for the file, but that stays there, taking space:

- a folder (local.py): ``.<name>.<12 hex>.storage-partial`` beside the final name;
- SFTP (sftp.py): ``.archive-tmp-<12 hex>-<name>`` beside the final name;
- S3 (s3.py): an unfinished multipart upload to the final key (never an object: S3 makes an
  object appear only when the upload completes).

:func:`find_temporaries` lists them with the final path each was for and its age;
:func:`remove_temporary` removes one. Nothing here decides whether a temporary is safe to remove:
a file can be *named* like a temporary and still be committed (a bag may hold any file name), so
the caller (archive.replicas.clean) holds each to what the archive itself knows. Removing an S3
upload never touches a committed object: aborting an upload drops only its parts.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from archive.storage.base import Storage, StorageError, check_relpath
from archive.storage.local import TMP_SUFFIX, LocalStorage
from archive.storage.prefixed import PrefixedStorage
from archive.storage.sftp import TEMP_MARK

LOCAL_NAME = re.compile(r"^\.(?P<final>.+)\.[0-9a-f]{12}" + re.escape(TMP_SUFFIX) + "$")
SFTP_NAME = re.compile(r"^" + re.escape(TEMP_MARK) + r"[0-9a-f]{12}-(?P<final>.+)$")


@dataclass(frozen=True, slots=True)
class Temporary:
    """One leftover of an unfinished write."""

    path: str
    """Where it lies, relative to the storage root (for an S3 upload: its key, which is ``final``)."""
    final: str
    """The path the write would have committed."""
    age: float
    """Seconds since it was last written (an upload: since it was started)."""
    kind: str
    """"file" (a temporary file) or "upload" (an unfinished S3 multipart upload)."""
    handle: str = ""
    """The upload id of an S3 upload."""


def _sibling(path: str, name: str) -> str:
    folder = posixpath.dirname(path)
    return f"{folder}/{name}" if folder else name


def find_temporaries(storage: Storage, prefix: str = "") -> Iterator[Temporary]:
    """Every leftover under ``prefix``; nothing for a storage kind that leaves none it knows of."""
    from archive.storage.s3 import S3Storage
    from archive.storage.sftp import SFTPStorage

    check_relpath(prefix)
    if isinstance(storage, PrefixedStorage):
        inner = f"{storage.prefix}/{prefix}" if storage.prefix and prefix else (storage.prefix or prefix)
        cut = len(storage.prefix) + 1 if storage.prefix else 0
        for temp in find_temporaries(storage.storage, inner):
            yield Temporary(temp.path[cut:], temp.final[cut:], temp.age, temp.kind, temp.handle)
    elif isinstance(storage, LocalStorage):
        yield from _local(storage, prefix)
    elif isinstance(storage, SFTPStorage):
        yield from _sftp(storage, prefix)
    elif isinstance(storage, S3Storage):
        yield from _s3(storage, prefix)


def _exists(storage: Storage, prefix: str) -> bool:
    if not prefix:
        return True
    found = storage.stat(prefix)
    return found is not None and found.kind == "folder"


def _local(storage: LocalStorage, prefix: str) -> Iterator[Temporary]:
    if not _exists(storage, prefix):
        return
    now = time.time()
    for entry in storage.walk(prefix):
        match = LOCAL_NAME.match(posixpath.basename(entry.path))
        if entry.kind != "file" or match is None:
            continue
        try:
            info = os.lstat(storage.full_path(entry.path))
        except OSError:
            continue  # gone meanwhile
        age = max(0.0, now - info.st_mtime)
        yield Temporary(entry.path, _sibling(entry.path, match["final"]), age, "file")


def _sftp(storage: Any, prefix: str) -> Iterator[Temporary]:
    now = time.time()
    for entry in storage.walk(prefix):
        match = SFTP_NAME.match(posixpath.basename(entry.path))
        if entry.kind != "file" or match is None:
            continue
        mtime = entry.identity[1] if isinstance(entry.identity, tuple) else now
        age = max(0.0, now - float(mtime))
        yield Temporary(entry.path, _sibling(entry.path, match["final"]), age, "file")


def _s3(storage: Any, prefix: str) -> Iterator[Temporary]:
    base = storage._key(prefix)
    list_prefix = f"{base}/" if base else ""
    strip = f"{storage.prefix}/" if storage.prefix else ""
    now = time.time()
    try:
        pages = storage._s3().get_paginator("list_multipart_uploads").paginate(Bucket=storage.bucket,
                                                                              Prefix=list_prefix)
        for page in pages:
            for upload in page.get("Uploads", []):
                rel = upload["Key"][len(strip):]
                try:
                    check_relpath(rel)
                except StorageError:
                    continue  # a key no path of this storage can name: not the archive's
                started = upload.get("Initiated")
                age = now - started.timestamp() if started is not None else 0.0
                yield Temporary(rel, rel, max(0.0, age), "upload", str(upload["UploadId"]))
    except StorageError:
        raise
    except Exception as exc:
        raise storage._error(prefix, exc, "listing unfinished uploads failed") from None


def remove_temporary(storage: Storage, temp: Temporary) -> None:
    """Remove one leftover :func:`find_temporaries` gave; a link or anything but a regular file
    under a temporary's name is refused, never followed."""
    from archive.storage.s3 import S3Storage
    from archive.storage.sftp import SFTPStorage

    check_relpath(temp.path)
    if isinstance(storage, PrefixedStorage):
        inner = f"{storage.prefix}/{temp.path}" if storage.prefix else temp.path
        remove_temporary(storage.storage, Temporary(inner, inner, temp.age, temp.kind, temp.handle))
    elif isinstance(storage, LocalStorage):
        _remove_local(storage, temp.path)
    elif isinstance(storage, SFTPStorage):
        _remove_sftp(storage, temp.path)
    elif isinstance(storage, S3Storage):
        _abort_s3(storage, temp)
    else:
        raise StorageError(f"{storage.label}: cannot remove {temp.path}: not a storage this module knows")


def _remove_local(storage: LocalStorage, path: str) -> None:
    try:
        parent, name = storage._open_parent(path)
    except OSError as exc:
        raise storage._error(path, exc, "remove") from None
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            raise StorageError(f"{storage.label}: {path} is not a regular file; not removed")
        os.unlink(name, dir_fd=parent)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise storage._error(path, exc, "remove") from None
    finally:
        os.close(parent)


def _remove_sftp(storage: Any, path: str) -> None:
    def remove(sftp: Any) -> None:
        remote = storage._remote(path)
        try:
            attr = sftp.lstat(remote)
        except FileNotFoundError:
            return
        if not stat.S_ISREG(attr.st_mode or 0):
            raise StorageError(f"{storage.label}: {path} is not a regular file; not removed")
        sftp.remove(remote)

    storage._call(path, "removing", remove)


def _abort_s3(storage: Any, temp: Temporary) -> None:
    try:
        storage._s3().abort_multipart_upload(Bucket=storage.bucket, Key=storage._key(temp.path),
                                             UploadId=temp.handle)
    except Exception as exc:
        if storage._code(exc) in ("NoSuchUpload", "404"):
            return
        raise storage._error(temp.path, exc, "aborting the unfinished upload failed") from None
