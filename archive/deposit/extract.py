"""Unpacking a bag received from elsewhere into a staging folder, refusing anything hostile.

Nothing in an archive file is trusted: member names are checked before any byte is written,
only plain files and folders are made (never links, devices or FIFOs), every file is created
new (``O_EXCL | O_NOFOLLOW``) under the staging folder, and sizes are counted as bytes arrive,
not as headers claim, so a zip bomb stops at the limit. Every reason found is listed.

Limits (``Limits``): at most 10,000 members, 2 GiB per member, 4 GiB in all, and a member over
1 MiB may not expand more than 200 times its compressed size.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What an incoming bag may hold; larger is refused as a likely bomb or mistake."""

    max_members: int = 10_000
    max_member_bytes: int = 2 << 30
    max_total_bytes: int = 4 << 30
    max_ratio: int = 200
    ratio_floor: int = 1 << 20


class Refused(Exception):
    """The package is refused; ``reasons`` lists every problem found."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def check_name(name: str) -> str | None:
    """Why a member name is unsafe, or None: absolute, ``..``, drive letters, backslashes, NUL."""
    if not name or "\x00" in name:
        return "empty name or NUL byte"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if "\\" in name:
        return "backslash in path"
    if any(part == ".." for part in name.split("/")):
        return "'..' in path"
    return None


class _Writer:
    """Creates folders and files under ``root`` only, counting what is written."""

    def __init__(self, root: Path, limits: Limits):
        self.root, self.limits, self.total, self.count = root, limits, 0, 0

    def _target(self, name: str) -> Path:
        parts = [p for p in name.split("/") if p not in ("", ".")]
        return self.root.joinpath(*parts)

    def folder(self, name: str) -> None:
        self._target(name).mkdir(parents=True, exist_ok=True)

    def file(self, name: str, source, declared: int | None = None) -> None:
        target = self._target(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        written = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                self.total += len(chunk)
                if written > self.limits.max_member_bytes:
                    raise Refused([f"{name}: larger than the {self.limits.max_member_bytes:,}-byte limit"])
                if self.total > self.limits.max_total_bytes:
                    raise Refused([f"more than {self.limits.max_total_bytes:,} bytes in all"])
                out.write(chunk)
        if declared is not None and written != declared:
            raise Refused([f"{name}: holds {written} bytes but its header says {declared}"])


def _tar_reasons(member: tarfile.TarInfo, limits: Limits) -> list[str]:
    reasons = []
    problem = check_name(member.name)
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


def _extract_tar(path: Path, writer: _Writer) -> None:
    limits = writer.limits
    with tarfile.open(path, "r:*") as tar:
        members = []
        for member in tar:  # streaming: never trust a member count from the header
            members.append(member)
            if len(members) > limits.max_members:
                raise Refused([f"more than {limits.max_members:,} members"])
        reasons = [r for m in members for r in _tar_reasons(m, limits)]
        if reasons:
            raise Refused(reasons)
        for member in members:
            if member.isdir():
                writer.folder(member.name)
            else:
                writer.file(member.name, tar.extractfile(member), member.size)


def _zip_reasons(info: zipfile.ZipInfo, limits: Limits) -> list[str]:
    reasons = []
    problem = check_name(info.filename)
    if problem:
        reasons.append(f"{info.filename}: {problem}")
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a device, FIFO or socket"
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
        if total > limits.max_total_bytes:
            reasons.append(f"{total:,} bytes in all is over the {limits.max_total_bytes:,}-byte limit")
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
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                reasons.append(f"{member}: a symbolic link (to {os.readlink(path)})")
            elif stat.S_ISDIR(st.st_mode):
                entries.append((member, True))
            elif not stat.S_ISREG(st.st_mode):
                reasons.append(f"{member}: a device, FIFO or socket")
            elif st.st_nlink > 1:
                reasons.append(f"{member}: a hard link ({st.st_nlink} names for one file)")
            else:
                entries.append((member, False))
        if len(entries) > writer.limits.max_members:
            raise Refused([f"more than {writer.limits.max_members:,} files"])
    if reasons:
        raise Refused(reasons)
    for member, is_dir in entries:
        if is_dir:
            writer.folder(member)
        else:
            with open(os.path.join(folder, member), "rb") as source:
                writer.file(member, source)


def unpack(path: Path, staging: Path, limits: Limits = Limits()) -> Path:
    """Unpack (or copy) the bag at ``path`` into ``staging`` and return the bag's folder in it."""
    out = staging / "unpacked"
    out.mkdir()
    writer = _Writer(out, limits)
    try:
        if path.is_dir():
            _copy_folder(path, writer)
        elif tarfile.is_tarfile(path):
            _extract_tar(path, writer)
        elif zipfile.is_zipfile(path):
            _extract_zip(path, writer)
        else:
            raise Refused([f"{path.name}: not a bag folder, tar, tar.gz or zip file"])
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        shutil.rmtree(out, ignore_errors=True)
        raise Refused([f"{path.name}: damaged archive file ({exc})"]) from None
    if (out / "bagit.txt").is_file():
        return out
    tops = [p for p in out.iterdir()]
    if len(tops) == 1 and tops[0].is_dir() and (tops[0] / "bagit.txt").is_file():
        return tops[0]
    raise Refused(["no bag found: expected bagit.txt at the top or in a single top-level folder"])
