"""``archive verify`` on the bags the archive itself writes, beside bagit-python, in one run.

    .venv/bin/python bench/bench_verify_own.py                      # 10,000 records, audit of 100,000
    .venv/bin/python bench/bench_verify_own.py --records 2000 --audit-records 2000 --rounds 1
    .venv/bin/python bench/bench_verify_own.py --skip-audit --compare DIR   # before/after, same rounds
    .venv/bin/python bench/bench_verify_own.py --skip-audit --page-cache cold  # every run from disk

Goals (issue 13), as ratios of wall clock measured side by side in the same run:
- ``archive verify`` (every core) of N imported and bagged records: >= 4x bagit-python's serial
  ``Bag(path).validate()`` over the same bag folders;
- ``archive verify --jobs 1``: >= 1.5x the same baseline;
- ``archive audit`` (a full check of every bag, oldest first, as cron runs it) of the 100,000-bag
  archive: its rate and peak memory (built and measured by bench_audit.py, which runs it alone too).

Each verify archive is built once through the CLI (``init``, ``import`` of N generated articles, ``bag
--all``: five payload files, sha256 + sha512 manifests and tag manifests per bag) and cached under
/tmp. Every timed run works on a copy (kept beside the cache) whose bags and sources are hard links
to the cache (verify never writes them) and whose catalogue is copied afresh before each run
(verify records a fixity event per bag), so each run starts from the same catalogue. Contenders
run round-robin, so load that comes and goes hits them all, each round in another order (the first
of a round is the next one's last); the CPU time (user + system of the whole process tree: the
command, the fork server and its workers, sampled from /proc) is printed too, because on a shared
machine it moves far less than the wall clock.

Every run starts with the bags and sources in the same state of the page cache (``--page-cache``):
``warm`` (the default) reads every file of them, untimed, just before each run; ``cold`` evicts
them (``posix_fadvise(DONTNEED)`` on every file: their data, not the kernel's cached inodes and
names). Before, nothing did: the bench's first run, ``archive verify`` in round 1, read the bags
from disk (most of 10,000 bags' 460 MB, after other work had evicted them), bagit-python then found
them cached, and round 1's ratio fell to 1.2x against 3.6-5.3x in the later rounds. A cold read
costs CPU as well as waiting: 10,000 bags took 16.1 CPU-s cold against 10.0 warm, the difference
all in the kernel (a virtual disk's request doorbell, ``iowrite16``, and the softirqs completing
the requests; perf, cpu-clock), not in the checker's Python. The disk reads of each run (``wait4``'s
``ru_inblock``: the command and the workers it reaped) are printed, so a run that was not in the
state asked for shows.

Peak memory of the audit: each process's VmHWM (see bench_audit.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import proctree  # bench/, beside this script

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ARCHIVE = str(BIN / "archive")
CACHE = Path(tempfile.gettempdir()) / "article-archive-bench"
SEED = (ROOT / "records" / "ankara-ambassador-shooting.txt").read_text(encoding="utf-8")


def _cli(*argv: str) -> None:
    subprocess.run([ARCHIVE, *argv], check=True, stdout=subprocess.DEVNULL)


def cached_archive(count: int) -> Path:
    """An archive of ``count`` imported and bagged records, built once through the CLI."""
    root = CACHE / f"verify-own-{count}"
    if (root / "archive.toml").exists():
        return root
    building = root.with_name(root.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    texts = building.with_name(building.name + ".texts")
    shutil.rmtree(texts, ignore_errors=True)
    texts.mkdir(parents=True)
    started = time.perf_counter()
    for i in range(count):
        (texts / f"article-{i:06d}.txt").write_text(f"Article {i}\n\n{SEED}\nCopy {i}\n", encoding="utf-8")
    _cli("init", str(building))
    _cli("--root", str(building), "import", str(texts))
    _cli("--root", str(building), "bag", "--all")
    shutil.rmtree(texts)
    building.rename(root)  # a killed build is never taken for a whole one
    print(f"built {count:,} imported and bagged records in {time.perf_counter() - started:.0f} s "
          f"(cached in {root})")
    return root


def current_index(root: Path) -> None:
    """Open ``root``'s catalogue once, so that a summary index another version of the store wrote
    (an older format: the 2,000-record cache held format 4 where the store reads 6) is rebuilt in
    the cache itself. Otherwise every run's fresh copy of it was stale again, and every verify
    rebuilt every index at open (0.5 s of the parent at 2,000 records under cProfile), a cost of
    the bench's cache that a real archive pays once."""
    from archive.store.catalog_store import Store

    Store.open(root / "catalog")


