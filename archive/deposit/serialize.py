"""Bags as one file for transfer: tar, tar.gz or zip, holding the single folder ``<id>_v<N>/``.

Members carry no owner names or ids, no absolute paths, and fixed modes (0644 files, 0755
folders), so what leaves the archive says nothing about who ran it, and the same bag always
serialises to the same bytes. The file is written under a temporary name and renamed, so a
deposit folder never holds half a file under the final name.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tarfile
import time
import zipfile
from pathlib import Path

from archive.hashing import hash_file

SUFFIXES = {"tar": ".tar", "tar.gz": ".tar.gz", "zip": ".zip"}


def _members(bag: Path) -> list[tuple[str, Path]]:
    """Bag-relative POSIX paths of every folder and file, sorted, folders before their contents."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(bag):
        dirs.sort()
        rel = os.path.relpath(folder, bag)
        if rel != ".":
            found.append((rel.replace(os.sep, "/") + "/", Path(folder)))
        for name in sorted(files):
            path = name if rel == "." else f"{rel}/{name}"
            found.append((path.replace(os.sep, "/"), Path(folder) / name))
    return found


def _write_tar(bag: Path, top: str, handle, compressed: bool) -> None:
    stream = gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) if compressed else handle
    with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar:
        entries = [(f"{top}/", bag), *((f"{top}/{rel}", path) for rel, path in _members(bag))]
        for name, path in entries:
            st = path.stat()
            info = tarfile.TarInfo(name.rstrip("/"))
            info.mtime = int(st.st_mtime)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if name.endswith("/"):
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.mode, info.size = 0o644, st.st_size
                with open(path, "rb") as data:
                    tar.addfile(info, data)
    if compressed:
        stream.close()


def _write_zip(bag: Path, top: str, handle) -> None:
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in [(f"{top}/", bag), *((f"{top}/{rel}", p) for rel, p in _members(bag))]:
            st = path.stat()
            stamp = time.gmtime(max(st.st_mtime, 315532800))[:6]  # zip dates start in 1980
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, so the modes below are read
            if name.endswith("/"):
                info.external_attr = (0o40755 << 16) | 0x10
                archive.writestr(info, b"")
                continue
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as data, archive.open(info, "w") as out:
                while chunk := data.read(1 << 20):
                    out.write(chunk)


def serialise(bag: Path, top: str, fmt: str, folder: Path) -> tuple[Path, str]:
    """Write ``<folder>/<top><suffix>`` and its ``.sha256`` sidecar; returns the path and digest."""
    target = folder / f"{top}{SUFFIXES[fmt]}"
    partial = folder / f".{target.name}.partial-{os.getpid()}"
    try:
        with open(partial, "wb") as handle:
            if fmt == "zip":
                _write_zip(bag, top, handle)
            else:
                _write_tar(bag, top, handle, compressed=fmt == "tar.gz")
            handle.flush()
            os.fsync(handle.fileno())
        digest = hash_file(partial, ["sha256"])[0]["sha256"]
        sidecar = folder / f"{target.name}.sha256"
        side_partial = folder / f".{sidecar.name}.partial-{os.getpid()}"
        side_partial.write_text(f"{digest}  {target.name}\n", encoding="utf-8")
        os.replace(partial, target)
        os.replace(side_partial, sidecar)
    finally:
        for leftover in (partial, folder / f".{target.name}.sha256.partial-{os.getpid()}"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return target, digest
