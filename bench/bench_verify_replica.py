"""``verify --replica`` of a folder replica against local ``verify`` of the same archive, side by side.

An archive of N seed-sized articles (default 1,000) is imported and bagged through the CLI; its bags
and sources are copied to a folder replica as ``archive replicate`` lays them out, and the copies
are recorded as confirmed. Then both checks run as a user runs them (the CLI, full checks, every
byte hashed), best of ``--repeat`` runs each. Goal: the replica check at 80% or more of the local
rate (bags per second).

    .venv/bin/python bench/bench_verify_replica.py               # full run (lead)
    .venv/bin/python bench/bench_verify_replica.py --bags 200    # quick look while developing
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.clock import now_utc  # noqa: E402
from archive.config import CONFIG_NAME, ReplicaSettings, dump_settings, load_settings  # noqa: E402
from archive.layout import open_archive  # noqa: E402
from archive.store.atomic import atomic_write  # noqa: E402

SEED = (ROOT / "records" / "ankara-ambassador-shooting.txt").read_bytes()
ARCHIVE = Path(sys.executable).with_name("archive")


def cli(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    return subprocess.run([str(ARCHIVE), *map(str, args)], capture_output=True, env=env, check=False)


def build_archive(folder: Path, count: int) -> Path:
    root = folder / "arc"
    texts = folder / "texts"
    texts.mkdir()
    for i in range(count):
        (texts / f"article-{i:06d}.txt").write_bytes(SEED + f"\n\nCopy {i} for the benchmark.\n".encode())
    for args in (("init", root, "--org", "Bench"), ("--root", root, "import", texts),
                 ("--root", root, "bag", "--all")):
        done = cli(*args)
        if done.returncode != 0:
            raise SystemExit(f"archive {' '.join(map(str, args))} failed: {done.stderr.decode()[-500:]}")
    return root


def make_replica(root: Path, replica: Path, name: str = "bench") -> int:
    """bags/ and sources/ copied as replicate lays them out, each copy recorded as confirmed."""
    replica.mkdir()
    (replica / "replica.json").write_text('{"format": "article-archive-replica/1"}\n')
    shutil.copytree(root / "bags", replica / "bags")
    shutil.copytree(root / "sources", replica / "sources")
    settings = load_settings(root)
    settings.replicas[name] = ReplicaSettings(name=name, url=str(replica))
    atomic_write(root / CONFIG_NAME, dump_settings(settings).encode())
    arc = open_archive(root)
    ids = [row["id"] for row in arc.store.summaries()]
    at = now_utc()
    bags = 0
    for start in range(0, len(ids), 250):
        with arc.store.transaction() as tx:
            for record_id in ids[start:start + 250]:
                record = tx.get(record_id)
                for entry in record.get("bags") or []:
                    entry.setdefault("replicas", {})[name] = {"replicated_at": at}
                    bags += 1
                tx.update(record, bookkeeping=True)
    return bags


def timed(*args: str | os.PathLike[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    done = cli(*args)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"archive {' '.join(map(str, args))} exited {done.returncode}: "
                         f"{done.stderr.decode()[-500:]}")
    return seconds, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bags", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for both checks (default: theirs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-verify-replica-") as tmp:
        started = time.perf_counter()
        root = build_archive(Path(tmp), args.bags)
        bags = make_replica(root, Path(tmp) / "replica")
        print(f"made {bags} bags and a folder replica in {time.perf_counter() - started:.1f} s")
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        local = replica = float("inf")
        local_bytes = replica_bytes = 0
        for _ in range(args.repeat):
            seconds, report = timed("--root", root, "verify", "--json", *jobs)
            local, local_bytes = min(local, seconds), report["totals"]["hashed_bytes"]
            seconds, report = timed("--root", root, "verify", "--replica", "bench", "--json", *jobs)
            replica, replica_bytes = min(replica, seconds), report["totals"]["hashed_bytes"]
        local_rate, replica_rate = bags / local, bags / replica
        print(f"local verify:            {local:7.2f} s  {local_rate:8.1f} bags/s  "
              f"{local_bytes / 1e6 / local:6.1f} MB/s (bags and working copies)")
        print(f"verify --replica folder: {replica:7.2f} s  {replica_rate:8.1f} bags/s  "
              f"{replica_bytes / 1e6 / replica:6.1f} MB/s")
        ratio = replica_rate / local_rate
        verdict = "met" if ratio >= 0.8 else "NOT met"
        print(f"replica / local rate:    {ratio:.0%} (goal: at least 80%) -> {verdict}")


if __name__ == "__main__":
    main()
