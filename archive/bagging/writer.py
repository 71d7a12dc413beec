"""Writing one BagIt 1.0 bag into an empty folder, without ``os.chdir`` and with one read per file.

bagit 1.9.0's ``make_bag`` bags a folder in place, changes the working directory of the whole
process (unsafe while a TUI runs other threads), writes ``BagIt-Version: 0.97``, and hashes each
file on one core. This writer takes the payload as a list (bytes made in memory, or a file to
copy), copies and hashes each file in the same pass, with sha256 and sha512 on separate threads
for large files, and writes every payload file into every manifest. It knows nothing of records.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from archive.bagging import baginfo
from archive.bagging.paths import encode_path, is_safe_relative

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
CHUNK = 4 << 20
SMALL = 1 << 20  # files below this are read whole and hashed inline: threads would only cost
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bag-hash")


@dataclass
class PayloadFile:
    """One file under ``data/``: ``path`` relative to data/, and either ``content`` or ``source``."""

    path: str
    content: bytes | None = None
    source: Path | None = None


@dataclass
class BagSummary:
    """What was written: per payload path its digests, the Payload-Oxum, and the tag manifests."""

    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    payload_octets: int = 0
    payload_streams: int = 0
    size: int = 0
    tagmanifest: dict[str, str] = field(default_factory=dict)

    @property
    def payload_oxum(self) -> str:
        return f"{self.payload_octets}.{self.payload_streams}"


def _write_bytes(target: Path, data: bytes) -> None:
    with open(target, "xb") as out:
        out.write(data)


def _digest_bytes(data: bytes, algorithms: Sequence[str]) -> dict[str, str]:
    return {name: hashlib.new(name, data).hexdigest() for name in algorithms}


def copy_and_hash(source: Path, target: Path, algorithms: Sequence[str]) -> tuple[dict[str, str], int]:
    """Copy ``source`` to ``target`` (which must not exist) hashing what was read, in one pass."""
    digests = {name: hashlib.new(name) for name in algorithms}
    size = 0
    with open(source, "rb", buffering=0) as src, open(target, "xb", buffering=0) as out:
        chunk = src.read(CHUNK)
        while chunk:
            size += len(chunk)
            if len(chunk) < SMALL or len(digests) == 1:
                for digest in digests.values():
                    digest.update(chunk)
                out.write(chunk)
            else:
                futures = [_pool.submit(d.update, chunk) for d in digests.values()]
                view = memoryview(chunk)
                while view:  # the digests run while this thread writes the copy
                    view = view[out.write(view):]
                for future in futures:
                    future.result()
            chunk = src.read(CHUNK)
    return {name: d.hexdigest() for name, d in digests.items()}, size


def _manifest_text(digests: dict[str, dict[str, str]], algorithm: str, prefix: str = "") -> bytes:
    lines = [f"{d[algorithm]}  {encode_path(prefix + path)}\n" for path, d in sorted(digests.items())]
    return "".join(lines).encode("utf-8")


def write_bag(
    folder: Path,
    payload: Iterable[PayloadFile],
    labels: list[tuple[str, object]],
    algorithms: Sequence[str] = ("sha256", "sha512"),
    *,
    size_label: bool = True,
) -> BagSummary:
    """Write a complete bag into ``folder`` (created; must not exist) and return its summary.

    ``labels`` are the bag-info labels except Payload-Oxum and Bag-Size, which are computed here.
    """
    folder.mkdir(parents=False)
    data = folder / "data"
    data.mkdir()
    summary = BagSummary()
    made: set[str] = set()
    for item in payload:
        if not is_safe_relative(item.path) or item.path in made:
            raise ValueError(f"unsafe or repeated payload path {item.path!r}")
        made.add(item.path)
        target = data / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.content is not None:
            _write_bytes(target, item.content)
            digests, size = _digest_bytes(item.content, algorithms), len(item.content)
        elif item.source is not None:
            digests, size = copy_and_hash(item.source, target, algorithms)
        else:
            raise ValueError(f"payload {item.path!r} has neither content nor source")
        summary.digests[item.path] = digests
        summary.payload_octets += size
        summary.payload_streams += 1
    tag_files: dict[str, bytes] = {"bagit.txt": BAGIT_TXT}
    for name in algorithms:
        tag_files[f"manifest-{name}.txt"] = _manifest_text(summary.digests, name, "data/")
    info = list(labels)
    info.append(("Payload-Oxum", summary.payload_oxum))
    if size_label:
        approx = summary.payload_octets + sum(len(v) for v in tag_files.values())
        info.append(("Bag-Size", baginfo.human_size(approx)))
    tag_files["bag-info.txt"] = baginfo.render(info).encode("utf-8")
    tag_digests = {name: _digest_bytes(content, algorithms) for name, content in tag_files.items()}
    for name, content in tag_files.items():
        _write_bytes(folder / name, content)
    for algorithm in algorithms:
        text = _manifest_text(tag_digests, algorithm)
        _write_bytes(folder / f"tagmanifest-{algorithm}.txt", text)
        summary.tagmanifest[algorithm] = hashlib.new(algorithm, text).hexdigest()
        tag_files[f"tagmanifest-{algorithm}.txt"] = text
    summary.size = summary.payload_octets + sum(len(v) for v in tag_files.values())
    return summary


def flush_filesystem(path: Path) -> None:
    """Make everything written on ``path``'s file system durable, in one call per batch of bags.

    One ``syncfs`` per batch costs far less than an fsync per file of a thousand small bags.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.syncfs(fd) == 0:
                return
        except (OSError, AttributeError):
            pass
        os.sync()
    finally:
        os.close(fd)
