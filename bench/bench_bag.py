"""Bagging speed, printed side by side with its baselines measured in the same run.

1. N seed-sized records (default 1,000): ``bag_records`` (metadata, citations and bag, both
   cores) against ``bagit.make_bag`` alone on the same payload files, in one process and in a
   pool of two.
2. One large payload (default 512 MiB): ``bag_records`` against hashlib's one-pass
   sha256+sha512 rate over the same file (one read, both digests updated in turn, one core).

    .venv/bin/python bench/bench_bag.py                      # the full figures
    .venv/bin/python bench/bench_bag.py --records 100 --mib 32   # a quick look
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

from archive.bagging import bag_records
from archive.catalog import NewArticle, add_articles, load_meta_file
from archive.layout import init_archive

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "records" / "ankara-ambassador-shooting.txt"
SIDECAR = REPO / "records" / "ankara-ambassador-shooting.json"


def _make_bag(folder: str) -> None:
    logging.getLogger("bagit").setLevel(logging.ERROR)
    bagit.make_bag(folder, checksums=["sha256", "sha512"])


def _archive(work: Path):
    return init_archive(work / "arc", organization="Bench Archive", contact_name="Bench",
                        contact_email="bench@example.org")


def many(work: Path, count: int) -> None:
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

    t0 = time.perf_counter()
    results = bag_records(arc, ids)
    ours = time.perf_counter() - t0
    assert all(r.outcome == "bagged" for r in results), [r.message for r in results if r.outcome != "bagged"]

    copies = {}
    for label in ("one", "two"):  # make_bag bags in place, so each run needs its own copies
        base = work / f"makebag-{label}"
        copies[label] = []
        for r in results:
            target = base / r.record_id
            shutil.copytree(r.path / "data", target)
            copies[label].append(str(target))
    t0 = time.perf_counter()
    for folder in copies["one"]:
        _make_bag(folder)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_make_bag, copies["two"], chunksize=16))
    two = time.perf_counter() - t0

    print(f"{count} seed-sized records")
    for label, seconds in (("bag_records (metadata + citations + bag, 2 processes)", ours),
                           ("bagit.make_bag alone, 1 process", one),
                           ("bagit.make_bag alone, 2 processes", two)):
        print(f"  {label:<54}{seconds:7.2f} s  {count / seconds:7.0f} records/s")
    print(f"  ratio: {one / ours:.2f}x make_bag in 1 process, {two / ours:.2f}x make_bag in 2 processes "
          f"(goal >= 1.0 against make_bag alone)")


def one_pass_rate(path: Path) -> float:
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(1 << 20):
            sha256.update(chunk)
            sha512.update(chunk)
    return path.stat().st_size / (time.perf_counter() - t0)


def large(work: Path, mib: int) -> None:
    arc = _archive(work)
    source = work / "large.txt"
    line = b"The quick brown fox jumps over the lazy dog; an article line of plain text.\n"
    block = line * ((1 << 20) // len(line) + 1)
    with open(source, "wb") as out:
        for _ in range(mib):
            out.write(block[: 1 << 20])
    [record] = add_articles(arc, [NewArticle(path=source, fields={"title": "Large"})])
    stored = arc.source_dir(record["id"]) / record["source"]["filename"]
    one_pass_rate(stored)  # warm the page cache for both contenders alike
    rate = one_pass_rate(stored)
    t0 = time.perf_counter()
    [result] = bag_records(arc, [record["id"]])
    ours = time.perf_counter() - t0
    assert result.outcome == "bagged", result.message
    size = stored.stat().st_size
    print(f"{mib} MiB payload")
    print(f"  hashlib one pass sha256+sha512 (read only)      {rate / 1e6:8.0f} MB/s")
    print(f"  bag_records (copy + sha256 + sha512 + tag files) {size / ours / 1e6:8.0f} MB/s "
          f"({ours:.2f} s)")
    print(f"  ratio: {size / ours / rate:.2f} of the one-pass rate (goal >= 0.90)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--skip-many", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="where to work (default: a temporary folder)")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}  python {sys.version.split()[0]}  bagit {bagit.VERSION}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        if not args.skip_many:
            (Path(tmp) / "many").mkdir()
            many(Path(tmp) / "many", args.records)
        if not args.skip_large:
            (Path(tmp) / "large").mkdir()
            large(Path(tmp) / "large", args.mib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
