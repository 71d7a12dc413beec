"""What is really in a bag folder, found without following a single symbolic link.

The walk is the only place the validator asks the file system for names. Everything it reports is
inside the bag by construction; symbolic links and special files (FIFOs, sockets, devices) are
recorded as unsafe and never opened, so a hostile bag can neither leak data from outside nor block
the check on a FIFO.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from archive.fixity.problems import UNREADABLE, UNSAFE, Problem, error

SPECIAL_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


@dataclass(frozen=True, slots=True)
class FileStat:
    """Identity and size of a regular file, to prove later that the file opened is the one walked."""

    size: int
    dev: int
    ino: int


@dataclass(slots=True)
class Inventory:
    """Regular files and folders of a bag, keyed by bag-relative '/'-separated path."""

    root: str
    files: dict[str, FileStat] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    def payload(self) -> dict[str, FileStat]:
        return {p: s for p, s in self.files.items() if p.startswith("data/")}


def _link_problem(root: str, folder: str, rel: str, full: str) -> Problem:
    try:
        target = os.readlink(full)
    except OSError:
        target = "?"
    resolved = os.path.normpath(os.path.join(folder, target))
    outside = not (resolved == root or resolved.startswith(root.rstrip("/") + "/"))
    where = "outside the bag" if outside else "inside the bag"
    code = "symlink-outside" if outside else "symlink"
    return error(UNSAFE, code, rel, f"symbolic link to {where} ({target}); not followed")


def walk(root: str) -> Inventory:
    """Every entry under ``root``; ``root`` itself is trusted (the caller chose it)."""
    root = os.path.abspath(root)
    inv = Inventory(root=root)
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            inv.problems.append(error(UNREADABLE, "unreadable-folder", prefix or ".",
                                      f"cannot list folder: {exc.strerror or exc}"))
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                inv.problems.append(error(UNREADABLE, "unreadable", rel, exc.strerror or str(exc)))
                inv.refused.add(rel)
                continue
            mode = info.st_mode
            if stat.S_ISREG(mode):
                inv.files[rel] = FileStat(info.st_size, info.st_dev, info.st_ino)
            elif stat.S_ISDIR(mode):
                inv.folders.add(rel)
                stack.append((rel + "/", entry.path))
            elif stat.S_ISLNK(mode):
                inv.refused.add(rel)
                inv.problems.append(_link_problem(root, folder, rel, entry.path))
            else:
                inv.refused.add(rel)
                kind = SPECIAL_TYPES.get(stat.S_IFMT(mode), "not a regular file")
                inv.problems.append(error(UNSAFE, "special-file", rel, f"{kind}; not opened"))
    return inv


class NotTheSameFile(OSError):
    """The path no longer leads to the regular file the walk found (swapped, or a link)."""


def open_checked(inv: Inventory, rel: str) -> int:
    """A read-only descriptor for ``rel``, refused unless it is still the file the walk saw.

    O_NOFOLLOW refuses a link in the last component and O_NONBLOCK keeps a FIFO swapped in since
    the walk from blocking the open; the identity check catches anything swapped higher up.
    """
    expected = inv.files[rel]
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(os.path.join(inv.root, rel), flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (expected.dev, expected.ino):
            raise NotTheSameFile(f"{rel} changed while it was being checked")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
