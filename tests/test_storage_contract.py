"""The contract every Storage keeps, run against every implementation.

Each implementation is one entry of ``IMPLEMENTATIONS``: a function that makes the storage under
test and a ``Hands`` that changes what the storage holds from outside it (as another process, a
hostile bag or a failing disk would). A replica kind (folder, SFTP, S3) joins by adding its entry;
abilities a kind lacks (S3 has no links or FIFOs) return None and the tests needing them skip.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.fixity.bagcheck import check_bag, validate_bag
from archive.hashing import SMALL, hash_fd, hash_reader
from archive.storage import Entry, LocalStorage, NotTheSameFile, Storage, StorageError, check_relpath
from archive.storage.prefixed import PrefixedStorage


@dataclass
class Hands:
    """Changes made to a storage's contents behind its back; None where the kind has no such thing."""

    put: Callable[[str, bytes], None]
    """Write a file directly (parents made), not through the storage under test."""
    swap: Callable[[str, bytes], None]
    """Replace a file by a new one with other content (a new object, a new inode)."""
    link: Callable[[str, str], None] | None = None
    fifo: Callable[[str], None] | None = None
    outside: Path | None = None
    """A folder beside the storage's root that nothing may ever write into."""


def _local(tmp_path: Path) -> tuple[Storage, Hands]:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()

    def put(rel: str, data: bytes) -> None:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def swap(rel: str, data: bytes) -> None:
        fresh = root / (rel + ".swap")
        fresh.write_bytes(data)
        os.replace(fresh, root / rel)

    def link(rel: str, target: str) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / rel)

    def fifo(rel: str) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).unlink(missing_ok=True)
        os.mkfifo(root / rel)

    return LocalStorage(root), Hands(put, swap, link, fifo, outside)


def _prefixed(tmp_path: Path) -> tuple[Storage, Hands]:
    """One bag inside a replica's tree, seen as a storage of its own (what remote fixity checks)."""
    inner, hands = _local(tmp_path)
    prefix = "bags/ART-2016-000001/v1"

    def under(fn: Callable) -> Callable:
        return lambda rel, *rest: fn(f"{prefix}/{rel}", *rest)

    outside = hands.outside
    return PrefixedStorage(inner, prefix), Hands(under(hands.put), under(hands.swap), under(hands.link),
                                                 under(hands.fifo), outside)


IMPLEMENTATIONS: dict[str, Callable[[Path], tuple[Storage, Hands]]] = {"local": _local, "prefixed": _prefixed}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def store(request, tmp_path) -> tuple[Storage, Hands]:
    return IMPLEMENTATIONS[request.param](tmp_path)


def _kinds(storage: Storage, prefix: str = "") -> dict[str, str]:
    return {e.path: e.kind for e in storage.walk(prefix)}


def _read(storage: Storage, path: str, expect: Entry | None = None) -> bytes:
    with storage.open_read(path, expect) as reader:
        return reader.read()


# ----- listing -----------------------------------------------------------------------------------
def test_every_implementation_is_a_storage(store):
    storage, _ = store
    assert isinstance(storage, Storage)
    assert storage.label


def test_walk_lists_files_and_folders_with_kinds_and_sizes(store):
    storage, hands = store
    hands.put("bagit.txt", b"12345")
    hands.put("data/sub/a.txt", b"abc")
    listed = {e.path: e for e in storage.walk()}
    assert {p: e.kind for p, e in listed.items()} == {
        "bagit.txt": "file", "data": "folder", "data/sub": "folder", "data/sub/a.txt": "file"}
    assert listed["bagit.txt"].size == 5 and listed["data/sub/a.txt"].size == 3
    assert _kinds(storage, "data/sub") == {"data/sub/a.txt": "file"}


