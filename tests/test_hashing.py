"""archive.hashing gives hashlib's digests for every size around its buffer boundaries."""

from __future__ import annotations

import hashlib
import os

import pytest

from archive.hashing import CHUNK, SMALL, hash_file


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, CHUNK - 1, CHUNK, 2 * CHUNK + 7])
def test_digests_match_hashlib(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "f"
    path.write_bytes(data)
    digests, read = hash_file(path, ("sha256", "sha512", "md5"))
    assert read == size
    for name in ("sha256", "sha512", "md5"):
        assert digests[name] == hashlib.new(name, data).hexdigest()


def test_one_algorithm(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * (CHUNK + 3))
    assert hash_file(path, ["sha512"])[0] == {"sha512": hashlib.sha512(b"x" * (CHUNK + 3)).hexdigest()}
