"""Event history at scale: a catalogue whose records carry 1,000 events each, beside the same
catalogue with no history, and today's design (events inside the shards) beside both.

    .venv/bin/python bench/bench_history.py                          # 10,000 records x 1,000 events
    .venv/bin/python bench/bench_history.py --records 2000 --events 100   # quicker

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
from archive.layout import init_archive  # noqa: E402
from archive.store.atomic import atomic_write  # noqa: E402
from archive.store.history import HISTORY, HistoryLog  # noqa: E402
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
        before, t = wchar(), time.perf_counter()
        for start in range(0, len(ids), RECORD_BATCH):
            record_checks(arc, [BagReport(path=f"bags/{r}/v1", record_id=r, version=1, fast=False)
                                for r in ids[start:start + RECORD_BATCH]])
        out.update(verify_bytes=wchar() - before, verify_s=time.perf_counter() - t)
    else:
        picks = ids[:: max(1, len(ids) // 40)][:40]
        history, sizes = [], []
        for rid in picks:
            t = time.perf_counter()
            sizes.append(len(catalog.history(arc, rid)))
            history.append(time.perf_counter() - t)
        edits, adds = [], []
        for i, rid in enumerate(picks):
            t = time.perf_counter()
            catalog.edit_record(arc, rid, assignments=[f"section=World {i}"])
            edits.append(time.perf_counter() - t)
            path = sample.with_name(f"sample-{mode}-{i}.txt")
            path.write_text(sample.read_text() + f" variant {mode} {i}")
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
    """``events`` per record, appended to each shard's log in bulk, committed by one shard write."""
    template, serial = template_event(), [0]
    for shard in shard_files(root):
        data = orjson.loads(shard.read_bytes())
        ids = [doc["id"] for doc in data["records"].values()]
        log = HistoryLog(root / "catalog" / "history" / f"{shard.stem}.log")
        heads = dict(data.get(HISTORY) or {})
        for first in range(0, events, chunk_rounds):
            rounds = range(first, min(events, first + chunk_rounds))
            heads = log.append(heads, list(fix_events(ids, rounds, template, serial)))
        data[HISTORY] = heads
        atomic_write(shard, orjson.dumps(data))


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


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def probe(root: Path, sample: Path, mode: str, code: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    os.sync()  # no writeback left from building or copying to slow this probe's fsyncs
    # cwd: ``-c`` puts the current folder first on sys.path, which would shadow PYTHONPATH's code.
    done = subprocess.run([sys.executable, "-c", PROBE, str(root), str(sample), mode], env=env,
                          capture_output=True, text=True, cwd=sample.parent)
    if done.returncode:
        raise SystemExit(f"probe {mode} on {root} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def cli_history_s(root: Path, code: Path, runs: int = 5) -> tuple[float, float]:
    """Wall time of `archive history ID` and of `archive show ID --json` (start-up alone, nearly)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    record_id = orjson.loads(shard_files(root)[0].read_bytes())["records"]["1"]["id"]
    times: dict[str, list[float]] = {"history": [], "show": []}
    for _ in range(runs):
        for name, args in (("history", ["history", record_id]), ("show", ["show", record_id, "--json"])):
            t = time.perf_counter()
            done = subprocess.run([ARCHIVE, "--root", str(root), *args], env=env, capture_output=True)
            if done.returncode not in (0, 1) or b"archive: error" in done.stderr:  # 1: no events yet
                raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode()}")
            times[name].append(time.perf_counter() - t)
    return statistics.median(times["history"]), statistics.median(times["show"])


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


def measure(label: str, root: Path, sample: Path, code: Path) -> dict:
    probe(root, sample, "open", code)  # rebuilds the index files the bulk build left stale
    result = {"label": label, "records_mb": folder_bytes(root / "catalog" / "records") / 1e6,
              "history_mb": folder_bytes(root / "catalog" / "history") / 1e6}
    result.update(probe(root, sample, "ops", code))
    result["open_s"] = probe(root, sample, "open", code)["open_s"]  # a fresh process, warm cache
    verify = probe(root, sample, "verify", code)
    result.update(verify_mb=verify["verify_bytes"] / 1e6, verify_s=verify["verify_s"])
    result["cli_history_s"], result["cli_show_s"] = cli_history_s(root, code)
    print(f"  measured {label}: {json.dumps(result)}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000, help="events per record in the big history")
    parser.add_argument("--old-events", type=int, default=11, help="events per record for today's design")
    parser.add_argument("--no-baseline", action="store_true", help="skip today's design")
    parser.add_argument("--work", type=Path, help="where to build (default: a temporary folder, removed)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-history-", dir=args.work))
    sample = work / "sample.txt"
    sample.write_text("A short article about the river festival and the harbour museum. " * 40)
    try:
        t = time.perf_counter()
        fresh = work / "fresh"
        build_records(fresh, args.records)
        print(f"built {args.records} records in {time.perf_counter() - t:.1f} s", flush=True)
        copies = {name: work / name for name in ("history", "old-fresh", "old-history", "new-on-old")}
        for name, path in copies.items():
            if name == "history" or not args.no_baseline:
                shutil.copytree(fresh, path)
        t = time.perf_counter()
        add_history(copies["history"], args.events)
        total = args.records * args.events
        print(f"wrote {total:,} events through HistoryLog.append in {time.perf_counter() - t:.1f} s",
              flush=True)
        rows = [measure("log, no history", fresh, sample, REPO),
                measure(f"log, {args.events} events/record", copies["history"], sample, REPO)]
        if not args.no_baseline:
            code = baseline_code(work)
            to_old_design(copies["old-fresh"], 0)
            to_old_design(copies["old-history"], args.old_events)
            to_old_design(copies["new-on-old"], args.old_events)
            rows += [measure("today, no history", copies["old-fresh"], sample, code),
                     measure(f"today, {args.old_events} events/record", copies["old-history"], sample, code),
                     measure(f"log, opening today's {args.old_events} events/record (migrates)",
                             copies["new-on-old"], sample, REPO)]
        report(rows, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(rows: list[dict], args: argparse.Namespace) -> None:
    print(f"\n{args.records:,} records; medians over 40 records; verify = record_checks on every record")
    head = (f"{'catalogue':<48} {'shards MB':>9} {'log MB':>8} {'open s':>7} {'add ms':>7} {'edit ms':>8} "
            f"{'history ms':>10} {'max':>6} {'verify MB':>10} {'verify s':>8} {'CLI history s':>13}")
    print(head)
    for r in rows:
        print(f"{r['label']:<48} {r['records_mb']:>9.1f} {r['history_mb']:>8.1f} {r['open_s']:>7.2f} "
              f"{r['add_ms']:>7.1f} {r['edit_ms']:>8.1f} {r['history_ms']:>10.1f} "
              f"{r['history_max_ms']:>6.1f} "
              f"{r['verify_mb']:>10.1f} {r['verify_s']:>8.1f} {r['cli_history_s']:>13.2f}")
    fresh, big = rows[0], rows[1]
    print(f"\nlog: add {big['add_ms'] / fresh['add_ms']:.2f}x and edit "
          f"{big['edit_ms'] / fresh['edit_ms']:.2f}x "
          f"the same with no history (goal <= 1.2x); a full verify wrote {big['verify_mb']:.1f} MB with "
          f"{args.events} events/record against {fresh['verify_mb']:.1f} MB with none; history "
          f"{big['history_ms']:.1f} ms (goal <= 100); open {big['open_s']:.2f} s (goal <= 1.5)")
    if len(rows) > 2:
        old_fresh, old = rows[2], rows[3]
        print(f"today: add {old['add_ms'] / old_fresh['add_ms']:.2f}x and edit "
              f"{old['edit_ms'] / old_fresh['edit_ms']:.2f}x with {args.old_events} events/record; "
              "a full verify "
              f"wrote {old['verify_mb']:.1f} MB against {old_fresh['verify_mb']:.1f} MB with none")
    print(f"CLI wall time: `archive history ID` {big['cli_history_s']:.2f} s beside `archive show ID --json` "
          f"{big['cli_show_s']:.2f} s (start-up is issue 13's other part)")


if __name__ == "__main__":
    main()
