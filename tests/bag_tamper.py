"""Tools for the trust tests: make a tampered bag that is still valid BagIt.

An adversary (or a careless script) who changes a bag and rewrites its manifests, Payload-Oxum
and tag manifests leaves a bag that RFC 8493 calls valid. Only the catalogue's pins can tell it is
not the bag the archive made; these tools build such bags so the tests can prove that.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from archive.bagit_format.paths import encode_path


def _payload(bag: Path) -> list[Path]:
    return sorted(p for p in (bag / "data").rglob("*") if p.is_file())


def reseal(bag: Path) -> dict[str, str]:
    """Rewrite the payload manifests, Payload-Oxum and tag manifests of ``bag`` to match its
    files, in the format this archive writes; returns the new Payload-Oxum and the sha256 of
    tagmanifest-sha256.txt (what the catalogue pins)."""
    algorithms = sorted(p.name[len("manifest-"):-4] for p in bag.glob("manifest-*.txt"))
    files = _payload(bag)
    for algorithm in algorithms:
        lines = [f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  "
                 f"{encode_path(p.relative_to(bag).as_posix())}\n" for p in files]
        (bag / f"manifest-{algorithm}.txt").write_text("".join(lines), encoding="utf-8")
    oxum = f"{sum(p.stat().st_size for p in files)}.{len(files)}"
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    (bag / "bag-info.txt").write_text(re.sub(r"(?m)^Payload-Oxum: .*$", f"Payload-Oxum: {oxum}", info),
                                      encoding="utf-8")
    tag_files = sorted(p.name for p in bag.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-"))
    for algorithm in algorithms:
        lines = [f"{hashlib.new(algorithm, (bag / name).read_bytes()).hexdigest()}  {encode_path(name)}\n"
                 for name in tag_files]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines), encoding="utf-8")
    pinned = hashlib.sha256((bag / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    return {"payload_oxum": oxum, "tagmanifest_sha256": pinned}


def same_length_change(path: Path) -> None:
    """Change one letter of a text file, keeping its size (so Payload-Oxum cannot tell)."""
    data = path.read_bytes()
    index = next(i for i, b in enumerate(data) if chr(b).isalpha())
    flipped = b"x" if data[index:index + 1] != b"x" else b"y"
    path.write_bytes(data[:index] + flipped + data[index + 1:])
