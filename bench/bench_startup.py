"""Start-up of the ``archive`` command beside ``bagit.py --version``, measured in one run.

    .venv/bin/python bench/bench_startup.py              # 7 runs each after a warm-up
    .venv/bin/python bench/bench_startup.py --runs 11 --records 100000

Goals (issue 13), as ratios of medians to ``bagit.py --version`` measured in the same run (the
machine is shared, so only same-run ratios mean anything):
- ``archive --help``, ``list`` and ``show ID --json`` on a small archive: <= 1.0x;
- ``archive add`` on a 100,000-record catalogue: <= 1.5x;
- ``archive search`` on 100,000 records: <= 2.0x.

Commands run with bytecode caching on (PYTHONDONTWRITEBYTECODE is dropped): the warm-up writes
the .pyc files an installed copy has, so both sides run compiled code.

Commands are run round-robin (one of each per round), so load that comes and goes hits them all.
The large catalogue is built once through bench/catalog_fixture.py and cached under /tmp; each
run works on a hard-linked copy of it (the store replaces files by rename, so the cache is never
changed), and ``add`` adds a fresh text each time. The cache lives under $TMPDIR (default /tmp):
set TMPDIR to keep a private one when another checkout of a different index format shares the
machine, or each would rebuild the cached index for its own format (about 5 s of CPU) in turn.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from catalog_fixture import build_catalogue  # noqa: E402

BIN = Path(sys.executable).parent
CACHE = Path(tempfile.gettempdir()) / "article-archive-bench"


def cached_catalogue(count: int) -> Path:
    """A catalogue of ``count`` synthetic records, built once and kept under /tmp."""
    root = CACHE / f"startup-{count}"
    if not (root / "archive.toml").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        building = root.with_name(root.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        started = time.perf_counter()
        build_catalogue(building, count)
        building.rename(root)  # a killed build is never taken for a whole one
        print(f"built {count:,} records in {time.perf_counter() - started:.1f} s (cached in {root})")
    # An index left by another version is rebuilt here, once, not in every working copy.
    subprocess.run([str(BIN / "archive"), "--root", str(root), "search", "no-such-word"],
                   check=True, stdout=subprocess.DEVNULL)
    return root


def working_copy(source: Path, dest: Path) -> Path:
    """Hard links to the cached catalogue: the store writes by rename, so the cache stays as it was."""
    subprocess.run(["cp", "-al", str(source), str(dest)], check=True)
    return dest


def run(argv: list[str], env: dict[str, str], cwd: str | None = None) -> tuple[float, float]:
    """Wall time, and the CPU time (user + system) the command itself used: on a shared machine
    the CPU figure moves far less with other people's work than the wall clock does."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {proc.returncode}")
    return took, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each command")
    parser.add_argument("--records", type=int, default=100_000, help="size of the large catalogue")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="also run add and search with the archive package found in DIR (e.g. "
                             "`git archive COMMIT archive | tar -x -C DIR`) in the same rounds")
    opts = parser.parse_args()

    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    env.pop("ARCHIVE_ROOT", None)
    # An installed copy runs from .pyc files (pip compiles them; an editable install writes them on
    # first run). With PYTHONDONTWRITEBYTECODE set, as in some sandboxes, every run would compile
    # archive's whole source again (100-250 ms here) while bagit's .pyc came with its wheel: the
    # warm-up below is what writes them, so the variable is dropped for the measured commands.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    archive, bagit = str(BIN / "archive"), str(BIN / "bagit.py")
    large = cached_catalogue(opts.records)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        # The verdict caches (archive/schema.py) of this run alone: filled by the warm-up, never
        # by whatever the user's cache holds (a full one once cost every add 40 ms of rfc3987).
        env["ARCHIVE_CACHE_DIR"] = str(work / "verdicts")
        small = build_catalogue(work / "small", 5).root
        big = working_copy(large, work / "large")
        texts = work / "texts"
        texts.mkdir()
        counter = iter(range(1_000_000))

        def add_one() -> list[str]:
            path = texts / f"article-{next(counter)}.txt"
            path.write_text(f"A new article, number {path.stem}, for the start-up bench.\n")
            return [archive, "--root", str(big), "add", str(path), "--title", "Bench article",
                    "--language", "en"]

        commands = {
            "bagit.py --version": lambda: [bagit, "--version"],
            "archive --help": lambda: [archive, "--help"],
            "archive list (5 records)": lambda: [archive, "--root", str(small), "list"],
            "archive show ID --json (5 records)": lambda: [
                archive, "--root", str(small), "show", "ART-2026-000003", "--json"],
            f"archive add ({opts.records:,} records)": add_one,
            f"archive search ({opts.records:,} records)": lambda: [
                archive, "--root", str(big), "search", "kowalski museum"],
        }
        envs = {name: env for name in commands}
        if opts.compare:  # the same commands on the package in DIR (PYTHONPATH, run from outside
            # this checkout so that its own folder is not first on sys.path)
            other = {**env, "PYTHONPATH": str(opts.compare.resolve())}
            for name in [n for n in commands if n.startswith(("archive add", "archive search"))]:
                commands[f"{name} [{opts.compare.name}]"] = commands[name]
                envs[f"{name} [{opts.compare.name}]"] = other
        for name, make in commands.items():  # warm-up: page cache, .pyc files, index files
            run(make(), envs[name], cwd=tmp)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        loads: list[float] = []
        for _ in range(opts.runs):
            loads.append(os.getloadavg()[0])
            for name, make in commands.items():
                wall, used = run(make(), envs[name], cwd=tmp)
                times[name].append(wall)
                cpu[name].append(used)

    goals = {"archive --help": 1.0, "archive list": 1.0, "archive show": 1.0, "archive add": 1.5,
             "archive search": 2.0}
    for label, figures in (("wall clock", times), ("CPU time (user + system)", cpu)):
        baseline = statistics.median(figures["bagit.py --version"])
        print(f"\n{label}: median of {opts.runs} runs after a warm-up, min-max, "
              "ratio to bagit.py --version")
        print(f"{'command':<52} {'median':>8} {'min':>7} {'max':>7} {'ratio':>6}  goal")
        for name, values in figures.items():
            median = statistics.median(values)
            goal = next((g for prefix, g in goals.items() if name.startswith(prefix)), None)
            met = goal is not None and median / baseline <= goal
            verdict = "" if goal is None else f"<= {goal:.1f}x {'met' if met else 'MISSED'}"
            print(f"{name:<52} {median * 1000:6.0f}ms {min(values) * 1000:5.0f}ms "
                  f"{max(values) * 1000:5.0f}ms {median / baseline:5.2f}x  {verdict}")
    print_rounds("wall clock", times, loads, goals)
    print_rounds("CPU time", cpu, loads, goals)
    print(f"\n(commands run round-robin, one of each per round; load average {os.getloadavg()[0]:.1f})")


