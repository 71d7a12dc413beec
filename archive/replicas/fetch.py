"""Files taken from a replica into a local archive, each confirmed against a digest it does not supply.

Nothing on a replica is trusted, its listing included. A bag's files are fetched in the order that
carries trust down from the catalogue: ``tagmanifest-sha256.txt`` against the digest the record
pinned when the bag was made, the tag files (manifests, bagit.txt, bag-info.txt) against it, then the
payload against the manifests, then the other tag manifests (``tagmanifest-sha512.txt``) against the
bytes the archive writes for the confirmed tag files: no manifest lists them, so that is what
confirms them. Each file goes through ``write_atomic(sha256=...)``, so a file that
does not hash right never lands under its name. A path read from a manifest must be a safe
relative path (``check_relpath``) of its kind (payload under ``data/``, tag files outside it), and
the local side is a storage rooted at the bag's own folder, so nothing can be written beside it.
A file already there with the right digest is kept, which is what lets a killed restore resume.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archive.bagit_format.manifest import split_manifest_line
from archive.bagit_format.paths import decode_path
from archive.bagit_format.taginfo import split_lines
from archive.hashing import hash_file
from archive.progress import Cancel, cancelled
from archive.replicas.copying import tagmanifest_digest
from archive.storage.base import Entry, Storage, StorageError, check_relpath, total_size
from archive.storage.local import LocalStorage

CHUNK = 1 << 20
MAX_MANIFEST = 256 << 20
PINNED = "tagmanifest-sha256.txt"


@dataclass
class Fetched:
    """What one bag (or one record's source files) took: counts, and every problem as a line."""

    files: int = 0
    bytes: int = 0
    kept: int = 0
    """Files already there with the right digest (a resumed restore)."""
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Replica files no digest covers (left there, not copied)."""

    def add(self, other: Fetched) -> None:
        self.files += other.files
        self.bytes += other.bytes
        self.kept += other.kept
        self.problems += other.problems
        self.skipped += other.skipped


class _Stream:
    """A remote file's chunks, hashed as they pass, so a refused write can tell bytes that do not
    match (read to the end) from a transfer that broke off."""

    def __init__(self, remote: Storage, path: str, expect: Entry | None):
        self.remote, self.path, self.expect = remote, path, expect
        self.digest = hashlib.sha256()
        self.complete = False

    def __iter__(self) -> Iterator[bytes]:
        with self.remote.open_read(self.path, self.expect) as handle:
            while chunk := handle.read(CHUNK):
                self.digest.update(chunk)
                yield chunk
        self.complete = True


def _already_there(local: LocalStorage, path: str, sha256: str) -> bool:
    full = Path(local.full_path(path))
    try:
        if full.is_symlink() or not full.is_file():
            return False
        return hash_file(full, ["sha256"])[0]["sha256"] == sha256
    except OSError:
        return False


def fetch_file(remote: Storage, local: LocalStorage, path: str, sha256: str | None, into: Fetched,
               *, what: str) -> bool:
    """Copy ``path`` from ``remote`` to ``local`` confirmed by ``sha256`` (None only where no digest
    exists; the full verify after a restore judges those files); a problem line on failure."""
    where = f"{remote.label.rstrip('/')}/{path}"
    stream = _Stream(remote, path, None)
    try:
        check_relpath(path)
        if sha256 is not None and _already_there(local, path, sha256):
            into.kept += 1
            return True
        entry = remote.stat(path)
        if entry is None:
            into.problems.append(f"{where}: missing on the replica ({what})")
            return False
        if entry.kind != "file":
            into.problems.append(f"{where}: not a regular file on the replica ({entry.kind}); not copied")
            return False
        stream.expect = entry
        written = local.write_atomic(path, stream, sha256=sha256)
    except StorageError as exc:
        if sha256 is not None and stream.complete and stream.digest.hexdigest() != sha256:
            into.problems.append(f"{where}: its bytes do not match {what} (damaged or tampered with); "
                                 "not copied")
        else:
            into.problems.append(f"{where}: not copied ({exc.reason})")
        return False
    into.files += 1
    into.bytes += written.size
    return True


def _manifest_digests(local: LocalStorage, name: str, payload: bool, into: Fetched) -> dict[str, str]:
    """path -> digest of one manifest already fetched and confirmed; a line naming an unsafe
    path, or a path of the wrong kind, is a problem and names nothing."""
    full = Path(local.full_path(name))
    with open(full, "rb") as handle:
        text = handle.read(MAX_MANIFEST).decode("utf-8", "replace")
    found: dict[str, str] = {}
    for number, line in enumerate(split_lines(text), 1):
        parsed = split_manifest_line(line) if line.strip() else None
        if parsed is None:
            continue
        path = decode_path(parsed[1])
        try:
            check_relpath(path)
        except StorageError:
            into.problems.append(f"{local.label}/{name}: line {number} names an unsafe path; not fetched")
            continue
        if path.startswith("data/") != payload or path.startswith("tagmanifest-"):
            into.problems.append(f"{local.label}/{name}: line {number} names {path!r}, not a "
                                 f"{'payload' if payload else 'tag'} file; not fetched")
            continue
        found[path] = parsed[0]
    return found


def fetch_bag(remote: Storage, local_root: Path, pinned: str | None, cancel: Cancel | None = None,
              *, size: int | None = None) -> Fetched:
    """Every file of one bag version from ``remote`` (a storage rooted at the bag on the replica)
    into ``local_root`` (made here), each confirmed; see the module docstring for the order.
    ``size`` (the catalogue's bytes of the bag) catches a file no manifest lists (a tag manifest)
    missing on the replica."""
    into = Fetched()
    local_root.mkdir(parents=True, exist_ok=True)
    local = LocalStorage(local_root)
    if remote.stat(PINNED) is None and not _any_file(remote):
        into.problems.append(f"{remote.label}: the whole bag is missing on the replica (the catalogue "
                             "snapshot lists it)")
        return into
    if not fetch_file(remote, local, PINNED, pinned, into,
                      what="the tag manifest the catalogue pinned when the bag was made"):
        return into
    tags = _manifest_digests(local, PINNED, payload=False, into=into)
    for path, digest in sorted(tags.items()):
        fetch_file(remote, local, path, digest, into,
                   what=f"the digest {PINNED} gives")
    payload: dict[str, str] = {}
    if "manifest-sha256.txt" in tags and os.path.exists(local.full_path("manifest-sha256.txt")):
        payload = _manifest_digests(local, "manifest-sha256.txt", payload=True, into=into)
    if not payload and not into.problems:
        into.problems.append(f"{remote.label}: the bag has no manifest-sha256.txt to confirm its payload by")
    for path, digest in sorted(payload.items()):
        if cancelled(cancel):
            return into
        fetch_file(remote, local, path, digest, into, what="the digest manifest-sha256.txt gives")
    _other_tagmanifests(remote, local, tags, payload, into)
    if size is not None and not into.problems and not cancelled(cancel):
        _check_size(remote, local, tags, size, into)
    return into


def _check_size(remote: Storage, local: LocalStorage, tags: dict[str, str], size: int, into: Fetched) -> None:
    """No manifest lists a tag manifest, so one missing on the replica is found by the catalogue's
    size of the bag: when the bag restored falls short of it and a tag manifest its manifests imply
    is absent, that file is named. (Every other file copied was listed or confirmed, so a size
    that differs for no such file is not the replica's fault and is left to the full verify.)"""
    held = total_size(local)
    if held == size:
        return
    for name in sorted(name for name in _tag_manifests_of(tags) if local.stat(name) is None):
        into.problems.append(f"{remote.label.rstrip('/')}/{name}: missing on the replica: the bag restored "
                             f"holds {held} bytes, the catalogue recorded {size} when it was made")


def _any_file(remote: Storage) -> bool:
    try:
        return any(entry.kind == "file" for entry in remote.walk())
    except StorageError:
        return False


def _other_tagmanifests(remote: Storage, local: LocalStorage, tags: dict[str, str], payload: dict[str, str],
                        into: Fetched) -> None:
    """tagmanifest-<alg>.txt files besides the pinned one. No manifest lists them, but their bytes
    follow from the tag files the pinned one confirmed (the archive writes them so, and the full
    verify holds them to it: archive.fixity.crosscheck), so each is fetched confirmed by that
    digest, and one altered on the replica is named and not copied. Anything else on the replica
    that no manifest names is left there and listed."""
    known = {PINNED, *tags, *payload}
    try:
        listing = [e for e in remote.walk() if e.kind == "file" and e.path not in known]
    except StorageError as exc:
        into.problems.append(f"{remote.label}: cannot be listed: {exc.reason}")
        return
    for entry in listing:
        name = entry.path
        if name in _tag_manifests_of(tags):
            digest, why = _derived_digest(local, tags, name)
            if digest is None:
                if why:
                    into.problems.append(f"{remote.label.rstrip('/')}/{name}: {why}; not copied")
                continue
            fetch_file(remote, local, name, digest, into,
                       what=f"the tag manifest this archive wrote for the tag files {PINNED} confirms")
        else:
            into.skipped.append(f"{remote.label.rstrip('/')}/{name}")


def _tag_manifests_of(tags: dict[str, str]) -> set[str]:
    """The tag manifests a bag with these tag files holds: one per payload manifest's algorithm
    (the archive writes both for each algorithm it uses), the pinned sha256 one aside. Another
    found on a replica belongs to no manifest the catalogue's chain confirms."""
    return {f"tag{name}" for name in tags
            if name.startswith("manifest-") and name.endswith(".txt") and name != "manifest-sha256.txt"}


def _derived_digest(local: LocalStorage, tags: dict[str, str], name: str) -> tuple[str | None, str]:
    """The SHA-256 ``name`` (tagmanifest-<alg>.txt) must have, from the tag files already fetched
    and confirmed; (None, why) when it cannot be known ('' when a tag file's own problem is named)."""
    algorithm = name[len("tagmanifest-"):-len(".txt")]
    if algorithm not in hashlib.algorithms_available:
        return None, f"no digest can confirm a tag manifest of algorithm {algorithm!r}"
    return tagmanifest_digest(local, tags, algorithm, MAX_MANIFEST), ""
