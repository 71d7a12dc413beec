"""Unpacking a bag received from elsewhere into a staging folder, refusing anything hostile.

Nothing in an archive file is trusted: member names are checked before any byte is written,
only plain files and folders are made (never links, devices or FIFOs), every file is created
new (``O_EXCL | O_NOFOLLOW``) under the staging folder at a path proven inside it, and sizes are
counted as bytes arrive, not as headers claim, so a bomb stops at the limit. A name given twice,
or given to both a file and a folder, is refused by name: which copy would win is undefined.

Limits (``Limits``): at most 10,000 members, 2 GiB per member, 4 GiB in all, and a member over
1 MiB may not expand more than 200 times the compressed bytes it was read from. The whole archive
may not expand more than 200 times the size of its file either (checked from each member's header
before its data is read, so skipping a huge member costs nothing). Tars, compressed or not, are
read as one stream, once: a tar.gz bomb is stopped as it expands, not after.
"""

from __future__ import annotations

import lzma
import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archive.errors import PackageRefusedError
from archive.untrusted import UnsafePathError, path_inside

CHUNK = 1 << 20
TAR_BUFFER = 16 * 1024
"""Compressed bytes tarfile reads at a time: small, so the bytes consumed are counted finely."""


@dataclass(frozen=True)
class Limits:
    """What an incoming bag may hold; larger is refused as a likely bomb or mistake."""

    max_members: int = 10_000
    max_member_bytes: int = 2 << 30
    max_total_bytes: int = 4 << 30
    max_ratio: int = 200
    ratio_floor: int = 1 << 20
    max_name_bytes: int = 1024
    max_component_bytes: int = 255
    max_depth: int = 32


Refused = PackageRefusedError
"""The package is refused; ``reasons`` lists every problem found (an ArchiveError, from errors.py)."""


def _parts(name: str) -> list[str]:
    return [p for p in name.split("/") if p not in ("", ".")]


def check_name(name: str, limits: Limits = Limits()) -> str | None:
    """Why a member name is unsafe, or None: absolute, ``..``, drive letters, backslashes, NUL,
    bytes that are not UTF-8, or a name too long or too deep for any real bag."""
    if not name or "\x00" in name:
        return "empty name or NUL byte"
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not UTF-8"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if "\\" in name:
        return "backslash in path"
    if any(part == ".." for part in name.split("/")):
        return "'..' in path"
    parts = _parts(name)
    if len(encoded) > limits.max_name_bytes or len(parts) > limits.max_depth \
            or any(len(p.encode("utf-8")) > limits.max_component_bytes for p in parts):
        return (f"name longer than {limits.max_name_bytes} bytes, deeper than {limits.max_depth} "
                f"folders, or with a part over {limits.max_component_bytes} bytes")
    return None


class _Layout:
    """Every member's path as it lands on disk, so a clash is refused before it is written."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.folders: set[str] = set()

    def add(self, name: str, is_dir: bool) -> str | None:
        """Record a member; the reason it clashes with an earlier one, or None."""
        parts = _parts(name)
        if not parts:
            return None if is_dir else f"{name}: names no file"
        for end in range(1, len(parts)):
            parent = "/".join(parts[:end])
            if parent in self.files:
                return f"{name}: {parent} is both a file and a folder in the archive"
        key = "/".join(parts)
        if (is_dir and key in self.files) or (not is_dir and key in self.folders):
            return f"{name}: is both a file and a folder in the archive"
        if not is_dir and key in self.files:
            return f"{name}: appears twice in the archive; refused rather than guess which copy is meant"
        for end in range(1, len(parts) + (1 if is_dir else 0)):
            self.folders.add("/".join(parts[:end]))
        if not is_dir:
            self.files.add(key)
        return None


class _Counted:
    """A raw file that counts the bytes read from it: the compressed bytes a tar stream used."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.count = raw, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


