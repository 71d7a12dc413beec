"""Run-time patches to private functions of bagit 1.9.0, alone here so a new bagit meets them at once.

bagit is pinned to ``BAGIT_VERSION`` (pyproject.toml) because these stand-ins replace or call its
private functions; ``tests/test_bagit_patches.py`` fails with a clear message when the installed
bagit is another version or a patched function is gone or has another signature. Every patch is
made in worker processes only (``make_bag`` changes the working directory of the whole process),
and none changes the finished bag, only how fast it is made:

- ``generate_manifest_lines`` becomes ``_manifest_lines``: a file the staging step wrote from
  memory (``note_written``: the metadata files and a small source file) is hashed from those
  bytes, not read back; any other file in one read, sha512 on a second thread for a large one
  (``archive.hashing.hash_file``); and a note of each size hashed so ``conform`` can tell whether
  the payload changed while it was bagged;
- while ``run_make_bag`` runs, ``Bag`` is ``_Unopened`` and the tag-file writers ``_make_tag_file``
  and ``_make_tagmanifest_file`` do nothing: ``conform`` writes bag-info.txt and the tag manifests
  again anyway, and opening the finished bag only to throw it away costs about 4 ms a bag;
- ``open_text_file`` becomes ``_open_text_file``: bagit.txt is not written (``conform`` writes the
  1.0 one, the only write of that file), and each payload manifest bagit writes is also kept as
  written (``manifests_written``), so ``conform`` checks those bytes without reading the file back;
- ``_can_bag`` and ``_can_read`` find nothing: they walk the staged folder twice to check
  permissions on folders and files this process made moments before (mkdir, ``O_EXCL`` 0o666); a
  payload file that still could not be read fails the hashing with an ``OSError`` instead.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from pathlib import Path

from archive.hashing import hash_file

BAGIT_VERSION = "1.9.0"
"""The bagit release these patches were written against (and pyproject.toml pins)."""

PATCHED = {
    "generate_manifest_lines": "(filename, algorithms=['sha256', 'sha512'])",
    "_decode_filename": "(s)",
    "_make_tag_file": "(bag_info_path, bag_info)",
    "_make_tagmanifest_file": "(alg, bag_dir, encoding='utf-8')",
    "Bag.__init__": "(self, path)",
    "open_text_file": "(filename, mode='r', *, encoding='utf-8', errors='strict', buffering=-1)",
    "_can_bag": "(test_dir)",
    "_can_read": "(test_dir)",
    "make_bag": "(bag_dir, bag_info=None, processes=1, checksums=None, checksum=None, encoding='utf-8')",
}
"""Each bagit name this module replaces or relies on, with the signature it was written for."""


def _manifest_lines(filename: str, algorithms=("sha256", "sha512")) -> list[tuple]:
    """Stand-in for ``bagit.generate_manifest_lines`` in worker processes: the same result, but
    from ``archive.hashing.hash_file``, which reads a file once and, for a large one, runs sha512
    on a second thread while sha256 runs on this one (bagit updates both in turn on one core)."""
    import bagit

    names = list(algorithms)
    written = _WRITTEN.pop(filename[5:], None) if filename.startswith("data/") else None
    if written is not None:  # the bytes this file was written with, moments ago, in this process
        digests, size = {name: hashlib.new(name, written).hexdigest() for name in names}, len(written)
    else:
        digests, size = hash_file(Path(filename), names)
    decoded = bagit._decode_filename(filename)
    _HASHED[decoded[5:] if decoded.startswith("data/") else decoded] = size
    return [(name, digests[name], decoded, size) for name in names]


_STAGING = [""]
"""The folder being staged in this process (one bag at a time per worker)."""
_WRITTEN: dict[str, bytes] = {}
"""Payload path (relative to data/) -> the bytes it was written with, for the folder in _STAGING."""


def begin_staging(folder: Path) -> None:
    """Forget the bytes noted for any earlier folder (a bag that failed before make_bag ran)."""
    _WRITTEN.clear()
    _STAGING[0] = os.path.abspath(folder)


def note_written(path: str, data: bytes) -> None:
    """``path`` (payload-relative, as it will be under data/) was just written new with ``data``:
    make_bag in this process hashes these bytes instead of reading the file back."""
    _WRITTEN[path] = data


_HASHED: dict[str, int] = {}
"""Payload path -> size, as ``_manifest_lines`` hashed it during the current ``make_bag``."""


def hashed_sizes() -> dict[str, int] | None:
    """Payload path -> size as hashed by the last ``run_make_bag``; None when bagit's own hashing ran."""
    import bagit

    return dict(_HASHED) if bagit.generate_manifest_lines is _manifest_lines else None


