"""Bagging speed, printed side by side with its baselines measured in the same run.

1. N seed-sized records (default 1,000): ``bag_records`` (metadata, citations and bag, both
   cores, durable) against ``bagit.make_bag`` alone on the same payload files (copies of what
   ours put under data/, beside our staging folders), in one process and in a pool of two.
2. One large payload (default 512 MiB): ``bag_records`` against hashlib's one-pass
   sha256+sha512 rate over the same file (one read, both digests updated in turn, one core).

Each comparison runs ``--rounds`` times, the contenders alternating, and the best of each counts:
on a shared machine a load spike then hits both alike.

    .venv/bin/python bench/bench_bag.py                              # the full figures
    .venv/bin/python bench/bench_bag.py --records 200 --mib 64 --rounds 2   # a quick look

bag-info's Citation is citeproc-js's entry for the bag's own citation.json, formatted in the workers
(archive.bagging.contents.citation_labels, one call per chunk of bags); see bench/README.md,
"Figures measured on 2026-12-01". Before (2026-11-30, s3-cite3: the label formatted in the parent
with the engine of then) it measured 0.33x-0.51x make_bag in 1 process.

CPU per bag (s11-bagdiet, 2026-12-01, ``--records 1000 --skip-large --rounds 3``, three pairs of
runs at load 2-7, each pair the code before (1594e9c) and after (72f82b3), 35 s apart; best
round): bag_records' workers user 1.21 / 1.39 / 1.63 -> 0.74 / 0.94 / 0.94 ms, sys 0.57 / 1.54 /
1.06 -> 0.90 / 1.59 / 1.23 ms (sys is file creation, 15 inodes a bag, and on this journal-less
ext4 it swings with how many inodes anyone freed in the last 30 s; see the note above ``_pid``);
parent 0.72 / 0.81 / 0.93 -> 0.69 / 0.87 / 0.76 ms; ratio against make_bag in 1 process 0.35 /
0.79 / 0.54 -> 1.05 / 1.14 / 1.04x. System calls a worker makes per bag (strace -f): 253 -> 108.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import bagit
import psutil

from archive.bagging import bag_records
from archive.bagging.service import worker_pool
from archive.catalog import NewArticle, add_articles, load_meta_file
from archive.layout import init_archive, open_archive

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "records" / "ankara-ambassador-shooting.txt"
SIDECAR = REPO / "records" / "ankara-ambassador-shooting.json"


def _make_bag(folder: str) -> None:
    logging.getLogger("bagit").setLevel(logging.ERROR)
    bagit.make_bag(folder, checksums=["sha256", "sha512"])


# Each round's archive copy is deleted after the last round, not at the end of its own. This VM's
# ext4 has no journal, and without one the kernel skips, for every new inode, each free inode of
# the group freed in the last ~30 s (find_inode_bit -> recently_deleted, one buffer lookup each;
# perf: 25-30 % of a bagging worker's samples right after a deletion). A round started just after
# deleting the previous one's ~40,000 files paid several ms of sys time a bag for it, and
# bag_records, first in each round, paid more of it than make_bag after it.


def _pid(_: object) -> int:
    time.sleep(0.05)  # long enough that both workers take one, so both have started
    return os.getpid()


def _warm_pool(count: int = 2) -> list[psutil.Process]:
    """bag_records' pool of ``count`` workers, started (initializer run) before any CPU snapshot,
    so the figures hold only bagging, not the workers' one-off start and imports."""
    pool = worker_pool(count)
    seen: set[int] = set()
    while len(seen) < count:
        seen.update(pool.map(_pid, range(count)))
    return [psutil.Process(pid) for pid in seen]


def _cpu(procs: list[psutil.Process]) -> tuple[float, float]:
    """user and sys CPU seconds of ``procs`` so far (the live processes, not reaped children)."""
    times = [p.cpu_times() for p in procs]
    return sum(t.user for t in times), sum(t.system for t in times)


def _cpu_line(label: str, samples: list[tuple[float, float]], count: int) -> str:
    """Per bag: the best round's user + sys (ms), and every round's total in brackets."""
    user, system = min(samples, key=sum)
    every = " ".join(f"{(u + s) / count * 1e3:.2f}" for u, s in samples)
    return (f"  {label:<42}{(user + system) / count * 1e3:6.2f} ms/bag  "
            f"(user {user / count * 1e3:.2f}, sys {system / count * 1e3:.2f})  [{every}]")