def test_walk_lists_links_and_fifos_without_opening_them(store):
    storage, hands = store
    if hands.link is None or hands.fifo is None:
        pytest.skip("this storage has no links or special files")
    hands.put("data/a.txt", b"abc")
    hands.link("data/to-a", "a.txt")
    hands.link("data/to-passwd", "/etc/passwd")
    hands.link("data/to-folder", ".")
    hands.fifo("data/pipe")  # opening it for reading would block the walk forever
    listed = {e.path: e for e in storage.walk()}
    assert listed["data/to-a"].kind == "link" and listed["data/to-a"].detail == "a.txt"
    assert listed["data/to-passwd"].kind == "link"
    assert listed["data/to-folder"].kind == "link"  # not walked into: no loop, nothing listed twice
    assert listed["data/pipe"].kind == "special" and listed["data/pipe"].detail == "a FIFO"
    assert not any(p.startswith("data/to-folder/") for p in listed)


def test_walk_and_stat_describe_a_file_alike_with_every_field_set(store):
    storage, hands = store
    hands.put("data/a.txt", b"abc")
    walked = {e.path: e for e in storage.walk()}["data/a.txt"]
    stated = storage.stat("data/a.txt")
    assert dataclasses.asdict(walked) == dataclasses.asdict(stated)  # raises on an unset field
    assert walked == stated and walked.kind == "file" and walked.size == 3


def test_stat_does_not_follow_a_link(store):
    storage, hands = store
    hands.put("data/a.txt", b"abc")
    assert storage.stat("data/a.txt").kind == "file"
    assert storage.stat("data/a.txt").size == 3
    assert storage.stat("data").kind == "folder"
    assert storage.stat("data/nothing") is None
    if hands.link is not None:
        hands.link("data/l", "a.txt")
        assert storage.stat("data/l").kind == "link"


# ----- reading -----------------------------------------------------------------------------------
def test_open_read_streams_the_file_the_walk_listed(store):
    storage, hands = store
    payload = os.urandom(3 * SMALL + 17)
    hands.put("data/big.bin", payload)
    listed = {e.path: e for e in storage.walk()}
    assert _read(storage, "data/big.bin", listed["data/big.bin"]) == payload
    assert _read(storage, "data/big.bin") == payload
    with storage.open_read("data/big.bin") as reader:
        buffer = bytearray(1000)
        assert reader.readinto(buffer) == 1000 and bytes(buffer) == payload[:1000]


def test_open_read_refuses_a_link_with_or_without_the_listing(store):
    storage, hands = store
    if hands.link is None:
        pytest.skip("this storage has no links")
    hands.put("data/a.txt", b"secret next door")
    hands.link("data/l", "a.txt")
    entry = storage.stat("data/a.txt")
    with pytest.raises(StorageError):
        _read(storage, "data/l")
    with pytest.raises(StorageError):
        _read(storage, "data/l", entry)  # a link put where the listing saw a file


def test_a_link_along_the_path_never_leads_outside_the_root(store):
    storage, hands = store
    if hands.link is None or hands.outside is None:
        pytest.skip("this storage has no links")
    (hands.outside / "secret.txt").write_bytes(b"outside")
    hands.link("data", str(hands.outside))
    assert storage.stat("data/secret.txt") is None
    with pytest.raises(StorageError):
        _read(storage, "data/secret.txt")
    with pytest.raises(StorageError):
        storage.write_atomic("data/new.txt", [b"escaped"])
    assert sorted(os.listdir(hands.outside)) == ["secret.txt"]


def test_open_read_refuses_a_fifo_without_blocking(store):
    storage, hands = store
    if hands.fifo is None:
        pytest.skip("this storage has no special files")
    hands.fifo("data/pipe")
    with pytest.raises(StorageError):
        _read(storage, "data/pipe")
    hands.put("data/a.txt", b"abc")
    entry = storage.stat("data/a.txt")
    hands.fifo("data/a.txt")  # a FIFO swapped in where the listing saw a file
    with pytest.raises(StorageError):
        _read(storage, "data/a.txt", entry)


def test_a_file_swapped_after_the_walk_is_not_the_same_file(store):
    storage, hands = store
    hands.put("data/a.txt", b"the bytes the manifest names")
    listed = {e.path: e for e in storage.walk()}
    hands.swap("data/a.txt", b"other bytes, swapped in after the listing")
    with pytest.raises(NotTheSameFile):
        _read(storage, "data/a.txt", listed["data/a.txt"])


