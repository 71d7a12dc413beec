"""Catalogue store figures at scale, beside plain TinyDB measured in the same run.

    .venv/bin/python bench/bench_store.py                 # 100,000 records, 10,000 imports
    .venv/bin/python bench/bench_store.py --records 20000 --imports 2000   # quicker

Targets (issue 2): add/edit one record <= 20 ms median, open <= 1.5 s, metadata search
<= 100 ms, the process within 600 MB, `archive import` of 10,000 articles <= 60 s.
Each measurement of our store runs in a fresh process, so open time and memory are honest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from catalog_fixture import build_catalogue, make_record  # noqa: E402

PROBE = textwrap.dedent(
    """
    import json, resource, statistics, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    from archive.layout import open_archive
    from archive import catalog
    t_import = time.perf_counter() - t0
    root, sample = Path(sys.argv[1]), Path(sys.argv[2])
    t0 = time.perf_counter()
    arc = open_archive(root)
    t_open = time.perf_counter() - t0
    rss_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    searches = {}
    for query in ["ambassador gallery", "new york times", "kowalski", "zzz-no-hit", "staff 9999"]:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            hits = catalog.search_records(arc, query)
            times.append(time.perf_counter() - t)
        searches[query] = (statistics.median(times) * 1000, len(hits))
    adds, edits = [], []
    for i in range(40):
        path = sample.with_name(f"sample-{i}.txt")
        path.write_text(sample.read_text() + f" variant {i}")
        t = time.perf_counter()
        rec = catalog.add_article(arc, catalog.NewArticle(path, {"title": f"Bench {i}"}))
        adds.append(time.perf_counter() - t)
        t = time.perf_counter()
        catalog.edit_record(arc, rec["id"], assignments=[f"subtitle=edited {i}"])
        edits.append(time.perf_counter() - t)
    old = []
    ids = [r["id"] for r in arc.store.summaries()[:200:5]]
    for rid in ids:
        t = time.perf_counter()
        catalog.edit_record(arc, rid, assignments=["section=World"])
        old.append(time.perf_counter() - t)
    print(json.dumps({
        "records": len(arc.store), "open_s": t_open, "import_s": t_import, "rss_after_open_mb": rss_open,
        "search_ms": searches, "add_ms": statistics.median(adds) * 1000,
        "edit_new_ms": statistics.median(edits) * 1000, "edit_old_ms": statistics.median(old) * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    """
)

TINYDB_INSERT = textwrap.dedent(
    """
    import json, statistics, sys, time
    from tinydb import TinyDB
    db = TinyDB(sys.argv[1])
    record = json.loads(sys.argv[2])
    times = []
    for i in range(int(sys.argv[3])):
        t = time.perf_counter(); db.insert(dict(record, title=f"x{i}")); times.append(time.perf_counter() - t)
    print(json.dumps({"insert_ms": statistics.median(times) * 1000}))
    """
)

TINYDB_OPEN = textwrap.dedent(
    """
    import json, resource, sys, time
    from tinydb import TinyDB, Query
    t = time.perf_counter(); db = TinyDB(sys.argv[1]); n = len(db.all()); t_open = time.perf_counter() - t
    t = time.perf_counter(); hits = db.search(Query().title.search("(?i)ambassador gallery"))
    t_search = time.perf_counter() - t
    print(json.dumps({"open_s": t_open, "records": n, "search_ms": t_search * 1000,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """
)


def py(*args: str) -> dict:
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def plain_tinydb(work: Path, records: list[dict], sizes: tuple[int, ...]) -> dict:
    """Plain TinyDB with its default JSONStorage: insert cost at each size, open cost at the last."""
    results = {}
    for size in sizes:
        path = work / f"tinydb-{size}.json"
        table = {str(i + 1): records[i % len(records)] for i in range(size)}
        path.write_text(json.dumps({"_default": table}))
        inserts = 3 if size > 20000 else 10
        results[size] = py("-c", TINYDB_INSERT, str(path), json.dumps(records[0]), str(inserts))
        if size == sizes[-1]:
            results["open"] = py("-c", TINYDB_OPEN, str(path))
        path.unlink()
    return results


def import_folder_timing(work: Path, count: int, sample: bytes) -> float:
    folder = work / "to-import"
    folder.mkdir()
    for i in range(count):
        (folder / f"article-{i:05d}.txt").write_bytes(sample + f"\n\nCopy {i}.\n".encode())
        (folder / f"article-{i:05d}.json").write_text(json.dumps(
            {"title": f"Imported article {i}", "issued": "2016-12-19", "language": "en",
             "creators": [{"family": "Doe", "given": "Jane"}]}))
    root = work / "import-archive"
    archive_bin = str(Path(sys.executable).with_name("archive"))
    subprocess.run([archive_bin, "init", str(root)], check=True, capture_output=True)
    t = time.perf_counter()
    proc = subprocess.run([archive_bin, "--root", str(root), "import", str(folder)],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {proc.stderr[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--imports", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    sample = (HERE.parent / "records" / "ankara-ambassador-shooting.txt").read_bytes()
    try:
        print(f"building a {args.records:,}-record catalogue in {work} ...", flush=True)
        t = time.perf_counter()
        arc = build_catalogue(work / "archive", args.records)
        build_s = time.perf_counter() - t
        size_mb = sum(p.stat().st_size for p in (work / "archive" / "catalog").rglob("*.json")) / 1e6
        sample_path = work / "sample.txt"
        sample_path.write_bytes(sample)
        ours = py("-c", PROBE, str(arc.root), str(sample_path))
        rng = random.Random(1)
        records = [make_record(arc, i + 1, rng) | {"created_at": "2026-01-01T00:00:00Z",
                                                    "updated_at": "2026-01-01T00:00:00Z"}
                   for i in range(50)]
        print("measuring plain TinyDB ...", flush=True)
        plain = plain_tinydb(work, records, (1_000, 7_000, args.records))
        print(f"importing {args.imports:,} articles with `archive import` ...", flush=True)
        import_s = import_folder_timing(work, args.imports, sample)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    n = args.records
    search = ours["search_ms"]
    worst_search = max(ms for ms, _ in search.values())
    rows = [
        ("records in catalogue", f"{ours['records']:,}", f"{plain['open']['records']:,}", ""),
        ("add one record (median)", f"{ours['add_ms']:.1f} ms", f"{plain[n]['insert_ms']:.0f} ms",
         "<= 20 ms"),
        ("edit one record (median)", f"{max(ours['edit_new_ms'], ours['edit_old_ms']):.1f} ms",
         "(same as insert)", "<= 20 ms"),
        ("open the catalogue", f"{ours['open_s']:.2f} s", f"{plain['open']['open_s']:.2f} s", "<= 1.5 s"),
        ("metadata search (worst query)", f"{worst_search:.1f} ms",
         f"{plain['open']['search_ms']:.0f} ms", "<= 100 ms"),
        ("peak memory of the process", f"{ours['peak_rss_mb']:.0f} MB",
         f"{plain['open']['peak_rss_mb']:.0f} MB", "<= 600 MB"),
        (f"`archive import` of {args.imports:,} articles", f"{import_s:.1f} s", "-", "<= 60 s"),
    ]
    print()
    print(f"catalogue: {n:,} records of ~3 KB, {size_mb:.0f} MB on disk, built in {build_s:.0f} s")
    print(f"plain TinyDB insert (median): {plain[1_000]['insert_ms']:.0f} ms at 1,000 records, "
          f"{plain[7_000]['insert_ms']:.0f} ms at 7,000, {plain[n]['insert_ms']:.0f} ms at {n:,}")
    print(f"{'figure':<36} {'article-archive':>16} {'plain TinyDB':>16} {'target':>10}")
    for name, mine, theirs, target in rows:
        print(f"{name:<36} {mine:>16} {theirs:>16} {target:>10}")
    print("search queries (median ms, hits):",
          ", ".join(f"{q!r}: {ms:.1f} ms/{hits}" for q, (ms, hits) in search.items()))
    print(f"rss right after open: {ours['rss_after_open_mb']:.0f} MB; "
          f"python + library import: {ours['import_s']:.2f} s; cpu count {os.cpu_count()}")


if __name__ == "__main__":
    main()
