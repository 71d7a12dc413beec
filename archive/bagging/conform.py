"""RFC 8493 conformance: what ``bagit.make_bag`` wrote, rewritten into a BagIt 1.0 bag and summarised.

bagit 1.9.0 writes version 0.97, does not check that its manifests list the payload exactly,
lets a bare ``%`` through and sorts bag-info labels; ``conform`` closes each gap (see its docstring).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from archive.bagging.bagit_patches import hashed_sizes, manifests_written
from archive.bagging.staging import write_file
from archive.bagit_format import taginfo
from archive.bagit_format.manifest import render_manifest_line, split_manifest_line
from archive.bagit_format.paths import decode_path
from archive.bagit_format.payload import BAGIT_TXT, DATA
from archive.errors import PayloadError

_REPLACE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
"""How conform writes a tag file: as ``Path.write_bytes`` does (made or replaced), in fewer calls."""


@dataclass
class BagSummary:
    """What was written: per payload path (relative to data/) its digests, the Payload-Oxum, the
    bag's size and the digests of its tag manifests."""

    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    payload_octets: int = 0
    payload_streams: int = 0
    size: int = 0
    tagmanifest: dict[str, str] = field(default_factory=dict)

    @property
    def payload_oxum(self) -> str:
        return f"{self.payload_octets}.{self.payload_streams}"


def _read_manifest(text: str, name: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        parsed = split_manifest_line(line)
        if parsed is None:
            raise PayloadError(f"{name} holds a line that is not 'checksum path': {line[:80]!r}")
        digest, written, _ = parsed
        if "%" in written.replace("%25", "").replace("%0D", "").replace("%0A", ""):
            raise PayloadError(f"{name} holds a '%' that is not percent-encoded: {written!r}")
        path = decode_path(written)
        if not path.startswith(f"{DATA}/"):
            raise PayloadError(f"{name} lists {path!r}, outside data/")
        entries[path[len(DATA) + 1:]] = digest
    return entries


def payload_on_disk(data: Path) -> dict[str, int]:
    """Every payload file under ``data`` with its size; any symlink or special file is refused."""
    found: dict[str, int] = {}
    pending = [(str(data), "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_symlink():
                    raise PayloadError(f"{rel} is a symbolic link; not bagged")
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    found[rel] = entry.stat(follow_symlinks=False).st_size
                else:
                    raise PayloadError(f"{rel} is not a regular file; not bagged")
    return found


def conform(bag: Path, labels: list[tuple[str, object]], algorithms: tuple[str, ...]) -> BagSummary:
    """Turn what ``bagit.make_bag`` wrote into an RFC 8493 1.0 bag and summarise it.

    - bagit.txt says ``BagIt-Version: 1.0`` (make_bag writes 0.97);
    - every payload file is in every payload manifest and every manifest entry is a payload file
      (RFC 8493 §3 for 1.0; make_bag does not check);
    - no manifest path holds a bare ``%`` (RFC 8493 §2.1.3): payload names never contain one (see
      ``paths.payload_name``), so a bare ``%`` here means a name that slipped past, and is refused;
    - bag-info.txt is written again with the labels in reading order, safe and folded
      (``taginfo.render``; make_bag sorts labels and writes values as they come);
    - the tag manifests are made again, since bagit.txt and bag-info.txt changed.
    """
    on_disk = payload_on_disk(bag / DATA)
    summary = BagSummary()
    manifests: dict[str, bytes] = {}
    written = manifests_written(bag)  # the bytes bagit wrote, when run_make_bag made this bag here
    for algorithm in algorithms:
        name = f"manifest-{algorithm}.txt"
        raw = written[name] if written is not None and name in written else (bag / name).read_bytes()
        entries = _read_manifest(raw.decode("utf-8"), name)
        missing = sorted(set(on_disk) - set(entries))
        extra = sorted(set(entries) - set(on_disk))
        if missing or extra:
            raise PayloadError(f"{name} does not list every payload file exactly: "
                               f"missing {missing}, unknown {extra}")
        for path, digest in entries.items():
            summary.digests.setdefault(path, {})[algorithm] = digest
        manifests[name] = raw
    summary.payload_octets = sum(on_disk.values())
    summary.payload_streams = len(on_disk)
    hashed = hashed_sizes()
    if hashed is not None and hashed != on_disk:
        raise PayloadError("the payload changed while it was being bagged")
    tag_files: dict[str, bytes] = {"bagit.txt": BAGIT_TXT, **manifests}
    info = [*labels, ("Payload-Oxum", summary.payload_oxum)]
    approx = summary.payload_octets + sum(len(v) for v in tag_files.values())
    info.append(("Bag-Size", taginfo.human_size(approx)))
    tag_files["bag-info.txt"] = taginfo.render(info).encode("utf-8")
    for name in ("bagit.txt", "bag-info.txt"):
        write_file(bag / name, tag_files[name], _REPLACE)
    listed = sorted(tag_files.items())  # every tag file but the tag manifests themselves
    for algorithm in algorithms:
        lines = [render_manifest_line(hashlib.new(algorithm, content).hexdigest(), name)
                 for name, content in listed]
        text = "".join(lines).encode("utf-8")
        write_file(bag / f"tagmanifest-{algorithm}.txt", text, _REPLACE)
        summary.tagmanifest[algorithm] = hashlib.new(algorithm, text).hexdigest()
        tag_files[f"tagmanifest-{algorithm}.txt"] = text
    # bagit's own tag manifests, for algorithms no longer wanted: none when run_make_bag made the
    # bag (it writes none), so the folder is listed only for a bag bagit made alone.
    for stray in bag.glob("tagmanifest-*.txt") if written is None else ():
        if stray.name not in tag_files:
            stray.unlink()
    summary.size = summary.payload_octets + sum(len(v) for v in tag_files.values())
    return summary
