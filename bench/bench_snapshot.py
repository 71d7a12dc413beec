"""Catalogue snapshots at scale: push_snapshot to a folder replica, load_snapshot (download and check
every record and event), and the restore's write of that catalogue into a fresh store.

Peak memory is measured with tracemalloc (Python allocations) on the push and the load, to show
that neither holds the catalogue whole. Usage: python bench/bench_snapshot.py [RECORDS]
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_fixture import build_catalogue

from archive.replicas.restore import _write_catalogue
from archive.replicas.snapshot import load_snapshot, push_snapshot
from archive.storage.local import LocalStorage


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        arc = build_catalogue(root / "arc", count)
        print(f"built {count} records in {time.perf_counter() - started:.1f} s")
        (root / "replica").mkdir()
        replica = LocalStorage(root / "replica")

        started = time.perf_counter()
        info = push_snapshot(arc, replica)
        push_s = time.perf_counter() - started
        print(f"push_snapshot: {info.records} records, {info.events} events, {info.size / 1e6:.1f} MB "
              f"in {push_s:.1f} s ({info.records / push_s:,.0f} records/s)")

        tracemalloc.start()
        again = push_snapshot(arc, replica)  # streams the catalogue again, then finds it unchanged
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"push_snapshot again: sent={again.sent}; peak Python memory {peak / 1e6:.1f} MB")

        started = time.perf_counter()
        tracemalloc.start()
        with load_snapshot(replica, staging=root / "staging") as snap:
            load_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            load_s = time.perf_counter() - started
            print(f"load_snapshot (download, digest, every record and event checked): {load_s:.1f} s, "
                  f"peak Python memory {load_peak / 1e6:.1f} MB")
            started = time.perf_counter()
            store = _write_catalogue(root / "restored", snap)
            write_s = time.perf_counter() - started
            print(f"catalogue written into a fresh store: {write_s:.1f} s "
                  f"({len(store)} records, {count / write_s:,.0f} records/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