def _archive(work: Path):
    return init_archive(work / "arc", organization="Bench Archive", contact_name="Bench",
                        contact_email="bench@example.org")


def _fresh(base: Path, label: str):
    """A copy of the prepared archive (not timed), so every round bags the same records anew."""
    target = base.parent / label
    shutil.copytree(base, target, symlinks=True)
    return open_archive(target)


def _payload_copies(arc, results, label: str) -> list[str]:
    """The payload of each bag ours made, copied beside our staging folders (same file system,
    same depth) for ``make_bag``, which bags a folder in place."""
    base = arc.staging_dir / label
    folders = []
    for r in results:
        target = base / r.path.parent.name / r.path.name
        shutil.copytree(r.path / "data", target)
        folders.append(str(target))
    return folders


def many(work: Path, count: int, rounds: int) -> None:
    arc = _archive(work)
    texts = work / "texts"
    texts.mkdir()
    seed = SEED.read_bytes()
    fields = load_meta_file(SIDECAR)
    for start in range(0, count, 256):
        articles = []
        for i in range(start, min(count, start + 256)):
            path = texts / f"article-{i:05d}.txt"
            path.write_bytes(seed + f"\n[copy {i}]\n".encode())
            articles.append(NewArticle(path=path, fields=dict(fields)))
        add_articles(arc, articles)
    ids = arc.store.ids()

    times: dict[str, list[float]] = {"ours": [], "one": [], "two": []}
    cpu: dict[str, list[tuple[float, float]]] = {"parent": [], "workers": [], "one": [], "two": []}
    me = psutil.Process()
    workers = _warm_pool(2)
    rounds_made: list[Path] = []
    for n in range(rounds):  # alternate the contenders so a load spike hits both alike
        copy = _fresh(arc.root, f"round-{n}")
        if any(not w.is_running() for w in workers):
            workers = _warm_pool(2)
        mine, theirs = _cpu([me]), _cpu(workers)
        t0 = time.perf_counter()
        results = bag_records(copy, ids)
        times["ours"].append(time.perf_counter() - t0)
        mine2, theirs2 = _cpu([me]), _cpu(workers)
        cpu["parent"].append((mine2[0] - mine[0], mine2[1] - mine[1]))
        cpu["workers"].append((theirs2[0] - theirs[0], theirs2[1] - theirs[1]))
        assert all(r.outcome == "bagged" for r in results), [r.message for r in results][:3]
        one = _payload_copies(copy, results, "makebag-one")
        two = _payload_copies(copy, results, "makebag-two")
        before = os.times()
        t0 = time.perf_counter()
        for folder in one:
            _make_bag(folder)
        times["one"].append(time.perf_counter() - t0)
        after = os.times()
        cpu["one"].append((after.user - before.user, after.system - before.system))
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2) as pool:  # its workers are reaped on leaving
            list(pool.map(_make_bag, two, chunksize=16))
        times["two"].append(time.perf_counter() - t0)
        done = os.times()
        cpu["two"].append((done.children_user - after.children_user,
                           done.children_system - after.children_system))
        rounds_made.append(copy.root)
    for root in rounds_made:  # only now: see the note above _pid
        shutil.rmtree(root)

    best = {k: min(v) for k, v in times.items()}
    print(f"{count} seed-sized records, best of {rounds} alternating rounds (all rounds in brackets)")
    for key, label in (("ours", "bag_records (metadata + citations + bag, 2 processes)"),
                       ("one", "bagit.make_bag alone, 1 process"),
                       ("two", "bagit.make_bag alone, 2 processes")):
        seconds = best[key]
        every = " ".join(f"{t:.2f}" for t in times[key])
        print(f"  {label:<54}{seconds:7.2f} s  {count / seconds:6.0f} records/s  [{every}]")
    print(f"  ratio: {best['one'] / best['ours']:.2f}x make_bag in 1 process (goal >= 1.0), "
          f"{best['two'] / best['ours']:.2f}x make_bag in 2 processes")
    print("CPU per bag, the round with the least (every round's user+sys in brackets)")
    ours = [(p[0] + w[0], p[1] + w[1]) for p, w in zip(cpu["parent"], cpu["workers"], strict=True)]
    for key, label in (("ours", "bag_records, parent + workers"),
                       ("workers", "bag_records, its 2 workers"),
                       ("parent", "bag_records, the parent"),
                       ("one", "bagit.make_bag alone, 1 process"),
                       ("two", "bagit.make_bag alone, 2 processes' workers")):
        print(_cpu_line(label, ours if key == "ours" else cpu[key], count))