def prepare_bagit() -> None:
    """Quiet bagit's per-file INFO logging and give it the two-thread hashing (worker only)."""
    import bagit

    logging.getLogger("bagit").setLevel(logging.WARNING)
    bagit.generate_manifest_lines = _manifest_lines


class _Unopened:
    """Stands in for ``bagit.Bag`` while ``make_bag`` runs in a worker: make_bag ends by opening
    the bag it made (``return Bag(bag_dir)``), which re-reads every tag file and realpath()s every
    manifest entry, about 4 ms a bag, only to be thrown away here; ``conform`` reads and checks
    the manifests itself."""

    def __init__(self, path: str) -> None:
        self.path = path


def _skip(*_args: object, **_kwargs: object) -> None:
    """Stands in for bagit's writers of the tag files that ``conform`` writes again."""


def _nothing_unbaggable(_test_dir: str) -> list:
    """Stands in for ``bagit._can_bag``: the staged folder and everything in it were made by this
    process moments ago, writable by it (see the module docstring)."""
    return []


def _nothing_unreadable(_test_dir: str) -> tuple[tuple, tuple]:
    """Stands in for ``bagit._can_read``, for the same reason as ``_nothing_unbaggable``."""
    return (), ()


class _Discarded:
    """What bagit writes bagit.txt into: its 0.97 text, which conform replaces with 1.0."""

    def __enter__(self) -> _Discarded:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def write(self, _text: str) -> None:
        return None


class _Kept:
    """A text file bagit writes, with every string written also kept, encoded as bagit encodes
    it (``codecs.open``: no newline translation), under its name in ``_MANIFESTS``."""

    def __init__(self, stream, name: str, encoding: str) -> None:
        self._stream, self._name, self._encoding = stream, name, encoding
        self._parts: list[str] = []

    def __enter__(self) -> _Kept:
        self._stream.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.__exit__(*exc)
        if exc[0] is None:
            _MANIFESTS[self._name] = "".join(self._parts).encode(self._encoding)

    def write(self, text: str) -> None:
        self._stream.write(text)
        self._parts.append(text)


_MANIFESTS: dict[str, bytes] = {}
"""Payload manifest name -> the bytes bagit wrote into it, during the current ``run_make_bag``."""
_MADE = [""]
"""The folder those manifests belong to."""


def manifests_written(folder: Path) -> dict[str, bytes] | None:
    """Each payload manifest's bytes as bagit wrote them into ``folder`` by ``run_make_bag`` in this
    process, or None when ``folder`` was not made so (then read the files)."""
    return dict(_MANIFESTS) if _MADE[0] == os.path.abspath(folder) else None


def _open_text_file(filename: str, mode: str = "r", **kwargs):
    """Stands in for ``bagit.open_text_file`` (see the module docstring)."""
    if mode == "w" and filename == "bagit.txt":
        return _Discarded()
    opened = _BAGIT_OPEN[0](filename, mode, **kwargs)
    if mode == "w" and filename.startswith("manifest-"):
        return _Kept(opened, filename, kwargs.get("encoding", "utf-8"))
    return opened


_BAGIT_OPEN: list = [None]
"""bagit's own ``open_text_file``, which ``_open_text_file`` calls."""


def run_make_bag(folder: Path, bag_info: dict[str, object], algorithms: tuple[str, ...]) -> None:
    """``bagit.make_bag`` on ``folder`` with the patches above in place, restored afterwards.
    Worker only: make_bag changes the working directory of the whole process."""
    import bagit

    if multiprocessing.parent_process() is None:
        raise RuntimeError("bagit.make_bag changes the working directory of the whole process; "
                           "call it in a worker process (archive.bagging.bag_records does)")
    prepare_bagit()
    _HASHED.clear()
    if _STAGING[0] != os.path.abspath(folder):  # noted for another folder: hash from the files
        _WRITTEN.clear()
    _MANIFESTS.clear()
    _MADE[0] = ""
    names = ("Bag", "_make_tag_file", "_make_tagmanifest_file", "open_text_file", "_can_bag",
             "_can_read")
    saved = {name: getattr(bagit, name) for name in names}
    _BAGIT_OPEN[0] = saved["open_text_file"]
    stand_ins = (_Unopened, _skip, _skip, _open_text_file, _nothing_unbaggable, _nothing_unreadable)
    for name, stand_in in zip(names, stand_ins, strict=True):
        setattr(bagit, name, stand_in)
    try:
        bagit.make_bag(str(folder), bag_info=bag_info, checksums=list(algorithms))
        _MADE[0] = os.path.abspath(folder)
    finally:
        for name, value in saved.items():
            setattr(bagit, name, value)
        _WRITTEN.clear()
        _STAGING[0] = ""
