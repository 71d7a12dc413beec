"""How fast the terminal UI is on a large catalogue, measured headless, with figures printed.

Key timings are Pilot round trips (key posted, handlers run, screen refreshed) minus the median
round trip of an unbound key, which is what Pilot itself costs.

Goals (issue 6): first screen of the table within 2 s at 100,000 records, each keystroke of
search-as-you-type within 100 ms, scrolling to the end within 200 ms.

    .venv/bin/python bench/bench_tui.py                      # 100,000 records
    .venv/bin/python bench/bench_tui.py --records 10000      # a quicker look
    .venv/bin/python bench/bench_tui.py --root DIR --keep    # reuse / keep the catalogue

The catalogue is built straight through the store's transactions (no source files: the table,
search and scrolling only read the summary index), which takes a while at 100,000 records.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from archive.layout import init_archive, open_archive

CHUNK = 5000
PUBLICATIONS = ("The Daily Beast", "Los Angeles Times", "The New York Times", "Hürriyet", "Le Monde")
SUBJECTS = ("Assassination", "Terrorism", "Foreign relations", "Elections", "Harbours", "Strikes")
GOALS = {"first screen": 2.0, "keystroke (worst)": 0.100, "scroll to end": 0.200}


def fake_record(sequence: int, prefix: str) -> dict:
    """A valid record of the shape the catalogue holds, varied enough for search to mean something."""
    year = 2000 + sequence % 25
    return {
        "id": f"{prefix}-{year}-{sequence:06d}",
        "uuid": str(uuid.UUID(int=sequence, version=4)),
        "type": "article-newspaper",
        "title": f"Report {sequence} on {SUBJECTS[sequence % 6].lower()} in city {sequence % 997}",
        "creators": [{"family": f"Writer{sequence % 1013}", "given": "Sam"}],
        "container_title": PUBLICATIONS[sequence % len(PUBLICATIONS)],
        "issued": f"{year}-{sequence % 12 + 1:02d}-{sequence % 28 + 1:02d}",
        "subjects": sorted({SUBJECTS[sequence % 6], SUBJECTS[(sequence // 7) % 6]}),
        "status": "catalogued",
        "revision": 1,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    }


def build(root: Path, count: int) -> None:
    """Fill a new archive with ``count`` records, several thousand per transaction."""
    arc = init_archive(root, organization="Bench Archive")
    started = time.perf_counter()
    for start in range(0, count, CHUNK):
        with arc.store.transaction() as tx:
            for sequence in tx.reserve_sequences(min(CHUNK, count - start)):
                tx.insert(fake_record(sequence, arc.settings.id_prefix))
        done = min(start + CHUNK, count)
        print(f"\r  building: {done}/{count} records ({time.perf_counter() - started:.0f} s)", end="",
              file=sys.stderr, flush=True)
    print(file=sys.stderr)


async def measure(root: Path, query: str, width: int, height: int) -> dict[str, float | list[float]]:
    from tui.app import ArchiveApp
    from tui.widgets.record_table import RecordTable

    figures: dict[str, float | list[float]] = {}
    started = time.perf_counter()
    app = ArchiveApp(open_archive(root))
    async with app.run_test(size=(width, height)) as pilot:
        table = app.main_screen.query_one(RecordTable)
        while not table.rows:
            await pilot.pause(0.001)
        await pilot.pause()
        figures["first screen"] = time.perf_counter() - started
        figures["rows"] = len(table.rows)

        baseline = []
        for _ in range(10):  # an unbound key: what Pilot itself costs per key, with no app work
            t0 = time.perf_counter()
            await pilot.press("f12")
            baseline.append(time.perf_counter() - t0)
        overhead = statistics.median(baseline)
        figures["pilot overhead per key"] = overhead

        await pilot.press("slash")
        times = []
        for char in query:
            t0 = time.perf_counter()
            await pilot.press(char)
            times.append(time.perf_counter() - t0 - overhead)
        figures["keystrokes"] = times
        figures["keystroke (worst)"] = max(times)
        figures["keystroke (median)"] = statistics.median(times)
        figures["hits"] = len(table.rows)
        for _ in query:
            await pilot.press("backspace")
        await pilot.press("escape")  # back to the table, search cleared

        t0 = time.perf_counter()
        await pilot.press("end")
        figures["scroll to end"] = time.perf_counter() - t0 - overhead
        assert table.cursor_row == len(table.rows) - 1
        t0 = time.perf_counter()
        await pilot.press("home")
        figures["scroll to start"] = time.perf_counter() - t0 - overhead
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="catalogue size (default 100,000)")
    parser.add_argument("--root", type=Path, help="an archive to use; built there when it does not exist")
    parser.add_argument("--keep", action="store_true", help="keep the catalogue built in a temporary folder")
    parser.add_argument("--query", default="city 42 strikes", help="typed one key at a time")
    parser.add_argument("--size", default="120x40", help="terminal size, WxH")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))

    temporary = args.root is None
    root = args.root or Path(tempfile.mkdtemp(prefix="bench-tui-")) / "arc"
    try:
        if not (root / "archive.toml").exists():
            print(f"building {args.records} records in {root}", file=sys.stderr)
            build(root, args.records)
        figures = asyncio.run(measure(root, args.query, width, height))
    finally:
        if temporary and not args.keep:
            shutil.rmtree(root.parent, ignore_errors=True)

    print(f"records: {figures['rows']}  terminal: {width}x{height}  query: {args.query!r} "
          f"({figures['hits']} hits)")
    failed = False
    shown = ("first screen", "keystroke (worst)", "keystroke (median)", "scroll to end", "scroll to start",
             "pilot overhead per key")
    for name in shown:
        value = float(figures[name])  # type: ignore[arg-type]
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            verdict = f"  goal ≤ {goal * 1000:.0f} ms  {'ok' if value <= goal else 'MISSED'}"
            failed |= value > goal
        print(f"  {name:<20} {value * 1000:8.1f} ms{verdict}")
    keystrokes = ", ".join(f"{t * 1000:.0f}" for t in figures["keystrokes"])  # type: ignore[union-attr]
    print(f"  each keystroke (ms): {keystrokes}")
    print("  key figures are Pilot round trips (key in, screen updated) minus Pilot's own cost per key")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
