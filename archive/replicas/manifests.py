"""What each file of a bag must hash to, read from manifests that are themselves proved.

A replica check or a repair must not trust a manifest only because it is in the bag: the manifest
may be the damaged file. The chain of trust starts in the catalogue: the bags[] entry pins the
SHA-256 of ``tagmanifest-sha256.txt``; that tag manifest gives the SHA-256 of every tag file it
lists (``manifest-sha256.txt`` among them); that manifest gives every payload file's. The other
tag manifests (``tagmanifest-sha512.txt``) are exactly what the archive writes for the tag files
tagmanifest-sha256.txt lists (see archive.fixity.crosscheck), so their bytes follow from those.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from archive.bagit_format.manifest import split_manifest_line
from archive.fixity.paths import check_path

TAG_MANIFEST = "tagmanifest-sha256.txt"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
MAX_MANIFEST_BYTES = 256 << 20


@dataclass(slots=True)
class Expected:
    """Bag-relative path -> the SHA-256 its bytes must have, and where the list came from."""

    digests: dict[str, str] = field(default_factory=dict)
    anchored: bool = False
    """True when the chain starts at the catalogue's pin (tagmanifest_sha256)."""
    derived: dict[str, str] = field(default_factory=dict)
    """Other tag manifests (name -> algorithm): their digest follows from the tag files' bytes."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_manifest(data: bytes) -> dict[str, str]:
    """``path -> digest`` of a manifest's lines; a line that is malformed or names an unsafe path
    is left out (the bag check names it), so nothing here can lead outside the bag."""
    entries: dict[str, str] = {}
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        split = split_manifest_line(line.rstrip("\r"))
        if split is None:
            continue
        path, _ = check_path(split[1], (1, 0), f"line {number}")
        if path is not None and path not in entries:
            entries[path] = split[0]
    return entries


def other_tag_manifest(algorithm: str, tag_files: dict[str, bytes]) -> bytes:
    """The bytes of ``tagmanifest-<algorithm>.txt`` as the archive writes it for ``tag_files``."""
    return "".join(f"{hashlib.new(algorithm, tag_files[name]).hexdigest()}  {name}\n"
                   for name in sorted(tag_files)).encode()


def expected_from(tag_manifest: bytes, pinned: bool) -> Expected:
    """Every tag file's digest from a trusted tagmanifest-sha256.txt (payload files come later,
    from :func:`add_payload`, once manifest-sha256.txt is proved by this list)."""
    tags = parse_manifest(tag_manifest)
    expected = Expected(digests={TAG_MANIFEST: sha256_of(tag_manifest), **tags}, anchored=pinned)
    for name in tags:
        if name.startswith("manifest-") and name.endswith(".txt"):
            algorithm = name[len("manifest-"):-len(".txt")]
            if algorithm != "sha256" and algorithm in hashlib.algorithms_available:
                expected.derived[f"tagmanifest-{algorithm}.txt"] = algorithm
    return expected


def add_payload(expected: Expected, manifest: bytes) -> None:
    """The payload files' digests from a manifest-sha256.txt already proved against the list."""
    for path, digest in parse_manifest(manifest).items():
        if path.startswith("data/"):
            expected.digests.setdefault(path, digest)