# ----- writing -----------------------------------------------------------------------------------
def test_write_atomic_commits_confirmed_bytes_and_makes_folders(store):
    storage, _ = store
    data = os.urandom(100_000)
    entry = storage.write_atomic("bags/ART-1/v1/data/a.bin", [data[:10], data[10:]],
                                 sha256=hashlib.sha256(data).hexdigest())
    assert entry.path == "bags/ART-1/v1/data/a.bin" and entry.kind == "file" and entry.size == len(data)
    assert _read(storage, "bags/ART-1/v1/data/a.bin", entry) == data
    storage.write_atomic("bags/ART-1/v1/data/a.bin", [b"repaired"])  # a repair replaces it whole
    assert _read(storage, "bags/ART-1/v1/data/a.bin") == b"repaired"
    assert set(_kinds(storage)) == {"bags", "bags/ART-1", "bags/ART-1/v1", "bags/ART-1/v1/data",
                                    "bags/ART-1/v1/data/a.bin"}  # no temporary left behind


def test_write_atomic_with_a_wrong_digest_leaves_nothing_under_the_name(store):
    storage, hands = store
    with pytest.raises(StorageError, match="not committed"):
        storage.write_atomic("data/a.txt", [b"abc"], sha256=hashlib.sha256(b"abd").hexdigest())
    assert storage.stat("data/a.txt") is None
    assert [e.path for e in storage.walk() if e.kind == "file"] == []
    hands.put("data/b.txt", b"good copy")
    with pytest.raises(StorageError):
        storage.write_atomic("data/b.txt", [b"bad copy"], sha256="0" * 64)
    assert _read(storage, "data/b.txt") == b"good copy"


def test_a_reader_never_sees_a_partial_file(store):
    storage, hands = store
    hands.put("data/b.txt", b"the old whole file")
    seen: list[bytes | None] = []

    def failing() -> Iterator[bytes]:
        yield b"first half"
        seen.append(None if storage.stat("data/a.txt") is None else _read(storage, "data/a.txt"))
        seen.append(_read(storage, "data/b.txt"))
        raise OSError(5, "Input/output error")  # the source of the bytes fails mid-way

    for rel in ("data/a.txt", "data/b.txt"):
        with pytest.raises((OSError, StorageError)):
            storage.write_atomic(rel, failing())
    assert seen == [None, b"the old whole file", None, b"the old whole file"]
    assert storage.stat("data/a.txt") is None
    assert _read(storage, "data/b.txt") == b"the old whole file"
    assert sorted(e.path for e in storage.walk() if e.kind == "file") == ["data/b.txt"]


# ----- paths -------------------------------------------------------------------------------------
HOSTILE = ["..", "../x", "data/../../x", "/etc/passwd", "data//a", "./a", "data/.", "a\x00b",
           "data\\..\\x", "data/"]


@pytest.mark.parametrize("path", HOSTILE)
def test_every_operation_refuses_a_hostile_path(store, path):
    storage, hands = store
    hands.put("data/a.txt", b"abc")
    for attempt in (lambda: list(storage.walk(path)), lambda: storage.stat(path),
                    lambda: storage.open_read(path), lambda: storage.write_atomic(path, [b"x"])):
        with pytest.raises(StorageError, match="refused path"):
            attempt()


_PIECES = st.sampled_from(["..", ".", "", "a", "data", "é", " ", "\x00", "\\", "~", "x.txt", "\n"])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(pieces=st.lists(_PIECES, min_size=1, max_size=6), lead=st.sampled_from(["", "/", "//"]))
def test_a_written_path_is_refused_or_lands_exactly_there_inside_the_root(store, pieces, lead):
    storage, hands = store
    path = lead + "/".join(pieces)
    try:
        check_relpath(path)
    except StorageError:
        refused = True
    else:
        refused = path == ""  # the root itself: a folder, never written as a file
    if refused:
        with pytest.raises(StorageError):
            storage.write_atomic(path, [b"x"])
        return
    assert not path.startswith("/") and ".." not in path.split("/")
    try:
        entry = storage.write_atomic(path, [b"x"])
    except StorageError:  # a name already a folder, or a folder already a file: refused, not escaped
        entry = None
    if entry is not None:
        assert storage.stat(path).kind == "file"
        assert path in {e.path for e in storage.walk()}
    if hands.outside is not None:
        assert os.listdir(hands.outside) == []


