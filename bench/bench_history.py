"""Event history at scale: a catalogue whose records carry 1,000 events each, beside the same
catalogue with no history, and today's design (events inside the shards) beside both.

    .venv/bin/python bench/bench_history.py                          # 10,000 records x 1,000 events
    .venv/bin/python bench/bench_history.py --records 2000 --events 100   # quicker
    nice -n 5 timeout 600 .venv/bin/python bench/bench_history.py --keep --build-only   # build, resumable
    nice -n 5 timeout 600 .venv/bin/python bench/bench_history.py --keep                # measure

``--keep`` builds into /tmp/article-archive-bench/history-RECORDSxEVENTS/ once and reuses it: a
``template`` catalogue (records, no history), copied afresh for every row but one, and ``history``
(the template plus the events), which each run changes a little (its 40 edits and 40 adds). The
build is resumable: a shard whose heads already count every event is skipped, so a build cut off
by a time limit goes on where it stopped (an uncommitted tail is cut by the next append).

Goals (issue 13): `add` and `edit` <= 1.2x the same on records with no history; a full verify
writes bytes in proportion to the records it checks, not to their history; `history ID`
<= 100 ms; open <= 1.5 s.

The 10 million events are written straight into the shards' logs through the store's own
writer (archive.store.history.HistoryLog.append, in chunks), then each shard is written once with
the heads that commit them: the same files 10 million commits would leave, in minutes. "Today's
design" runs the code of the commit before the history log (``git archive`` into a temporary
folder, put first on PYTHONPATH) on shards holding their events in an ``events`` table.

What a full verify writes is measured on its catalogue step, ``record_checks`` (the function
``archive verify`` records each batch of results with), called on every record in verify's
batches with a passing full check: the bags' hashing writes nothing. Bytes are the process's
``wchar`` (every byte passed to write()) from /proc/self/io.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
ARCHIVE = str(Path(sys.executable).with_name("archive"))
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from catalog_fixture import make_record  # noqa: E402

from archive.events import make_event  # noqa: E402
from archive.layout import init_archive, open_archive  # noqa: E402
from archive.store import compaction  # noqa: E402
from archive.store.atomic import atomic_write  # noqa: E402
from archive.store.history import HISTORY, SEGMENTS, HistoryLog, committed_end, log_name, segment_name  # noqa: E402
from archive.store.segments import SegmentWriter, event_lines  # noqa: E402
from archive.store.shard import SHARD_SIZE  # noqa: E402

PROBE = textwrap.dedent(
    """
    import json, statistics, sys, time
    from pathlib import Path
    root, sample, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def wchar():
        fields = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
        return int(fields["wchar"])

    from archive import catalog
    from archive.layout import open_archive
    t = time.perf_counter()
    arc = open_archive(root)
    out = {"open_s": time.perf_counter() - t}
    ids = arc.store.ids()
    if mode == "open":
        pass
    elif mode == "verify":
        from archive.fixity.report import BagReport
        from archive.fixity.verify import RECORD_BATCH, record_checks
        passes = []
        for _ in range(int(sys.argv[4])):
            before, t = wchar(), time.perf_counter()
            for start in range(0, len(ids), RECORD_BATCH):
                record_checks(arc, [BagReport(path=f"bags/{r}/v1", record_id=r, version=1, fast=False)
                                    for r in ids[start:start + RECORD_BATCH]])
            passes.append((wchar() - before, time.perf_counter() - t))
        out.update(verify_bytes=passes[0][0], verify_s=passes[0][1],
                   verify_passes=passes, records=len(ids))
    else:
        picks = ids[:: max(1, len(ids) // 40)][:40]
        run = time.time_ns()  # a kept catalogue (--keep) was edited the same way by the last run
        history, sizes = [], []
        for rid in picks:
            t = time.perf_counter()
            sizes.append(len(catalog.history(arc, rid)))
            history.append(time.perf_counter() - t)
        edits, adds = [], []
        for i, rid in enumerate(picks):
            t = time.perf_counter()
            catalog.edit_record(arc, rid, assignments=[f"section=World {i} {run}"])  # new each run
            edits.append(time.perf_counter() - t)
            path = sample.with_name(f"sample-{mode}-{i}.txt")
            path.write_text(sample.read_text() + f" variant {mode} {i} {run}")
            t = time.perf_counter()
            catalog.add_article(arc, catalog.NewArticle(path, {"title": f"Bench {i}"}))
            adds.append(time.perf_counter() - t)
        out.update(history_ms=statistics.median(history) * 1000, history_max_ms=max(history) * 1000,
                   events_per_record=statistics.median(sizes), edit_ms=statistics.median(edits) * 1000,
                   add_ms=statistics.median(adds) * 1000)
    print(json.dumps(out))
    """
)


def build_records(root: Path, count: int) -> None:
    """``count`` ~3 KB records, each with one bag, written through the real store 256 at a time."""
    arc = init_archive(root)
    rng = random.Random(7)
    for start in range(0, count, SHARD_SIZE):
        with arc.store.transaction() as tx:
            for sequence in tx.reserve_sequences(min(SHARD_SIZE, count - start)):
                record = make_record(arc, sequence, rng)
                record["status"] = "bagged"
                record["bags"] = [{"version": 1, "path": f"bags/{record['id']}/v1",
                                   "bagged_at": "2024-01-01T00:00:00Z", "payload_oxum": "2341.5"}]
                tx.insert(record)


def fix_events(record_ids: list[str], rounds: range, template: dict, serial: list[int]):
    """One fix event per record per round (a daily audit), each with its own id and time."""
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for r in rounds:
        at = (start + dt.timedelta(days=r)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for record_id in record_ids:
            serial[0] += 1
            yield int(record_id.rsplit("-", 1)[1]), {**template, "id": str(uuid.UUID(int=serial[0])),
                                                     "record_id": record_id, "at": at}


def template_event() -> dict:
    counts = {"ok": 5, "missing": 0, "changed": 0, "extra": 0}
    return make_event("fix", "ART-2026-000001", detail="full fixity check of bags/ART-2026-000001/v1: "
                      "all files intact", bag_version=1,
                      outcome_detail={**counts, "fast": False, "bag": "bags/ART-2026-000001/v1",
                                      "hashed_bytes": 48211, "failures": []})


def shard_files(root: Path) -> list[Path]:
    return sorted((root / "catalog" / "records").glob("*.json"))


def add_history(root: Path, events: int, chunk_rounds: int = 25) -> None:
    """``events`` per record, appended to each shard's log in bulk, committed by one shard write.
    A shard whose records all have their events already is left as it is (a resumed build)."""
    template = template_event()
    for number, shard in enumerate(shard_files(root)):
        serial = [number * SHARD_SIZE * events]  # event ids unique across shards, resumed or not
        data = orjson.loads(shard.read_bytes())
        ids = [doc["id"] for doc in data["records"].values()]
        log = HistoryLog(root / "catalog" / "history" / f"{shard.stem}.log")
        heads = dict(data.get(HISTORY) or {})
        if heads and all(h["count"] >= events for h in heads.values()) and len(heads) == len(ids):
            continue
        heads = {}  # a shard half done by a cut-off build: its uncommitted tail is cut by append
        for first in range(0, events, chunk_rounds):
            rounds = range(first, min(events, first + chunk_rounds))
            heads = log.append(heads, list(fix_events(ids, rounds, template, serial)))
        data[HISTORY] = heads
        atomic_write(shard, orjson.dumps(data))


def grown_segments(round_bytes: list[int], line_overhead: list[int]) -> tuple[list[tuple[int, int]], int]:
    """The segments a shard's history is left in when it grew round by round (one event per
    record a round, a daily audit) with a compaction at the first commit that finds its live log
    past FLUSH_BYTES: [(first round, end round)] oldest first, and the first round still in the
    live log. ``round_bytes`` is each round's bytes in a segment, ``line_overhead`` the log's extra
    bytes a round (checksum and pointers). The policy is the store's own (compaction.merge_count)."""
    segments: list[tuple[int, int, int]] = []  # first round, end round, bytes
    log_start, log_bytes = 0, 0
    for r, size in enumerate(round_bytes):
        log_bytes += size + line_overhead[r]
        if log_bytes < compaction.FLUSH_BYTES:
            continue
        taken = compaction.merge_count([s[2] for s in segments], log_bytes)
        merged = segments[len(segments) - taken:]
        first = merged[0][0] if merged else log_start
        del segments[len(segments) - taken:]
        segments.append((first, r + 1, sum(m[2] for m in merged) + sum(round_bytes[log_start:r + 1])))
        log_start, log_bytes = r + 1, 0
    return [(a, b) for a, b, _ in segments], log_start


def segment_shard(src: Path, dst: Path, shard: Path) -> None:
    """One shard of ``src`` (history in the original single log) into ``dst`` as the growth
    ``grown_segments`` describes: its segments written by the store's SegmentWriter, the rounds
    since the last compaction appended to a live log by HistoryLog.append, and the shard written
    once with the segments and heads that commit them."""
    data = orjson.loads(shard.read_bytes())
    heads = data.get(HISTORY) or {}
    by_record: dict[int, list[bytes]] = {}
    log = HistoryLog(src / "catalog" / "history" / f"{shard.stem}.log")
    for sequence, raw in log.scan_raw(committed_end(heads)):
        by_record.setdefault(sequence, []).append(raw)
    rounds = max((len(v) for v in by_record.values()), default=0)
    round_bytes, overhead = [0] * rounds, [0] * rounds
    for events in by_record.values():
        for r, raw in enumerate(events):
            round_bytes[r] += len(raw) + 1
            overhead[r] += 40
    spans, live_from = grown_segments(round_bytes, overhead)
    number = int(shard.stem)
    segments: dict[str, dict] = {}
    for generation, (first, end) in enumerate(spans, 1):
        writer = SegmentWriter(dst / "catalog" / "history" / segment_name(number, generation))
        for sequence in sorted(by_record):
            part = by_record[sequence][first:end]
            if part:
                writer.add(sequence, event_lines(part), len(part))
        size, count = writer.finish()
        segments[str(generation)] = {"bytes": size, "events": count}
    data.pop(HISTORY, None)
    if segments:
        data[SEGMENTS] = segments
    tail = [(sequence, orjson.loads(raw)) for r in range(live_from, rounds)
            for sequence in sorted(by_record) if r < len(by_record[sequence])
            for raw in (by_record[sequence][r],)]
    live = HistoryLog(dst / "catalog" / "history" / log_name(number, data))
    data[HISTORY] = live.append({}, tail) if tail else {}
    atomic_write(dst / "catalog" / "records" / shard.name, orjson.dumps(data))


def _shards_and_logs(folder: str, names: list[str]) -> list[str]:
    """What ``to_segments`` writes itself: the shards (last, so a written one is done) and logs."""
    kind = Path(folder).name
    return [n for n in names if (kind, Path(n).suffix) in (("records", ".json"), ("history", ".log"))]


def to_segments(src: Path, dst: Path) -> None:
    """A copy of ``src`` whose history is in segments, shard by shard (resumable: a shard whose
    file is already in ``dst`` is done, since it is written last)."""
    if not dst.exists():
        shutil.copytree(src, dst, ignore=_shards_and_logs)
    for shard in shard_files(src):
        if not (dst / "catalog" / "records" / shard.name).exists():
            segment_shard(src, dst, shard)


def to_old_design(root: Path, events: int) -> None:
    """Today's shards: the same records, ``events`` of them per record inside an ``events`` table."""
    template, serial = template_event(), [0]
    for shard in shard_files(root):
        data = orjson.loads(shard.read_bytes())
        data.pop(HISTORY, None)
        ids = [doc["id"] for doc in data["records"].values()]
        made = fix_events(ids, range(events), template, serial)
        data["events"] = {str(n): event for n, (_, event) in enumerate(made, 1)}
        atomic_write(shard, orjson.dumps(data))
    shutil.rmtree(root / "catalog" / "history", ignore_errors=True)
    settings = root / "archive.toml"  # settings added since (min_copies) that the old code refuses
    settings.write_text("".join(line for line in settings.read_text().splitlines(keepends=True)
                                if not line.startswith("min_copies")))


APPENDED = (".log", ".json")
"""Files of a kept catalogue written in place (live logs appended and cut, the counter), copied
into a working copy with the lock (``.lock``, no suffix) and logs/; the rest are hard links."""


def working_copy(source: Path, dest: Path) -> Path:
    """``source`` as hard links (shards, index files and sources are only ever replaced by
    rename, segments never change after their rename), with copies of the files written in place
    (``APPENDED`` under catalog/ but not the replaced shards and index files, and logs/).

    WHY: the kept history was measured in place, so each run's adds, edits and verifies stayed
    in it, and the next run met another history: on the history as built the first verify
    flushes every shard's live log into a segment (178.6 MB written, twice, from a fresh build);
    in place, the run after found them flushed (100.5 MB). A copy of the 6 GB costs minutes;
    links and ~40 MB of live logs, seconds."""
    subprocess.run(["cp", "-al", str(source), str(dest)], check=True)
    for path in [*(dest / "catalog").rglob("*"), *(dest / "logs").rglob("*")]:
        replaced = path.parent.name in ("records", "index")
        written = path.suffix in APPENDED or path.name == ".lock" or path.parent.name == "logs"
        if path.is_file() and written and not replaced:
            copy = path.with_name(path.name + ".copying")
            shutil.copy2(path, copy)
            os.replace(copy, path)  # the link to the kept file is dropped, the copy is its own
    return dest


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def probe(root: Path, sample: Path, mode: str, code: Path, verifies: int = 1) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    os.sync()  # no writeback left from building or copying to slow this probe's fsyncs
    # cwd: ``-c`` puts the current folder first on sys.path, which would shadow PYTHONPATH's code.
    done = subprocess.run([sys.executable, "-c", PROBE, str(root), str(sample), mode, str(verifies)], env=env,
                          capture_output=True, text=True, cwd=sample.parent)
    if done.returncode:
        raise SystemExit(f"probe {mode} on {root} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def _run_timed(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU (user + sys of the child, from this process's children's usage) seconds of
    one command; its output is read whole through a pipe, as a terminal or ``| less`` takes it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1) or b"archive: error" in done.stderr:  # 1: no events yet
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_history(root: Path, code: Path, calls: int = 20) -> dict:
    """`archive history ID` as an archivist types it, on ``calls`` different records, each beside
    an `archive --help` run just before it (the CLI's start-up floor, measured in the same moment
    of a shared machine's load): wall and CPU, median and worst, of the command and of its own
    work (the command minus the --help beside it)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    ids = [doc["id"] for shard in shard_files(root)
           for doc in orjson.loads(shard.read_bytes())["records"].values()]
    picks = ids[:: max(1, len(ids) // calls)][:calls]
    runs: dict[str, list[tuple[float, float]]] = {"help": [], "history": []}
    for record_id in picks:
        runs["help"].append(_run_timed([ARCHIVE, "--help"], env))
        runs["history"].append(_run_timed([ARCHIVE, "--root", str(root), "history", record_id], env))
    own = [(h[0] - g[0], h[1] - g[1]) for h, g in zip(runs["history"], runs["help"], strict=True)]
    out = {}
    for name, values in (*runs.items(), ("own", own)):
        for axis, column in (("wall", 0), ("cpu", 1)):
            series = [v[column] * 1000 for v in values]
            out[f"cli_{name}_{axis}_ms"] = statistics.median(series)
            out[f"cli_{name}_{axis}_max_ms"] = max(series)
    out["cli_calls"] = len(picks)
    return out


def baseline_code(work: Path) -> Path:
    """The package as it was before the history log, exported from git."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--", "archive/store/history.py"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    if not added:
        raise SystemExit("cannot find the commit that added archive/store/history.py")
    target = work / "baseline-code"
    target.mkdir()
    tar = subprocess.run(["git", "archive", f"{added[-1]}^", "archive", "schemas"], cwd=REPO,
                         capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=tar, check=True)
    return target


def compiled(code: Path) -> None:
    """Byte-compile the package the probes and commands run, as an install does: with
    PYTHONDONTWRITEBYTECODE set (this machine sets it) every command would otherwise compile each
    module anew, and a tree never imported before would look tens of milliseconds slower."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "archive")], check=True,
                   capture_output=True)


def more_rounds(rows: list[dict], roots: list[Path], sample: Path, code: Path, rounds: int) -> None:
    """``rounds - 1`` more rounds of the 40 adds and edits on each catalogue, the order turned
    each round, so the add/edit ratio is a median of same-moment pairs. WHY: add and edit are
    fsync and rename bound (cProfile: 0.6 of 0.9 s of 40 adds and edits at 10,000 records), and
    on a disk shared with other work one pass of each row gave 1.30x for add, and four alternating
    passes on the same two catalogues minutes later 0.91-1.24x; a median of paired rounds moves less."""
    for row in rows:
        row["add_rounds"], row["edit_rounds"] = [row["add_ms"]], [row["edit_ms"]]
    for n in range(1, rounds):
        pairs = list(zip(rows, roots, strict=True))
        for row, root in (pairs[::-1] if n % 2 else pairs):
            got = probe(root, sample, "ops", code)
            row["add_rounds"].append(got["add_ms"])
            row["edit_rounds"].append(got["edit_ms"])
    for row in rows:  # the table's ms; the ratios are the paired rounds' (see report)
        row["add_ms"], row["edit_ms"] = (statistics.median(row["add_rounds"]),
                                         statistics.median(row["edit_rounds"]))


def measure(label: str, root: Path, sample: Path, code: Path, verifies: int = 3) -> dict:
    compiled(code)
    probe(root, sample, "open", code)  # rebuilds the index files the bulk build left stale
    result = {"label": label, "records_mb": folder_bytes(root / "catalog" / "records") / 1e6,
              "history_mb": folder_bytes(root / "catalog" / "history") / 1e6}
    result.update(probe(root, sample, "ops", code))
    result["open_s"] = probe(root, sample, "open", code)["open_s"]  # a fresh process, warm cache
    verify = probe(root, sample, "verify", code, verifies)
    result.update(verify_mb=verify["verify_bytes"] / 1e6, verify_s=verify["verify_s"],
                  verify_pass_mb=[round(b / 1e6, 2) for b, _ in verify["verify_passes"]],
                  verify_pass_s=[round(t, 2) for _, t in verify["verify_passes"]],
                  verify_records=verify["records"])
    result.update(cli_history(root, code))
    print(f"  measured {label}: {json.dumps(result)}", flush=True)
    return result


KEEP = Path("/tmp/article-archive-bench")
"""Where ``--keep`` builds, in a folder named for the bench and its size."""


def _once(marker: Path, step, done: str) -> None:
    """Run ``step`` unless ``marker`` says an earlier run finished it (a 10 M-event build takes
    minutes, and a killed one resumes), then mark it and say how long it took."""
    if marker.exists():
        return
    started = time.perf_counter()
    step()
    marker.write_text("")
    print(f"{done} in {time.perf_counter() - started:.1f} s", flush=True)


def build(work: Path, records: int, events: int) -> tuple[Path, Path]:
    """The template catalogue (records, no history) and the history catalogue, each built only if
    not finished before: a ``built`` file marks the template done; the history's shards say
    themselves whether their events are in (``add_history`` skips those)."""
    template, history, segmented = work / "template", work / "history", work / "segmented"
    if not (work / "template.built").exists():
        shutil.rmtree(template, ignore_errors=True)
    _once(work / "template.built", lambda: build_records(template, records), f"built {records} records")
    if not history.exists():
        shutil.copytree(template, work / "history.copying")
        (work / "history.copying").rename(history)
    _once(work / "history.built", lambda: add_history(history, events),
          f"wrote {records * events:,} events through HistoryLog.append")
    _once(work / "segmented.built", lambda: to_segments(history, segmented),
          "grouped the history into segments as compactions would have")
    # The bulk build leaves each summary index older than its shard: opened once here, they are
    # rebuilt in the kept folder, not in every working copy nor in the first measured command.
    _once(work / "segmented.indexed", lambda: open_archive(segmented), "rebuilt the summary indexes")
    return template, segmented


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000, help="events per record in the big history")
    parser.add_argument("--old-events", type=int, default=11, help="events per record for today's design")
    parser.add_argument("--no-baseline", action="store_true", help="skip today's design")
    parser.add_argument("--work", type=Path, help="where to build (default: a temporary folder, removed)")
    parser.add_argument("--keep", action="store_true",
                        help=f"build once into {KEEP}/history-RECORDSxEVENTS and reuse it")
    parser.add_argument("--build-only", action="store_true", help="with --keep: build (or resume), then stop")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of the 40 adds and edits on each catalogue, alternating (median)")
    parser.add_argument("--verifies", type=int, default=3,
                        help="full verifies in a row (the first also fills caches outside the catalogue)")
    args = parser.parse_args()
    if args.keep:
        work = KEEP / f"history-{args.records}x{args.events}"
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="bench-history-", dir=args.work))
    run = work / "run" if args.keep else work
    shutil.rmtree(run, ignore_errors=True) if args.keep else None
    run.mkdir(exist_ok=True)
    sample = run / "sample.txt"
    sample.write_text("A short article about the river festival and the harbour museum. " * 40)
    load = os.getloadavg()
    try:
        template, history = build(work, args.records, args.events)
        if args.build_only:
            return
        if args.keep:  # measured on a copy: every run starts from the history as built
            history = working_copy(history, run / "history")
        copies = {name: run / name for name in ("fresh", "old-fresh", "old-history", "new-on-old")}
        for name, path in copies.items():
            if name == "fresh" or not args.no_baseline:
                shutil.copytree(template, path)
        rows = [measure("segments, no history", copies["fresh"], sample, REPO, args.verifies),
                measure(f"segments, {args.events} events/record", history, sample, REPO, args.verifies)]
        if args.rounds > 1:
            more_rounds(rows, [copies["fresh"], history], sample, REPO, args.rounds)
        if not args.no_baseline:
            code = baseline_code(run)
            to_old_design(copies["old-fresh"], 0)
            to_old_design(copies["old-history"], args.old_events)
            to_old_design(copies["new-on-old"], args.old_events)
            rows += [measure("today, no history", copies["old-fresh"], sample, code),
                     measure(f"today, {args.old_events} events/record", copies["old-history"], sample, code),
                     measure(f"log, opening today's {args.old_events} events/record (migrates)",
                             copies["new-on-old"], sample, REPO)]
        report(rows, args)
        print(f"load average (1, 5, 15 min) at the start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
              "at the end {:.1f} {:.1f} {:.1f} on {} cores".format(*os.getloadavg(), os.cpu_count()))
    finally:
        shutil.rmtree(run if args.keep else work, ignore_errors=True)


def report(rows: list[dict], args: argparse.Namespace) -> None:
    print(f"\n{args.records:,} records; medians over 40 records; verify = record_checks on every record")
    head = (f"{'catalogue':<48} {'shards MB':>9} {'log MB':>8} {'open s':>7} {'add ms':>7} {'edit ms':>8} "
            f"{'history ms':>10} {'max':>6} {'verify MB':>10} {'verify s':>8}")
    print(head)
    for r in rows:
        print(f"{r['label']:<48} {r['records_mb']:>9.1f} {r['history_mb']:>8.1f} {r['open_s']:>7.2f} "
              f"{r['add_ms']:>7.1f} {r['edit_ms']:>8.1f} {r['history_ms']:>10.1f} "
              f"{r['history_max_ms']:>6.1f} "
              f"{r['verify_mb']:>10.1f} {r['verify_s']:>8.1f}")
    calls = rows[0]["cli_calls"]
    print(f"\nthe command, on {calls} different records, each beside an `archive --help` run just before it "
          "(ms, median / worst; own = history - that --help)")
    print(f"{'catalogue':<48} {'history wall':>13} {'--help wall':>13} {'own wall':>13} "
          f"{'history CPU':>13} {'--help CPU':>13} {'own CPU':>13}")
    for r in rows:
        cells = [f"{r[f'cli_{n}_{a}_ms']:.0f} / {r[f'cli_{n}_{a}_max_ms']:.0f}"
                 for a in ("wall", "cpu") for n in ("history", "help", "own")]
        print(f"{r['label']:<48} " + " ".join(f"{c:>13}" for c in cells))
    fresh, big = rows[0], rows[1]
    add_ratio, edit_ratio = big["add_ms"] / fresh["add_ms"], big["edit_ms"] / fresh["edit_ms"]
    if "add_rounds" in big:  # the median of same-moment pairs, not a ratio of two medians
        add_ratio, edit_ratio = (statistics.median(a / b for a, b in zip(big[k], fresh[k], strict=True))
                                 for k in ("add_rounds", "edit_rounds"))
    print(f"\nlog: add {add_ratio:.2f}x and edit {edit_ratio:.2f}x "
          f"the same with no history (goal <= 1.2x); a full verify wrote {big['verify_mb']:.1f} MB with "
          f"{args.events} events/record against {fresh['verify_mb']:.1f} MB with none; library history "
          f"{big['history_ms']:.1f} ms, worst {big['history_max_ms']:.1f} (goal <= 100); "
          f"open {big['open_s']:.2f} s (goal <= 1.5)")
    if "add_rounds" in big:
        def ratios(key: str) -> str:
            return ", ".join(f"{a / b:.2f}" for a, b in zip(big[key], fresh[key], strict=True))
        print(f"add and edit, {len(big['add_rounds'])} rounds (medians above), each round's ratio to no "
              f"history: add {ratios('add_rounds')}; edit {ratios('edit_rounds')}")
    for r in (fresh, big):
        later = r["verify_pass_mb"][1:] or r["verify_pass_mb"]
        print(f"{r['label']}: full verifies of {r['verify_records']:,} records in a row wrote "
              + ", ".join(f"{mb:.1f}" for mb in r["verify_pass_mb"]) + " MB ("
              + ", ".join(f"{t:.0f}" for t in r["verify_pass_s"]) + " s); after the first, "
              f"{statistics.mean(later) * 1e6 / r['verify_records'] / 1e3:.1f} KB a record on average, "
              f"{max(later) * 1e6 / r['verify_records'] / 1e3:.1f} KB at most")
    print(f"`archive history ID`: {big['cli_history_wall_ms']:.0f} ms "
          f"(worst {big['cli_history_wall_max_ms']:.0f}), "
          f"its own work over `archive --help` {big['cli_own_wall_ms']:.0f} ms (worst "
          f"{big['cli_own_wall_max_ms']:.0f}; goal <= 100), CPU {big['cli_own_cpu_ms']:.0f} ms "
          f"(worst {big['cli_own_cpu_max_ms']:.0f})")
    if len(rows) > 2:
        old_fresh, old = rows[2], rows[3]
        print(f"today: add {old['add_ms'] / old_fresh['add_ms']:.2f}x and edit "
              f"{old['edit_ms'] / old_fresh['edit_ms']:.2f}x with {args.old_events} events/record; "
              "a full verify "
              f"wrote {old['verify_mb']:.1f} MB against {old_fresh['verify_mb']:.1f} MB with none")


if __name__ == "__main__":
    main()
