"""Run every benchmark at the sizes the issues name, one after another, and print their figures.

    python3 dev.py bench              # all of them (about 15-20 minutes on 2 cores)
    python3 dev.py bench store tui    # only some

Each script also runs on its own with flags for smaller sizes; see its docstring. Run on a quiet
machine: the figures compare against baselines measured in the same run, but load still skews them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = {
    "store": "bench_store.py",
    "bag": "bench_bag.py",
    "verify": "bench_verify.py",
    "tui": "bench_tui.py",
    "startup": "bench_startup.py",
}


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
        return 2
    failed = 0
    for name in names or list(BENCHES):
        print(f"\n=== {name}: {BENCHES[name]} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(HERE / BENCHES[name])]).returncode
        print(f"=== {name} finished in {time.perf_counter() - started:.0f} s (exit {code}) ===")
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