def working_copy(source: Path) -> Path:
    """Bags and sources hard-linked (verify never writes them), the catalogue copied (it does).
    Kept beside the cache and reused, since removing a hundred thousand links takes minutes."""
    dest = source.with_name(source.name + ".work")
    if not (dest / "archive.toml").exists():
        shutil.rmtree(dest, ignore_errors=True)
        subprocess.run(["cp", "-al", str(source), str(dest)], check=True)
    return reset_catalogue(source, dest)


REPLACED_WHOLE = ("records", "index")
"""Catalogue folders whose files are only ever replaced (written beside, then renamed over), never
written in place: hard-linked into the copy, so each keeps its inode and mtime. A copy changes the
inode, and the store then takes every summary index for stale and rebuilds all of them at open:
a cost of the bench's copying that no real verify pays (at 10,000 records, 5 % of the parent's
samples in a py-spy profile of the command). The history logs are appended to: copied."""


def _link_or_copy(source: str, dest: str) -> None:
    if Path(source).parent.name in REPLACED_WHOLE:
        os.link(source, dest)
    else:
        shutil.copy2(source, dest)


def reset_catalogue(source: Path, dest: Path) -> Path:
    """The catalogue (and logs) of ``dest`` made a fresh copy of ``source``'s, as before any run."""
    for folder in ("catalog", "logs"):
        shutil.rmtree(dest / folder, ignore_errors=True)
        if (source / folder).exists():
            shutil.copytree(source / folder, dest / folder, copy_function=_link_or_copy)
    return dest


def archive_files(root: Path) -> list[str]:
    """Every file a verify of ``root`` reads beside its catalogue: its bags and its sources."""
    found = []
    for folder in ("bags", "sources"):
        for where, _, files in os.walk(root / folder):
            found += [os.path.join(where, name) for name in files]
    return found


def set_page_cache(files: list[str], state: str) -> None:
    """Put ``files`` in the page cache (``warm``: read each whole) or out of it (``cold``), so that
    every contender starts from the same state. The working copy's bags and sources are hard links
    to these files, so this reaches the pages every contender reads."""
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if state == "cold":
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            else:
                while os.read(fd, 1 << 20):
                    pass
        finally:
            os.close(fd)


def _tree_sample(pid: int) -> tuple[int, dict[int, float]]:
    """Summed VmRSS (kB) of ``pid`` and its descendants, and each one's CPU seconds so far
    (user + system, from /proc/PID/stat)."""
    total, cpu = 0, {}
    for current in proctree.tree(pid):
        try:
            total += proctree.status_kb(current, "VmRSS")
            cpu[current] = proctree.cpu_seconds(current)
        except (OSError, ValueError, IndexError):
            continue
    return total, cpu