def print_rounds(label: str, times: dict[str, list[float]], loads: list[float],
                 goals: dict[str, float]) -> None:
    """Each round's ratios to that round's ``bagit.py --version``, with the load average when
    the round began: a goal met on the medians should be met in every round too, and a round far
    above it on a loaded machine shows which load it came with (the CPU times move far less with
    other people's work than the wall clock does)."""
    names = [n for n in times if n != "bagit.py --version"]
    print(f"\n{label} per round: ratio to the same round's bagit.py --version (* above its goal)")
    print(f"{'round':>5} {'load':>5} {'bagit':>6}  " + "  ".join(f"{_short(n):>8}" for n in names))
    for i, load in enumerate(loads):
        baseline = times["bagit.py --version"][i]
        cells = []
        for name in names:
            ratio = times[name][i] / baseline
            goal = next((g for prefix, g in goals.items() if name.startswith(prefix)), None)
            cells.append(f"{ratio:7.2f}{'*' if goal is not None and ratio > goal else ' '}")
        print(f"{i + 1:>5} {load:5.1f} {baseline * 1000:4.0f}ms  " + "  ".join(cells))


def _short(name: str) -> str:
    """A column heading: the command's word (and the compared copy's folder, if any)."""
    word = name.split()[1] if name.startswith("archive") else name.split()[0]
    return word + ("[" + name.rsplit("[", 1)[1] if name.endswith("]") else "")


if __name__ == "__main__":
    main()
