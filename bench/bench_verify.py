"""Fixity speed, printed side by side with its baseline measured in the same run.

1. N small article bags (default 10,000): ``archive.fixity`` (every core, as ``archive verify`` runs
   it) against bagit-python's serial ``Bag(path).validate()`` over the same bags. Goal: 5x.
2. One bag with a 1 GiB payload, sha256 + sha512: our one-pass hashing against the two-core hashlib
   limit (sha256 and sha512 of the same bytes in memory, one thread each, the best two cores can
   do for both digests of one stream). Goal: 80%. Peak memory (RSS) of the check, in a child
   process. Goal: at most 200 MB.

    .venv/bin/python bench/bench_verify.py                 # full run (lead)
    .venv/bin/python bench/bench_verify.py --bags 500 --gib 0.25   # quick look while developing
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.fixity.bagcheck import validate_bag  # noqa: E402
from archive.hashing import hash_file  # noqa: E402

SEED = (ROOT / "records" / "ankara-ambassador-shooting.txt").read_bytes()


def write_bag(root: Path, payload: dict[str, bytes]) -> None:
    """A BagIt 1.0 bag like the archive's: sha256 + sha512 manifests and tag manifests."""
    (root / "data").mkdir(parents=True)
    for rel, content in payload.items():
        target = root / "data" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    tags = {"bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": (f"Source-Organization: Bench\nPayload-Oxum: "
                             f"{sum(map(len, payload.values()))}.{len(payload)}\n").encode()}
    for alg in ("sha256", "sha512"):
        tags[f"manifest-{alg}.txt"] = "".join(
            f"{hashlib.new(alg, c).hexdigest()}  data/{rel}\n" for rel, c in sorted(payload.items())).encode()
    for name, content in tags.items():
        (root / name).write_bytes(content)
    for alg in ("sha256", "sha512"):
        (root / f"tagmanifest-{alg}.txt").write_text("".join(
            f"{hashlib.new(alg, c).hexdigest()}  {n}\n" for n, c in sorted(tags.items())))


def small_payload(i: int) -> dict[str, bytes]:
    text = SEED + f"\nCopy {i}\n".encode()
    record = f'{{"id": "ART-2016-{i:06d}", "title": "Article {i}"}}\n'.encode() * 20
    return {"source/article.txt": text, "metadata/record.json": record,
            "metadata/citation.json": record[:900], "metadata/citation.bib": record[:400],
            "metadata/citation.ris": record[:300]}


def _valid(path: str) -> bool:
    return validate_bag(path).valid


def bench_small(folder: Path, count: int, jobs: int) -> None:
    import bagit

    bags = [folder / f"bag{i:06d}" for i in range(count)]
    started = time.perf_counter()
    for i, bag in enumerate(bags):
        write_bag(bag, small_payload(i))
    print(f"made {count} small bags in {time.perf_counter() - started:.1f} s")
    paths = [str(b) for b in bags]
    started = time.perf_counter()
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        ours_ok = all(pool.map(_valid, paths, chunksize=max(1, min(64, count // (jobs * 16)))))
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for path in paths:
        bagit.Bag(path).validate()
    theirs = time.perf_counter() - started
    assert ours_ok
    print(f"{count} small bags   archive.fixity ({jobs} jobs): {ours:7.2f} s  {count / ours:8.0f} bags/s")
    print(f"{'':17}bagit-python serial: {theirs:7.2f} s  {count / theirs:8.0f} bags/s")
    print(f"{'':17}speed-up: {theirs / ours:.1f}x (goal 5x)")


def hashlib_two_core_limit(size: int) -> float:
    """Bytes per second for sha256 and sha512 of the same in-memory bytes, one thread each."""
    block = os.urandom(64 << 20)
    rounds = max(1, size // len(block))

    def run(name: str) -> None:
        digest = hashlib.new(name)
        for _ in range(rounds):
            digest.update(block)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("sha256", "sha512")]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return rounds * len(block) / (time.perf_counter() - started)


def bench_large(folder: Path, gib: float) -> None:
    size = int(gib * (1 << 30))
    bag = folder / "large"
    (bag / "data").mkdir(parents=True)
    block = os.urandom(64 << 20)
    with open(bag / "data" / "payload.bin", "wb") as out:
        written = 0
        while written < size:
            out.write(block[: size - written])
            written += min(len(block), size - written)
    digests, _ = hash_file(bag / "data" / "payload.bin")  # also warms the page cache
    for alg in ("sha256", "sha512"):
        (bag / f"manifest-{alg}.txt").write_text(f"{digests[alg]}  data/payload.bin\n")
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (bag / "bag-info.txt").write_text(f"Payload-Oxum: {size}.1\n")
    limit = hashlib_two_core_limit(size)
    started = time.perf_counter()
    hash_file(bag / "data" / "payload.bin")
    ours = size / (time.perf_counter() - started)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent through exec.
    code = ("import sys, time; from archive.fixity.bagcheck import validate_bag; "
            "t = time.perf_counter(); r = validate_bag(sys.argv[1]); "
            "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]; "
            "print(time.perf_counter() - t, r.valid, hwm)")
    out = subprocess.run([sys.executable, "-c", code, str(bag)], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    seconds, valid, rss_kb = float(out[0]), out[1] == "True", int(out[2])
    print(f"{gib:g} GiB payload  hashlib two-core limit (sha256 || sha512): {limit / 1e9:6.3f} GB/s")
    print(f"{'':17}archive.hashing one pass:                {ours / 1e9:6.3f} GB/s "
          f"= {100 * ours / limit:.0f}% of the limit (goal 80%)")
    print(f"{'':17}validate-bag whole bag: {size / seconds / 1e9:.3f} GB/s, valid={valid}, "
          f"peak RSS {rss_kb / 1024:.0f} MB (goal <= 200 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bags", type=int, default=10_000, help="small bags (default 10000)")
    parser.add_argument("--gib", type=float, default=1.0, help="large payload in GiB (default 1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} "
          "(a shared machine skews both columns)")
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        if not args.skip_small:
            bench_small(Path(tmp), args.bags, args.jobs)
        if not args.skip_large:
            bench_large(Path(tmp), args.gib)


if __name__ == "__main__":
    main()