def run(argv: list[str], expect_ok: bool = True,
        env: dict[str, str] | None = None) -> tuple[float, float, int, int, float, int]:
    """Wall seconds, the command's own CPU seconds, peak RSS (kB) of the largest of the command
    and the children it reaped (``wait4``'s rusage), peak tree RSS (kB), the CPU seconds of
    the whole tree: the command's own (read as it exits) plus, for every process it started (fork
    server, workers, forked or not), the last of samples taken every 0.1 s, and the bytes read
    from disk by the command and the children it reaped (rusage ``ru_inblock``). The rusage's CPU
    is not used: it includes the children the command reaped, which the samples already count."""
    peak = [0]
    others: dict[int, float] = {}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=tempfile.gettempdir())  # not this checkout: see --compare
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            rss, cpu = _tree_sample(proc.pid)
            peak[0] = max(peak[0], rss)
            cpu.pop(proc.pid, None)
            for pid, seconds in cpu.items():
                others[pid] = max(others.get(pid, 0.0), seconds)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    status, own, usage = proctree.wait_own_cpu(proc.pid)
    took = time.perf_counter() - started
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if expect_ok and code != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {code}: {err[-2000:]}")
    return (took, own, usage.ru_maxrss if usage else 0, peak[0], own + sum(others.values()),
            usage.ru_inblock * 512 if usage else 0)


BAGIT_SERIAL = ("import bagit, sys\n"
                "for path in sys.stdin.read().split():\n"
                "    bagit.Bag(path).validate()\n")


def bagit_serial(bags: list[str]) -> tuple[float, float, int]:
    """bagit-python's serial ``Bag(path).validate()`` over ``bags``, in a child process: wall and
    CPU seconds, and the bytes it read from disk."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", BAGIT_SERIAL], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write("\n".join(bags).encode())
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("bagit-python found a bag invalid")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_inblock * 512


def bag_folders(root: Path) -> list[str]:
    return sorted(str(v) for d in (root / "bags").iterdir() for v in d.iterdir())


def contenders(compare: Path | None) -> dict[str, tuple[list[str], dict[str, str] | None, str]]:
    """Name -> (extra verify arguments, environment, label) of each ``archive verify`` contender:
    this checkout's, and with ``compare`` the same two runs of the package found in that folder."""
    found: dict[str, tuple[list[str], dict[str, str] | None, str]] = {
        "ours": ([], None, f"archive verify ({os.cpu_count()} cores)"),
        "jobs1": (["--jobs", "1"], None, "archive verify --jobs 1"),
    }
    if compare is not None:
        env = {**os.environ, "PYTHONPATH": str(compare.resolve())}
        found["base"] = ([], env, f"[{compare.name}] verify ({os.cpu_count()} cores)")
        found["base-jobs1"] = (["--jobs", "1"], env, f"[{compare.name}] verify --jobs 1")
    return found


GOALS = {"ours": 4.0, "jobs1": 1.5, "base": 4.0, "base-jobs1": 1.5}


def bench_verify(count: int, rounds: int, compare: Path | None = None, page_cache: str = "warm") -> None:
    cache = cached_archive(count)
    current_index(cache)
    bags = bag_folders(cache)
    files = archive_files(cache)
    runs = contenders(compare)
    names = [*runs, "bagit"]
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in names}
    loads: list[float] = []
    cores = os.cpu_count() or 1
    for round_number in range(rounds):
        shift = round_number % len(names)  # each round in another order: none is always first
        for name in names[shift:] + names[:shift]:
            copy = working_copy(cache) if name != "bagit" else None
            set_page_cache(files, page_cache)
            loads.append(os.getloadavg()[0])
            if copy is None:
                results[name].append(bagit_serial(bags))
            else:
                extra, env, _ = runs[name]
                wall, _, _, _, tree_cpu, read = run([ARCHIVE, "--root", str(copy), "verify", *extra], env=env)
                results[name].append((wall, tree_cpu, read))
            wall, tree_cpu, read = results[name][-1]
            print(f"  round {round_number + 1}: {name:10} {wall:7.2f} s  cpu {tree_cpu:6.2f} s  "
                  f"read {read / 1e6:5.0f} MB  load {loads[-1]:.1f}", flush=True)  # a killed run keeps these
    report(count, len(bags), rounds, page_cache, loads, cores, runs, results)