class _Writer:
    """Creates folders and files under ``root`` only, counting what is written."""

    def __init__(self, root: Path, limits: Limits):
        self.root, self.limits, self.total = root, limits, 0

    def _target(self, name: str) -> Path:
        try:
            return path_inside(self.root, *_parts(name))
        except UnsafePathError:
            raise Refused([f"{name}: would be written outside the staging folder"]) from None

    def folder(self, name: str) -> None:
        if not _parts(name):
            return
        try:
            self._target(name).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Refused([f"{name}: cannot be made ({exc.strerror or exc})"]) from None

    def file(self, name: str, source, declared: int | None = None, consumed=None) -> None:
        """Copy ``source`` into a new file. ``consumed()``, when given, says how many compressed
        bytes the archive has read so far, for the expansion limit."""
        target = self._target(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise Refused([f"{name}: cannot be written ({exc.strerror or exc})"]) from None
        start = consumed() if consumed else 0
        written = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                self.total += len(chunk)
                self._check(name, written, consumed() - start if consumed else None)
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise Refused([f"{name}: cannot be written ({exc.strerror or exc})"]) from None
        if declared is not None and written != declared:
            raise Refused([f"{name}: holds {written} bytes but its header says {declared}"])

    def _check(self, name: str, written: int, compressed: int | None) -> None:
        limits = self.limits
        if written > limits.max_member_bytes:
            raise Refused([f"{name}: larger than the {limits.max_member_bytes:,}-byte limit"])
        if self.total > limits.max_total_bytes:
            raise Refused([f"more than {limits.max_total_bytes:,} bytes in all"])
        if compressed is not None and written > limits.ratio_floor \
                and written > limits.max_ratio * max(compressed, 1):
            raise Refused([f"{name}: expands more than {limits.max_ratio}-fold as it is unpacked "
                           f"({written:,} bytes from {compressed:,}); refused as a bomb"])


def _tar_reasons(member: tarfile.TarInfo, limits: Limits) -> list[str]:
    reasons = []
    problem = check_name(member.name, limits)
    if problem:
        reasons.append(f"{member.name}: {problem}")
    if member.issym() or member.islnk():
        reasons.append(f"{member.name}: a {'symbolic' if member.issym() else 'hard'} link "
                       f"(to {member.linkname})")
    elif member.ischr() or member.isblk() or member.isfifo():
        reasons.append(f"{member.name}: a device or FIFO")
    elif not (member.isfile() or member.isdir()):
        reasons.append(f"{member.name}: not a plain file or folder")
    if member.isfile() and member.size > limits.max_member_bytes:
        reasons.append(f"{member.name}: {member.size:,} bytes is over the "
                       f"{limits.max_member_bytes:,}-byte limit")
    return reasons


def _stream_cap(path: Path, limits: Limits) -> int:
    """The most bytes the whole archive may expand to: ``max_ratio`` times its file's size."""
    return max(limits.ratio_floor, limits.max_ratio * path.stat().st_size)


def _extract_tar(path: Path, writer: _Writer) -> None:
    """One pass over the tar as a stream (never a listing pass first, which would expand a bomb
    in full): each member is checked as it arrives, written only while no reason has been found,
    and its data skipped otherwise, so every reason is still collected."""
    limits, cap = writer.limits, _stream_cap(path, writer.limits)
    layout, reasons, count = _Layout(), [], 0
    with open(path, "rb") as raw:
        counted = _Counted(raw)
        with tarfile.open(fileobj=counted, mode="r|*", bufsize=TAR_BUFFER) as tar:  # type: ignore[call-overload]
            for member in tar:
                count += 1
                if count > limits.max_members:
                    raise Refused([*reasons, f"more than {limits.max_members:,} members"])
                if member.offset_data + max(member.size, 0) > cap:
                    raise Refused([*reasons, f"{member.name}: the whole archive expands more than "
                                   f"{limits.max_ratio}-fold its {path.stat().st_size:,} bytes; "
                                   "refused as a bomb"])
                found = _tar_reasons(member, limits)
                if not found:
                    clash = layout.add(member.name, member.isdir())
                    found = [clash] if clash else []
                reasons += found
                if reasons:
                    continue
                if member.isdir():
                    writer.folder(member.name)
                else:
                    writer.file(member.name, tar.extractfile(member), member.size,
                                consumed=lambda: counted.count)
    if reasons:
        raise Refused(reasons)


def _zip_mode_reason(info: zipfile.ZipInfo) -> str | None:
    """Only Unix zips carry a file type in their mode bits. Mode bits without a type (as Python's
    ``zipfile.writestr`` writes them) mean a plain file; a link, device or FIFO is refused."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if info.create_system != 3 or kind in (0, stat.S_IFREG, stat.S_IFDIR):
        return None
    return "a symbolic link" if kind == stat.S_IFLNK else "a device, FIFO or socket"


def _zip_reasons(info: zipfile.ZipInfo, limits: Limits) -> list[str]:
    reasons = []
    problem = check_name(info.filename, limits)
    if problem:
        reasons.append(f"{info.filename}: {problem}")
    kind = _zip_mode_reason(info)
    if kind:
        reasons.append(f"{info.filename}: {kind}")
    if info.flag_bits & 0x1:
        reasons.append(f"{info.filename}: encrypted")
    if info.file_size > limits.max_member_bytes:
        reasons.append(f"{info.filename}: {info.file_size:,} bytes is over the "
                       f"{limits.max_member_bytes:,}-byte limit")
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        reasons.append(f"{info.filename}: expands {info.file_size // max(info.compress_size, 1)}-fold "
                       f"(limit {limits.max_ratio}); refused as a zip bomb")
    return reasons


def _extract_zip(path: Path, writer: _Writer) -> None:
    limits = writer.limits
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise Refused([f"{len(infos):,} members is over the {limits.max_members:,}-member limit"])
        total = sum(i.file_size for i in infos)
        reasons = [r for i in infos for r in _zip_reasons(i, limits)]
        if not reasons:
            layout = _Layout()
            reasons = [c for i in infos if (c := layout.add(i.filename, i.is_dir()))]
        if total > limits.max_total_bytes:
            reasons.append(f"{total:,} bytes in all is over the {limits.max_total_bytes:,}-byte limit")
        elif total > _stream_cap(path, limits):
            reasons.append(f"the whole archive expands more than {limits.max_ratio}-fold its "
                           f"{path.stat().st_size:,} bytes; refused as a zip bomb")
        if reasons:
            raise Refused(reasons)
        for info in infos:
            if info.is_dir():
                writer.folder(info.filename)
            else:
                with archive.open(info) as source:
                    writer.file(info.filename, source, info.file_size)


def _copy_folder(folder: Path, writer: _Writer) -> None:
    """A bag folder is copied the same careful way: links and special files are refused."""
    reasons: list[str] = []
    entries: list[tuple[str, bool]] = []
    for current, dirs, files in os.walk(folder, followlinks=False):
        rel = os.path.relpath(current, folder)
        for name in sorted(dirs) + sorted(files):
            path = os.path.join(current, name)
            member = name if rel == "." else f"{rel}/{name}"
            try:
                st = os.lstat(path)
            except OSError as exc:
                reasons.append(f"{member}: cannot be read ({exc.strerror or exc})")
                continue
            if stat.S_ISLNK(st.st_mode):
                reasons.append(f"{member}: a symbolic link (to {os.readlink(path)})")
            elif stat.S_ISDIR(st.st_mode):
                entries.append((member, True))
            elif not stat.S_ISREG(st.st_mode):
                reasons.append(f"{member}: a device, FIFO or socket")
            elif st.st_nlink > 1:
                reasons.append(f"{member}: a hard link ({st.st_nlink} names for one file)")
            else:
                problem = check_name(member, writer.limits)
                if problem:
                    reasons.append(f"{member}: {problem}")
                entries.append((member, False))
        if len(entries) > writer.limits.max_members:
            raise Refused([f"more than {writer.limits.max_members:,} files"])
    if reasons:
        raise Refused(reasons)
    for member, is_dir in entries:
        if is_dir:
            writer.folder(member)
            continue
        try:
            source = open(os.path.join(folder, member), "rb")  # noqa: SIM115 - closed just below
        except OSError as exc:
            raise Refused([f"{member}: cannot be read ({exc.strerror or exc})"]) from None
        with source:
            writer.file(member, source)


DAMAGED = (tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error,
           lzma.LZMAError, NotImplementedError, OSError, ValueError)
"""What a damaged or unreadable archive file raises while being read (gzip and bz2 raise OSError)."""


def unpack(path: Path, staging: Path, limits: Limits = Limits()) -> Path:
    """Unpack (or copy) the bag at ``path`` into ``staging`` and return the bag's folder in it."""
    out = staging / "unpacked"
    out.mkdir()
    writer = _Writer(out, limits)
    try:
        if path.is_dir():
            _copy_folder(path, writer)
        elif not path.is_file():  # a FIFO or device would block or never end
            raise Refused([f"{path.name}: not a regular file or a folder"])
        elif tarfile.is_tarfile(path):
            _extract_tar(path, writer)
        elif zipfile.is_zipfile(path):
            _extract_zip(path, writer)
        else:
            raise Refused([f"{path.name}: not a bag folder, tar, tar.gz or zip file"])
    except Refused:
        shutil.rmtree(out, ignore_errors=True)
        raise
    except DAMAGED as exc:
        shutil.rmtree(out, ignore_errors=True)
        detail = getattr(exc, "strerror", None) or exc
        raise Refused([f"{path.name}: damaged or unreadable archive file ({detail})"]) from None
    if (out / "bagit.txt").is_file():
        return out
    tops = [p for p in out.iterdir()]
    if len(tops) == 1 and tops[0].is_dir() and (tops[0] / "bagit.txt").is_file():
        return tops[0]
    raise Refused(["no bag found: expected bagit.txt at the top or in a single top-level folder"])

