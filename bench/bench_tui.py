"""How fast the terminal UI is on a large catalogue, measured headless, five runs, with a baseline.

Every figure is "input in, screen updated": the time from opening the archive (or from a key
reaching the app) to the first screen update that shows the result, read by hooking the app's
own display call, so it counts the UI thread's work and any wait for a worker thread, not Pilot's
idle polling. Each run is a fresh process (nothing warm but the disk cache); the baseline, a
first screen of a 1,000-record catalogue, runs in the same round, so load on a shared machine
shows in both.

Two more figures say what the first screen leaves out: "launch to first screen" counts from the
moment the parent starts the run's process (the interpreter and every import included, as after
typing ``archive tui``), and "detail pane filled" until the detail tabs, built once the first rows
show, hold the record under the cursor.

Goals (issue 13), judged on the slowest of the runs: first screen within 1 s at 100,000 records;
every keystroke of search-as-you-type handled within 50 ms, its narrowing done off the UI thread
with the first page of hits shown as soon as they are found; scrolling to the end within 200 ms.

Typing is measured twice: a fast typist (each key sent as soon as the last one shows, so the
previous search is still running and is cancelled) and a patient one (each key waits for its
search to finish, which also gives the time to the first page and to the last hit).

    .venv/bin/python bench/bench_tui.py                      # 100,000 records, 5 runs
    .venv/bin/python bench/bench_tui.py --records 10000 --runs 3   # a quicker look
    .venv/bin/python bench/bench_tui.py --root DIR --keep    # reuse / keep the catalogues
    .venv/bin/python bench/bench_tui.py --compare OLD        # and the code in OLD, same rounds

``--compare OLD`` also runs the ``archive`` and ``tui`` packages found in OLD (e.g. ``mkdir OLD &&
git archive COMMIT archive tui schemas | tar -x -C OLD``) in every round, on both catalogues, so
a change is judged against the code before it under the same load.

The catalogues are built straight through the store's transactions (no source files: the table,
search and scrolling only read the summary index), about a minute at 100,000 records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from archive.layout import init_archive, open_archive

CHUNK = 5000
BASELINE_RECORDS = 1000
PUBLICATIONS = ("The Daily Beast", "Los Angeles Times", "The New York Times", "Hürriyet", "Le Monde")
SUBJECTS = ("Assassination", "Terrorism", "Foreign relations", "Elections", "Harbours", "Strikes")
GOALS = {"first screen": 1.0, "keystroke, fast typist (worst)": 0.050,
         "keystroke, patient typist (worst)": 0.050, "scroll to end": 0.200}
RUN_TIMEOUT_S = 180.0
"""A measuring run taking longer has hung on an update that never came; it names the wait."""
STAGE = ["starting"]
"""What a measuring run waits for now, named in its error if it hangs."""
KEY_NAMES = {" ": "space"}
"""Keys whose name is not the character they type."""


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


# ----- one run, in its own process ---------------------------------------------------------------
class Watch:
    """Hooks the app's display call: each screen update checks the conditions waited for.

    A wait's result is the update's wall time and the UI thread's CPU time then, so a figure can
    be split into work the UI thread did and time it waited (for the interpreter, or for a core on
    a loaded machine)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.waits: list[tuple[Any, asyncio.Future]] = []
        self.cpu_at_update = 0.0
        display = app._display

        def hooked(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            now, ui_cpu = time.perf_counter(), time.thread_time()
            self.cpu_at_update = time.process_time()
            for wait in list(self.waits):
                condition, future = wait
                if not future.done() and condition():
                    future.set_result((now, ui_cpu))
                    self.waits.remove(wait)

        app._display = hooked

    def update_where(self, condition: Any) -> asyncio.Future:
        """A future holding (wall time, UI thread CPU time) of the first screen update at which
        ``condition()`` holds."""
        future = asyncio.get_running_loop().create_future()
        self.waits.append((condition, future))
        return future


def send_key(app: Any, key: str) -> None:
    """Post a key as the terminal driver does, without Pilot's waits for the process to idle."""
    from textual import events

    char = key if len(key) == 1 else None
    event = events.Key(KEY_NAMES.get(key, key), char)
    event.set_sender(app)
    app._driver.send_message(event)


async def type_query(app: Any, watch: Watch, query: str, *, patient: bool) -> list[dict[str, float]]:
    """Type ``query`` into the search box; per key: handled, first page shown, all hits shown."""
    screen = app.main_screen
    search = screen.query_one("#search")
    typed: list[dict[str, float]] = []
    for n in range(1, len(query) + 1):
        prefix, before = query[:n], screen.generation
        # handled: the box shows the key and its search has started (a new generation of rows)
        handled = watch.update_where(lambda p=prefix, b=before: search.value == p and screen.generation > b)
        # waited for from before the key is sent: a search may end in the very update that shows
        # the key or its first page, and nothing else may repaint after it
        first = watch.update_where(lambda b=before: screen.generation > b and screen.shown_pages)
        done = watch.update_where(lambda b=before: screen.generation > b and not screen.finding)
        sent, ui_cpu = time.perf_counter(), time.thread_time()
        send_key(app, query[n - 1])
        STAGE[0] = f"key {n} ({query[n - 1]!r}) shown, {'patient' if patient else 'fast'} typist"
        at, ui_cpu_at = await handled
        figures = {"key": at - sent, "key ui cpu": ui_cpu_at - ui_cpu}
        if patient:
            STAGE[0] = f"key {n}: first page and all hits"
            figures["first page"] = (await first)[0] - sent
            figures["all hits"] = (await done)[0] - sent
            figures["hits"] = len(screen.table.rows)
        typed.append(figures)
    return typed


async def clear_search(app: Any, watch: Watch) -> None:
    screen = app.main_screen
    listed = watch.update_where(lambda: not screen.query_text and not screen.finding)
    send_key(app, "escape")  # clears the search and returns to the table
    STAGE[0] = "the search cleared and every row listed"
    await listed


async def measure(root: Path, query: str, width: int, height: int, spawned: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    from tui.app import ArchiveApp
    from tui.widgets.record_table import RecordTable

    figures: dict[str, Any] = {"imports": time.perf_counter() - t0}
    started, cpu_started = time.perf_counter(), time.process_time()
    app = ArchiveApp(open_archive(root))
    watch = Watch(app)
    async with app.run_test(size=(width, height)) as pilot:
        screen = app.main_screen
        table = screen.query_one(RecordTable)
        painted = table.render_line

        def render_line(y: int) -> Any:
            if y >= 1 and table.rows:
                table.painted_rows = True
            return painted(y)

        table.painted_rows = False
        table.render_line = render_line  # the table has drawn rows, not only its heading
        first = watch.update_where(lambda: table.painted_rows)
        listed = watch.update_where(lambda: table.rows and not screen.finding)
        filled = watch.update_where(lambda: screen.detail.record is not None)
        STAGE[0] = "the first screen"
        at = (await first)[0]
        figures["first screen"] = at - started
        figures["first screen cpu"] = watch.cpu_at_update - cpu_started
        # from the parent's spawn (interpreter start and imports included): two processes' wall clocks
        figures["launch to first screen"] = time.time() - (time.perf_counter() - at) - spawned
        STAGE[0] = "the detail pane filled"
        figures["detail pane filled"] = (await filled)[0] - started
        STAGE[0] = "every row listed"
        figures["all rows listed"] = (await listed)[0] - started
        figures["rows"] = len(table.rows)

        await pilot.press("slash")
        figures["fast typist"] = await type_query(app, watch, query, patient=False)
        await clear_search(app, watch)
        await pilot.press("slash")
        figures["patient typist"] = await type_query(app, watch, query, patient=True)
        await clear_search(app, watch)

        last = len(table.rows) - 1
        at_end = watch.update_where(lambda: table.cursor_row == last and round(table.scroll_y) > 0)
        sent = time.perf_counter()
        send_key(app, "end")
        STAGE[0] = "scroll to end"
        figures["scroll to end"] = (await at_end)[0] - sent
        at_start = watch.update_where(lambda: table.cursor_row == 0 and round(table.scroll_y) == 0)
        sent = time.perf_counter()
        send_key(app, "home")
        STAGE[0] = "scroll to start"
        figures["scroll to start"] = (await at_start)[0] - sent
    return figures


def one_run(args: argparse.Namespace) -> int:
    width, height = (int(n) for n in args.size.lower().split("x"))
    try:
        run = measure(args.measure, args.query, width, height, args.spawned)
        figures = asyncio.run(asyncio.wait_for(run, RUN_TIMEOUT_S))
    except TimeoutError:
        print(f"hung: no screen update showed {STAGE[0]} within {RUN_TIMEOUT_S:.0f} s", file=sys.stderr)
        return 3
    print(json.dumps(figures))
    return 0


# ----- five runs and the report ------------------------------------------------------------------
def run_child(root: Path, args: argparse.Namespace, code: Path | None = None) -> dict[str, Any] | None:
    """One measuring run's figures (of the packages in ``code``, else these); None (and its
    reason on stderr) when it hung."""
    command = [sys.executable, __file__, "--measure", str(root), "--query", args.query, "--size", args.size,
               "--spawned", repr(time.time())]
    env = dict(os.environ)
    if code is not None:  # ahead of the installed packages (the script's own folder comes first)
        env["PYTHONPATH"] = os.pathsep.join([str(code), *filter(None, [env.get("PYTHONPATH")])])
    spawned = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode == 3:
        why = done.stderr.strip().splitlines()[-1]
        which = f" (code in {code})" if code is not None else ""
        print(f"  {root.name}{which}: {why}; the round is run again", file=sys.stderr)
        return None
    if done.returncode != 0:
        raise SystemExit(f"a measuring run failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process"] = time.perf_counter() - spawned
    return figures


def keys(run: dict[str, Any], typist: str, what: str = "key") -> list[float]:
    return [k[what] for k in run[typist]]


def spread(values: list[float]) -> str:
    """Median and range in ms: the spread of the runs, not one lucky figure."""
    ms = sorted(v * 1000 for v in values)
    return f"{statistics.median(ms):6.0f} ms ({ms[0]:4.0f}–{ms[-1]:4.0f})"


def report(runs: list[dict[str, Any]], base: list[dict[str, Any]], args: argparse.Namespace,
           title: str = "") -> bool:
    print(f"{title}records: {runs[0]['rows']}  terminal: {args.size}  query: {args.query!r} "
          f"({runs[0]['patient typist'][-1]['hits']} hits)  runs: {len(runs)}")
    print(f"  figure                              {runs[0]['rows']:,} records, median (range)"
          f"   baseline {base[0]['rows']:,} records   goal, on the slowest run")

    def worst(typist: str, what: str = "key") -> Any:
        return lambda r: max(keys(r, typist, what))

    def median(typist: str, what: str = "key") -> Any:
        return lambda r: statistics.median(keys(r, typist, what))

    figures: list[tuple[str, Any]] = [
        ("first screen", lambda r: r["first screen"]),
        ("  its CPU time (all threads)", lambda r: r["first screen cpu"]),
        ("launch to first screen", lambda r: r["launch to first screen"]),
        ("detail pane filled", lambda r: r["detail pane filled"]),
        ("all rows listed (worker)", lambda r: r["all rows listed"]),
        ("imports before the clock starts", lambda r: r["imports"]),
        ("keystroke, fast typist (worst)", worst("fast typist")),
        ("keystroke, fast typist (median)", median("fast typist")),
        ("  UI thread CPU per key (worst)", worst("fast typist", "key ui cpu")),
        ("  UI thread CPU per key (median)", median("fast typist", "key ui cpu")),
        ("keystroke, patient typist (worst)", worst("patient typist")),
        ("keystroke, patient typist (median)", median("patient typist")),
        ("  UI thread CPU per key (worst)", worst("patient typist", "key ui cpu")),
        ("  UI thread CPU per key (median)", median("patient typist", "key ui cpu")),
        ("first page of hits (worst key)", worst("patient typist", "first page")),
        ("all hits listed (worst key)", worst("patient typist", "all hits")),
        ("scroll to end", lambda r: r["scroll to end"]),
        ("scroll to start", lambda r: r["scroll to start"]),
    ]
    rows = [(name, [get(r) for r in runs], [get(b) for b in base]) for name, get in figures]
    failed = False
    for name, values, baseline in rows:
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            slowest = max(values)
            outcome = "ok" if slowest <= goal else "MISSED"
            verdict = f"  ≤ {goal * 1000:.0f} ms: {outcome} ({slowest * 1000:.0f})"
            failed |= slowest > goal
        print(f"  {name:<34} {spread(values)}   {spread(baseline)}{verdict}")
    named = dict(figures)
    for name in ("first screen", "keystroke, patient typist (worst)", "keystroke, fast typist (worst)"):
        get = named[name]
        ratios = [get(r) / get(b) for r, b in zip(runs, base, strict=True)]
        print(f"  {name} ÷ same-round baseline: {statistics.median(ratios):.2f}× "
              f"({min(ratios):.2f}–{max(ratios):.2f})")
    slowest = max(runs, key=lambda r: max(keys(r, "patient typist")))
    print("  slowest run, each key (ms), fast typist:   "
          + ", ".join(f"{t * 1000:.0f}" for t in keys(slowest, "fast typist")))
    print("                         patient typist:     "
          + ", ".join(f"{t * 1000:.0f}" for t in keys(slowest, "patient typist")))
    print("                         first page of hits: "
          + ", ".join(f"{t * 1000:.0f}" for t in keys(slowest, "patient typist", "first page")))
    print("                         all hits:           "
          + ", ".join(f"{t * 1000:.0f}" for t in keys(slowest, "patient typist", "all hits")))
    print("  each figure: input in (archive opened, key posted) to the first screen update showing it")
    return failed


def measure_round(small: Path, large: Path, codes: list[Path | None],
                  args: argparse.Namespace) -> list[dict[str, Any]] | None:
    """Baseline and large catalogue for each code in turn, in one round (the same load); None
    when a run hung."""
    figures = []
    for code in codes:
        for root in (small, large):
            run = run_child(root, args, code)
            if run is None:
                return None
            figures.append(run)
    return figures


def compare(rounds: list[list[dict[str, Any]]]) -> None:
    """This code's figures at 100,000 records as a ratio of the compared code's, round by round."""
    print("this code ÷ the compared code, 100,000 records, same round: median (range)")
    def worst(typist: str, what: str = "key") -> Any:
        return lambda r: max(keys(r, typist, what))

    for name, get in (("first screen", lambda r: r["first screen"]),
                      ("keystroke, fast typist (worst)", worst("fast typist")),
                      ("keystroke, patient typist (worst)", worst("patient typist")),
                      ("first page of hits (worst key)", worst("patient typist", "first page")),
                      ("all hits listed (worst key)", worst("patient typist", "all hits"))):
        ratios = [get(r[3]) / get(r[1]) for r in rounds]
        print(f"  {name:<34} {statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="catalogue size (default 100,000)")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes to measure (default 5)")
    parser.add_argument("--root", type=Path, help="a folder for the two catalogues; built there when missing")
    parser.add_argument("--keep", action="store_true", help="keep the catalogues built in a temporary folder")
    parser.add_argument("--query", default="city 42 strikes", help="typed one key at a time")
    parser.add_argument("--size", default="120x40", help="terminal size, WxH")
    parser.add_argument("--compare", type=Path, metavar="OLD",
                        help="also measure the archive and tui packages in OLD, in the same rounds")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one run, in a child process
    parser.add_argument("--spawned", type=float, help=argparse.SUPPRESS)  # when the parent started it
    args = parser.parse_args()
    if args.measure is not None:
        return one_run(args)

    temporary = args.root is None
    folder = args.root or Path(tempfile.mkdtemp(prefix="bench-tui-"))
    large, small = folder / f"arc-{args.records}", folder / f"arc-{BASELINE_RECORDS}"
    try:
        for root, count in ((large, args.records), (small, BASELINE_RECORDS)):
            if not (root / "archive.toml").exists():
                print(f"building {count} records in {root}", file=sys.stderr)
                build(root, count)
        codes = [None] if args.compare is None else [args.compare, None]
        rounds: list[list[dict[str, Any]]] = []
        load_before = os.getloadavg()
        hung = 0
        while len(rounds) < args.runs and hung < args.runs:
            print(f"  run {len(rounds) + 1}/{args.runs}", file=sys.stderr, flush=True)
            figures = measure_round(small, large, codes, args)
            if figures is None:
                hung += 1
                continue
            rounds.append(figures)
        if not rounds:
            raise SystemExit("every measuring run hung")
    finally:
        if temporary and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    failed = False
    for n, code in enumerate(codes):
        title = f"code in {code}: " if code is not None else ("this code: " if args.compare else "")
        runs, base = [r[2 * n + 1] for r in rounds], [r[2 * n] for r in rounds]
        failed = report(runs, base, args, title)
        print()
    if args.compare is not None:
        compare(rounds)
    before, after = (" ".join(f"{n:.1f}" for n in load) for load in (load_before, os.getloadavg()))
    print(f"  load average (1, 5, 15 min) before the runs: {before}; after: {after}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