def one_pass_rate(path: Path) -> float:
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(1 << 20):
            sha256.update(chunk)
            sha512.update(chunk)
    return path.stat().st_size / (time.perf_counter() - t0)


def fsync_write_rate(folder: Path, size: int) -> float:
    """How fast this disk takes ``size`` new bytes and an fsync: the ceiling for a durable bag."""
    target = folder / "fsync-probe.bin"
    block = b"\0" * (4 << 20)
    t0 = time.perf_counter()
    with open(target, "wb", buffering=0) as out:
        for _ in range(size // len(block)):
            out.write(block)
        os.fsync(out.fileno())
    rate = size / (time.perf_counter() - t0)
    target.unlink()
    return rate


def large(work: Path, mib: int, rounds: int) -> None:
    arc = _archive(work)
    source = work / "large.txt"
    line = b"The quick brown fox jumps over the lazy dog; an article line of plain text.\n"
    block = line * ((1 << 20) // len(line) + 1)
    with open(source, "wb") as out:
        for _ in range(mib):
            out.write(block[: 1 << 20])
    [record] = add_articles(arc, [NewArticle(path=source, fields={"title": "Large"})])
    source.unlink()
    stored = arc.source_dir(record["id"]) / record["source"]["filename"]
    size = stored.stat().st_size
    one_pass_rate(stored)  # warm the page cache for both contenders alike
    rates: list[float] = []
    ours: list[float] = []
    volatile: list[float] = []
    disk: list[float] = []
    for n in range(rounds):  # alternate, so a load spike hits both alike
        rates.append(one_pass_rate(stored))
        for durable, into in ((True, ours), (False, volatile)):
            copy = _fresh(arc.root, f"large-{n}-{durable}")
            one_pass_rate(copy.source_dir(record["id"]) / record["source"]["filename"])  # page cache
            os.sync()  # start each from a clean disk cache, so one run's write-back spares the next
            t0 = time.perf_counter()
            [result] = bag_records(copy, [record["id"]], durable=durable)
            into.append(size / (time.perf_counter() - t0))
            assert result.outcome == "bagged", result.message
            shutil.rmtree(copy.root)
        os.sync()
        disk.append(fsync_write_rate(work, size))
    rates.append(one_pass_rate(stored))
    rate, best, fast, ceiling = max(rates), max(ours), max(volatile), max(disk)
    print(f"{mib} MiB payload, best of {rounds} alternating rounds (all rounds in brackets)")
    print(f"  hashlib one pass sha256+sha512 (read only, 1 core)   {rate / 1e6:6.0f} MB/s  "
          f"[{' '.join(f'{r / 1e6:.0f}' for r in rates)}]")
    print(f"  bag_records (copy + make_bag + tag files + fsync)  {best / 1e6:6.0f} MB/s  "
          f"[{' '.join(f'{r / 1e6:.0f}' for r in ours)}]")
    print(f"  bag_records, durable=False (no fsync)              {fast / 1e6:6.0f} MB/s  "
          f"[{' '.join(f'{r / 1e6:.0f}' for r in volatile)}]")
    print(f"  this disk: {mib} MiB written and fsynced              {ceiling / 1e6:6.0f} MB/s  "
          f"[{' '.join(f'{r / 1e6:.0f}' for r in disk)}]  (the ceiling for any durable bag)")
    print(f"  ratio: {best / rate:.2f} of the one-pass rate durable, {fast / rate:.2f} without fsync "
          f"(goal >= 0.90); durable bagging runs at {best / ceiling:.2f} of the disk's fsync rate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best counts")
    parser.add_argument("--skip-many", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="where to work (default: a temporary folder)")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}  python {sys.version.split()[0]}  bagit {bagit.VERSION}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        if not args.skip_many:
            (Path(tmp) / "many").mkdir()
            many(Path(tmp) / "many", args.records, args.rounds)
        if not args.skip_large:
            (Path(tmp) / "large").mkdir()
            large(Path(tmp) / "large", args.mib, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