@given(st.text(min_size=1, max_size=30))
def test_check_relpath_accepts_only_plain_relative_paths(path):
    parts = path.split("/")
    plain = "\x00" not in path and "\\" not in path and all(p not in ("", ".", "..") for p in parts)
    if plain:
        assert check_relpath(path) == path
        root = tempfile.gettempdir()
        full = LocalStorage(root).full_path(path)
        assert os.path.commonpath([root, full]) == root and full != root
    else:
        with pytest.raises(StorageError):
            check_relpath(path)


# ----- the fixity reader over the seam -----------------------------------------------------------
class StreamOnly(LocalStorage):
    """The local disk read through a buffered stream, as a replica's reader is: no descriptor fast
    path, no seeking; proves the bag check needs nothing of a storage beyond the contract."""

    def open_read(self, path: str, expect: Entry | None = None):
        return io.BufferedReader(super().open_read(path, expect))  # type: ignore[arg-type]


def _bag(root: Path, payload: dict[str, bytes], manifest_pad: int = 0) -> None:
    for rel, data in payload.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (root / "bag-info.txt").write_bytes(
        f"Payload-Oxum: {sum(map(len, payload.values()))}.{len(payload)}\n".encode())
    for alg in ("sha256", "sha512"):
        lines = "".join(f"{hashlib.new(alg, d).hexdigest()}  {r}\n" for r, d in sorted(payload.items()))
        (root / f"manifest-{alg}.txt").write_text(lines + "\n" * manifest_pad)


@pytest.mark.parametrize("pad", [0, 2 << 20], ids=["small-manifest", "streamed-manifest"])
def test_a_bag_checks_the_same_through_a_stream_as_on_the_disk(tmp_path, pad):
    payload = {"data/a.txt": b"abc", "data/big.bin": os.urandom(5 << 20), "data/c.txt": b"c"}
    _bag(tmp_path, payload, pad)
    good, _ = check_bag(StreamOnly(tmp_path))
    assert good.valid and good.hashed_bytes == sum(map(len, payload.values()))
    (tmp_path / "data" / "a.txt").write_bytes(b"abd")  # same size: only a digest finds it
    (tmp_path / "data" / "c.txt").unlink()
    (tmp_path / "data" / "new.txt").write_bytes(b"new")
    os.symlink("/etc/passwd", tmp_path / "data" / "evil")
    streamed, _ = check_bag(StreamOnly(tmp_path))
    on_disk = validate_bag(tmp_path)
    assert [p.to_dict() for p in streamed.problems] == [p.to_dict() for p in on_disk.problems]
    assert {(p.kind, p.path) for p in on_disk.errors()} >= {
        ("changed", "data/a.txt"), ("missing", "data/c.txt"), ("untracked", "data/new.txt"),
        ("unsafe", "data/evil")}
    assert streamed.to_dict() == {**on_disk.to_dict(), "path": streamed.path}


@pytest.mark.parametrize("size", [0, 1, SMALL, SMALL + 1, (4 << 20) * 2 + 3])
def test_hash_reader_of_a_stream_equals_hash_fd(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "f"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        by_fd = hash_fd(fd, ("sha256", "sha512"), size_hint=size)
    finally:
        os.close(fd)
    assert hash_reader(io.BytesIO(data)) == by_fd
    assert hash_reader(io.BufferedReader(io.BytesIO(data)), ("sha256", "sha512")) == by_fd
    with LocalStorage(tmp_path).open_read("f") as reader:
        assert hash_reader(reader, size_hint=size) == by_fd
    assert by_fd == ({"sha256": hashlib.sha256(data).hexdigest(),
                      "sha512": hashlib.sha512(data).hexdigest()}, size)
