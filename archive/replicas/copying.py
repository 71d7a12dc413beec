"""Moving one file from a copy that is proved good to one that is not, for repair.

The rule both directions keep: bytes are hashed before anything is written, and written with
``write_atomic(..., sha256=)`` so the storage commits them only when what it received hashes to
the manifest's value too. A candidate whose bytes differ is never copied; the reason is kept so
the repair can say, per file, why each copy was passed over.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from archive.replicas.manifests import (
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    Expected,
    add_payload,
    expected_from,
    other_tag_manifest,
    sha256_of,
)
from archive.storage.base import Storage, StorageError

CHUNK = 1 << 20
SPOOL = 16 << 20
"""Files up to this size are read once, hashed and written from memory; larger ones are hashed
as a stream and then streamed again into the write, which hashes them a second time."""
MAX_TAG = 64 << 20


@dataclass(frozen=True, slots=True)
class Copy:
    """One copy of a bag (or of a record's sources): who holds it and a storage rooted at it."""

    name: str
    """A replica's NAME, or "local"."""
    storage: Storage


def _chunks(reader) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    while block := reader.read(CHUNK):
        yield block


def digest_of(storage: Storage, path: str) -> tuple[str | None, str]:
    """(SHA-256 of the file at ``path``, '') or (None, why it has none: missing, a link, unreadable)."""
    try:
        entry = storage.stat(path)
        if entry is None:
            return None, "not there"
        if entry.kind != "file":
            return None, f"a {entry.kind}, not a file"
        digest = hashlib.sha256()
        with storage.open_read(path, entry) as reader:
            for block in _chunks(reader):
                digest.update(block)
        return digest.hexdigest(), ""
    except StorageError as exc:
        return None, exc.reason


def read_small(storage: Storage, path: str, limit: int = MAX_TAG) -> bytes | None:
    """The bytes of a small file (a manifest), or None when it is absent, too large or unreadable."""
    try:
        entry = storage.stat(path)
        if entry is None or entry.kind != "file" or entry.size > limit:
            return None
        with storage.open_read(path, entry) as reader:
            return b"".join(_chunks(reader))
    except StorageError:
        return None


def copy_if_good(source: Storage, target: Storage, path: str, sha256: str) -> str:
    """Copy ``path`` from ``source`` to ``target`` only if its bytes hash to ``sha256``; '' when
    copied, else why not (the target is then as it was)."""
    try:
        entry = source.stat(path)
        if entry is None:
            return "not there"
        if entry.kind != "file":
            return f"a {entry.kind}, not a file"
        if entry.size <= SPOOL:
            with source.open_read(path, entry) as reader:
                data = b"".join(_chunks(reader))
            if sha256_of(data) != sha256:
                return "its SHA-256 differs from the manifest's"
            target.write_atomic(path, [data], sha256=sha256)
            return ""
        found, why = digest_of(source, path)
        if found != sha256:
            return why or "its SHA-256 differs from the manifest's"
        with source.open_read(path, entry) as reader:
            target.write_atomic(path, _chunks(reader), sha256=sha256)
        return ""
    except StorageError as exc:
        return exc.reason


def trusted_digests(copies: list[Copy], entry: dict) -> tuple[Expected | None, str]:
    """What every file of the bag must hash to, from manifests proved against the catalogue's
    pin (see manifests.py), read from whichever copy holds them intact; or None and why."""
    pinned = entry.get("tagmanifest_sha256")
    tag_manifest = None
    for copy in copies:
        data = read_small(copy.storage, TAG_MANIFEST)
        if data is not None and (sha256_of(data) == pinned if pinned else copy.name == "local"):
            tag_manifest = data
            break
    if tag_manifest is None:
        return None, ("no copy holds the tag manifest the catalogue pinned" if pinned
                      else "the catalogue pins no tag manifest and the local one is gone")
    expected = expected_from(tag_manifest, bool(pinned))
    want = expected.digests.get(PAYLOAD_MANIFEST)
    for copy in copies:
        data = read_small(copy.storage, PAYLOAD_MANIFEST, 256 << 20)
        if data is not None and want is not None and sha256_of(data) == want:
            add_payload(expected, data)
            return expected, ""
    return None, f"no copy holds a {PAYLOAD_MANIFEST} matching the tag manifest"


def derived_digest(storage: Storage, expected: Expected, algorithm: str) -> str | None:
    """The SHA-256 that ``tagmanifest-<algorithm>.txt`` must have, computed from the tag files of
    ``storage`` (which must already be the good ones); None when one of them is not."""
    tags = {name: digest for name, digest in expected.digests.items()
            if not name.startswith("data/") and name != TAG_MANIFEST}
    return tagmanifest_digest(storage, tags, algorithm)


def tagmanifest_digest(storage: Storage, tags: dict[str, str], algorithm: str,
                       limit: int = MAX_TAG) -> str | None:
    """The SHA-256 of the tag manifest this archive writes for ``algorithm`` over the tag files of
    ``storage``, each of which must hash to its digest in ``tags`` (name -> SHA-256); None when one
    is missing, too large or not those bytes. No manifest lists such a tag manifest: this is what
    confirms it (repair, and restore's fetch)."""
    contents: dict[str, bytes] = {}
    for name, digest in tags.items():
        data = read_small(storage, name, limit)
        if data is None or sha256_of(data) != digest:
            return None
        contents[name] = data
    return sha256_of(other_tag_manifest(algorithm, contents))
