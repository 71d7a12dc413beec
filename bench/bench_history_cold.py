"""`archive history ID` with its log pages cold, then warm, beside `archive --help`.

    .venv/bin/python bench/bench_history_cold.py /tmp/article-archive-bench/history-10000x1000/history

    .venv/bin/python bench/bench_history_cold.py /tmp/article-archive-bench/history-10000x1000/segmented

For each of 20 records of a catalogue (one ``bench_history.py --keep`` built): every history file
of the record's shard (its segments and live log, or the one log of the original format) and the
shard itself are dropped from the page cache (``posix_fadvise(DONTNEED)``, which needs no
privilege, and works for clean pages: the bench runs ``sync`` first), then `archive --help`, the
command (cold) and the command again (warm) run. In the original log a record's events lie 256
records' lines apart, one cold page read per event; in segments they are one range per segment.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ARCHIVE = str(Path(sys.executable).with_name("archive"))


def run(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) milliseconds of one command."""
    before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(argv, capture_output=True)
    wall, after = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()}")
    return wall * 1000, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


def drop_cached(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def main() -> None:
    root, calls = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20
    shards = sorted((root / "catalog" / "records").glob("*.json"))
    ids = [doc["id"] for shard in shards for doc in json.loads(shard.read_bytes())["records"].values()]
    times: dict[str, list[tuple[float, float]]] = {"--help": [], "cold": [], "warm": []}
    os.sync()  # DONTNEED drops clean pages only
    for record_id in ids[:: max(1, len(ids) // calls)][:calls]:
        shard = (int(record_id.rsplit("-", 1)[1]) - 1) // 256
        history = root / "catalog" / "history"
        for path in [root / "catalog" / "records" / f"{shard:06d}.json",
                     *(history / name for name in os.listdir(history) if name.startswith(f"{shard:06d}."))]:
            drop_cached(path)
        times["--help"].append(run([ARCHIVE, "--help"]))
        for name in ("cold", "warm"):
            times[name].append(run([ARCHIVE, "--root", str(root), "history", record_id]))
    for name, values in times.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        print(f"{name:6} wall {statistics.median(wall):5.0f} / {max(wall):5.0f} ms  "
              f"CPU {statistics.median(cpu):4.0f} / {max(cpu):4.0f} ms (median / worst)")
    print("load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