def report(count: int, bags: int, rounds: int, page_cache: str, loads: list[float], cores: int,
           runs: dict[str, tuple[list[str], dict[str, str] | None, str]],
           results: dict[str, list[tuple[float, float, int]]]) -> None:
    wall = {k: statistics.median(r[0] for r in v) for k, v in results.items()}
    cpu = {k: statistics.median(r[1] for r in v) for k, v in results.items()}
    spread = {k: f"{min(r[0] for r in v):.1f}-{max(r[0] for r in v):.1f}" for k, v in results.items()}
    best = {k: min(r[0] for r in v) for k, v in results.items()}
    busy = {k: statistics.median(r[1] / (r[0] * cores) for r in v) for k, v in results.items()}
    read = {k: statistics.median(r[2] for r in v) / 1e6 for k, v in results.items()}
    print(f"{count:,} records, {bags:,} bags, {rounds} rounds, page cache {page_cache} before every run, "
          f"load average {min(loads):.1f}-{max(loads):.1f} (median wall, range; CPU of the whole process "
          f"tree, workers included; cores busy = that CPU / (wall x {cores} cores); MB read from disk):")
    print(f"  {'bagit-python serial validate':34} {wall['bagit']:7.2f} s  ({spread['bagit']})  "
          f"cpu {cpu['bagit']:6.2f} s  read {read['bagit']:6.0f} MB")
    for key, (_, _, label) in runs.items():
        goal = GOALS[key]
        print(f"  {label:34} {wall[key]:7.2f} s  ({spread[key]})  cpu {cpu[key]:6.2f} s  "
              f"read {read[key]:6.0f} MB  busy {busy[key]:4.0%}  {wall['bagit'] / wall[key]:.2f}x median, "
              f"{best['bagit'] / best[key]:.2f}x best (goal {goal}x); CPU {cpu['bagit'] / cpu[key]:.2f}x")
    for key, (_, _, label) in runs.items():
        ratios = [f"{b[0] / o[0]:.2f}x" for b, o in zip(results["bagit"], results[key], strict=True)]
        cpus = [f"{o[1]:.2f}" for o in results[key]]
        print(f"  each round, bagit wall / {label}: {', '.join(ratios)}; its CPU s: {', '.join(cpus)}")
    print(f"  each round, bagit CPU s: {', '.join(f'{r[1]:.2f}' for r in results['bagit'])}")


def bench_audit(count: int, root: Path | None = None, budget: str | None = None) -> None:
    """``archive audit`` of a ``count``-bag archive built by bench_audit.py (one real bag cloned
    as bags of their own, kept under /tmp so a rerun skips the build; its catalogue put back as
    built before the run), or of the archive at ``root`` in place (its catalogue gets the fixity
    events); ``budget`` passes ``--budget`` through. Prints bags/s, wall, tree CPU and VmHWM."""
    import bench_audit

    if root is None:
        keep = CACHE / f"audit-{count}"
        bench_audit.build(keep, count)
        root = bench_audit.reset(keep)
    bench_audit.audit(root, "audit", None, budget)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000, help="records for verify (default 10000)")
    parser.add_argument("--audit-records", type=int, default=100_000, help="bags audited (default 100000)")
    parser.add_argument("--rounds", type=int, default=3, help="round-robin rounds (default 3)")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--skip-audit", action="store_true")
    parser.add_argument("--audit-root", type=Path, help="audit this archive in place instead of a built one "
                        "(its catalogue gets the fixity events)")
    parser.add_argument("--audit-budget", help="pass --budget to the audit (e.g. 10m)")
    parser.add_argument("--page-cache", choices=("warm", "cold"), default="warm",
                        help="the bags and sources before every run: read whole (warm, the default) or "
                             "evicted (cold); the same for every contender")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="also verify with the archive package found in DIR (e.g. `git archive "
                             "COMMIT archive schemas | tar -x -C DIR`, then `python -m compileall -q DIR`), "
                             "in the same rounds, for before/after figures")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} (a shared machine skews "
          "the wall clock; compare within one run)")
    if not args.skip_verify:
        bench_verify(args.records, args.rounds, args.compare, args.page_cache)
    if not args.skip_audit:
        bench_audit(args.audit_records, args.audit_root, args.audit_budget)


if __name__ == "__main__":
    main()
