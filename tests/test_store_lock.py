"""The catalogue's write lock (archive/store/lockfile.py) excludes every other holder of the
same lock file, filelock's included, and counts re-entrant holds like filelock did."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from archive.errors import StoreError
from archive.store import Store
from archive.store.lockfile import InterProcessLock, LockTimeout


def test_a_lock_held_through_filelock_keeps_the_catalogue_lock_waiting(tmp_path: Path):
    path = str(tmp_path / ".lock")
    held = FileLock(path, thread_local=False)
    held.acquire()
    try:
        with pytest.raises(LockTimeout):
            InterProcessLock(path, timeout=0.05).acquire()
    finally:
        held.release()
    mine = InterProcessLock(path, timeout=0.05)
    mine.acquire()
    mine.release()
    assert mine.lock_counter == 0


def test_the_catalogue_lock_is_reentrant_and_freed_by_its_last_release(tmp_path: Path):
    path = str(tmp_path / ".lock")
    mine = InterProcessLock(path, timeout=0.05)
    mine.acquire()
    mine.acquire()
    for _ in range(2):
        with pytest.raises(Timeout):
            FileLock(path, timeout=0, thread_local=False).acquire()
        mine.release()  # the first release leaves it held once
    other = FileLock(path, timeout=0, thread_local=False)
    other.acquire()
    other.release()


def test_a_busy_catalogue_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = Store.create(tmp_path / "catalog")
    monkeypatch.setattr("archive.store.catalog_store.LOCK_TIMEOUT_S", 0.05)
    store = Store.open(tmp_path / "catalog")
    with FileLock(str(tmp_path / "catalog" / ".lock"), thread_local=False), \
            pytest.raises(StoreError, match="the catalogue is busy"), store.locked():
        pass
    with store.locked(), store.locked():
        assert store._lock.lock_counter == 2
    assert store._lock.lock_counter == 0
