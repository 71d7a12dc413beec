"""``archive audit`` of the whole archive (issue 13: the full-archive audit of 100,000 bags): its
rate, wall and CPU time, and peak memory, on bags this archive wrote.

    .venv/bin/python bench/bench_audit.py                          # 100,000 bags, built once and kept
    .venv/bin/python bench/bench_audit.py --bags 10000 --keep /tmp/audit-10k
    .venv/bin/python bench/bench_audit.py --bags 100000 --build-only   # build now, audit later

A build stopped part way (by a time limit) goes on from where it stopped when run again.

Building: ``archive init``, ``archive add`` of the seed article and ``archive bag --all`` make one
real bag; it is then cloned N-1 times under new ids, 256 records (one catalogue shard) to a
transaction of the store's batch API. Each clone is a bag of its own, not a link to the first: its
tag and metadata files carry the clone's id and a new UUID (the same length, so Payload-Oxum does
not change), its manifests and tag manifests are computed again from those bytes, and its
catalogue record pins its own tag-manifest digest and metadata fingerprint, so a full check of a
clone does exactly the work a full check of a bag made by ``archive bag`` does. The built archive
and a pristine copy of its catalogue are kept in ``--keep`` (default under /tmp), so a rerun skips
the build; before each audit the catalogue is put back as it was built, since an audit records a
fixity event per bag.

Measured: wall seconds from start to exit of the CLI, CPU (user + system) of the whole process tree
(the command's own rusage, plus the fork server and its workers, which it does not reap, sampled
from /proc every 0.1 s), and peak memory as each process's VmHWM (high-water mark of its resident
set): the command's own, the largest worker's, and their sum over the tree (an upper bound on what
the run held at once).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import proctree  # bench/, beside this script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.ids import format_id  # noqa: E402
from archive.layout import Archive, open_archive  # noqa: E402
from archive.records import metadata_fingerprint  # noqa: E402

ARCHIVE = str(Path(sys.executable).with_name("archive"))
SEED_FILE = ROOT / "records" / "ankara-ambassador-shooting.txt"
BOOKKEEPING = ("revision", "serial", "created_at", "updated_at", "bags")
PER_TRANSACTION = 256


def cli(*args: object) -> None:
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    env.pop("ARCHIVE_ROOT", None)
    done = subprocess.run([ARCHIVE, *map(str, args)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"archive {' '.join(map(str, args))} failed ({done.returncode}): {done.stderr}")


class Template:
    """The first bag's files and manifests, from which each clone is made."""

    def __init__(self, root: Path, record: dict):
        self.record = record
        self.id, self.uuid = record["id"].encode(), record["uuid"].encode()
        self.bag = root / record["bags"][0]["path"]
        self.source = root / "sources" / record["id"]
        self.files = {p.relative_to(self.bag).as_posix(): p.read_bytes()
                      for p in sorted(self.bag.rglob("*")) if p.is_file()}
        self.manifests = {rel: [line.split("  ", 1)[1] for line in data.decode().splitlines()]
                          for rel, data in self.files.items() if _manifest_algorithm(rel)}
        self.folders = sorted({p.rsplit("/", 1)[0] for p in self.files if "/" in p}, key=len)
        self.sources = {p.name: p.read_bytes() for p in self.source.iterdir()}

    def clone(self, root: Path, record_id: str) -> dict:
        """Write the bag and working copy of ``record_id``; its catalogue record."""
        new_uuid = str(uuid.uuid4())
        files = {rel: data.replace(self.id, record_id.encode()).replace(self.uuid, new_uuid.encode())
                 for rel, data in self.files.items() if not _manifest_algorithm(rel)}
        for tag in (False, True):  # payload manifests first: the tag manifests list them
            for rel, paths in self.manifests.items():
                if rel.startswith("tagmanifest-") == tag:
                    algorithm = _manifest_algorithm(rel)
                    files[rel] = "".join(f"{hashlib.new(algorithm, files[p]).hexdigest()}  {p}\n"
                                         for p in paths).encode()
        rel_bag = f"bags/{record_id}/v1"
        _write_tree(root / rel_bag, self.folders, files)
        _write_tree(root / "sources" / record_id, [], self.sources)
        record = {k: v for k, v in self.record.items() if k not in BOOKKEEPING}
        record["id"], record["uuid"] = record_id, new_uuid
        bagged = json.loads(files["data/metadata/record.json"])
        entry = {k: v for k, v in self.record["bags"][0].items() if k != "last_fixity"}
        entry.update(path=rel_bag, metadata_sha256=metadata_fingerprint(bagged),
                     tagmanifest_sha256=hashlib.sha256(files["tagmanifest-sha256.txt"]).hexdigest())
        record["bags"] = [entry]
        return record


def _manifest_algorithm(rel: str) -> str:
    for prefix in ("manifest-", "tagmanifest-"):
        if rel.startswith(prefix) and rel.endswith(".txt") and "/" not in rel:
            return rel[len(prefix):-4]
    return ""


def _write_tree(folder: Path, subfolders: list[str], files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True)
    for sub in subfolders:
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        fd = os.open(folder / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def build(keep: Path, count: int) -> Path:
    """The kept archive of ``count`` bags, built now unless a whole one is there."""
    root, marker = keep / "archive", keep / "built.json"
    if marker.exists() and json.loads(marker.read_text()).get("bags") == count:
        return root
    started = time.perf_counter()
    if not (root / "archive.toml").exists() or len(open_archive(root).store) == 0:
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        cli("init", root)
        cli("--root", root, "add", SEED_FILE)
        cli("--root", root, "bag", "--all")
    arc = open_archive(root)
    first_id = min(arc.store.ids())
    template = Template(root, arc.store.get(first_id))
    done = _resume(root, arc)
    while done < count:
        with arc.store.transaction() as tx:
            for sequence in tx.reserve_sequences(min(PER_TRANSACTION, count - done)):
                tx.insert(template.clone(root, format_id(arc.settings.id_prefix, sequence)))
                done += 1
        if done % 10_000 < PER_TRANSACTION:
            print(f"  built {done:,} bags in {time.perf_counter() - started:.0f} s", flush=True)
    for folder in ("catalog", "logs"):
        if (root / folder).exists():
            shutil.copytree(root / folder, keep / f"pristine-{folder}")
    marker.write_text(json.dumps({"bags": count}))
    print(f"built {count:,} bags in {time.perf_counter() - started:.0f} s (kept in {keep})", flush=True)
    return root


def _resume(root: Path, arc: Archive) -> int:
    """Records built so far; a build killed mid-transaction (a command's time limit) wrote bag
    and working-copy folders that no record claims: they are removed, the next run makes them again."""
    last = arc.store.last_sequence()
    for folder in ("bags", "sources"):
        for name in os.listdir(root / folder):
            if int(name.rsplit("-", 1)[1]) > last:
                shutil.rmtree(root / folder / name)
    return len(arc.store)


def _link_or_copy(source: str, dest: str) -> None:
    """Shards and index files are only ever replaced, never written in place: hard-linked, so
    they keep the inode and mtime the index's stamps name; anything else (the history logs,
    appended to) copied."""
    if Path(source).parent.name in ("records", "index"):
        os.link(source, dest)
    else:
        shutil.copy2(source, dest)


def reset(keep: Path) -> Path:
    """The kept archive with its catalogue (and logs) as built: no audit recorded yet.

    A plain copy gave every shard a new inode, so the audit's store took every summary index for
    stale and rebuilt all of them at open (a cost no real audit pays, and a parent holding every
    record when its workers were forked); the pristine catalogue's index is made current once,
    then its files are linked."""
    from archive.store.catalog_store import Store

    root = keep / "archive"
    if (keep / "pristine-catalog" / "records").is_dir():
        Store.open(keep / "pristine-catalog")  # rebuilds (and saves) a stale index, once
    for folder in ("catalog", "logs"):
        shutil.rmtree(root / folder, ignore_errors=True)
        if (keep / f"pristine-{folder}").exists():
            shutil.copytree(keep / f"pristine-{folder}", root / folder, copy_function=_link_or_copy)
    return root


def _sample(pid: int, hwm: dict[int, int], cpu: dict[int, float], names: dict[int, str]) -> None:
    """VmHWM (kB) and CPU seconds of ``pid`` and every descendant, kept per process."""
    for current in proctree.tree(pid):
        try:
            hwm[current] = max(hwm.get(current, 0), proctree.status_kb(current, "VmHWM"))
            cpu[current] = max(cpu.get(current, 0.0), proctree.cpu_seconds(current))
            if current not in names:
                names[current] = proctree.command_line(current)
        except (OSError, ValueError, IndexError):
            continue


def measure(argv: list[str]) -> dict:
    """Wall and tree CPU seconds, exit code, and VmHWM (kB) per process of one run of ``argv``."""
    hwm: dict[int, int] = {}
    cpu: dict[int, float] = {}
    names: dict[int, str] = {}
    started = time.perf_counter()
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    done = threading.Event()

    def sampler() -> None:
        while not done.wait(0.1):
            _sample(proc.pid, hwm, cpu, names)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    status, own_cpu, _ = proctree.wait_own_cpu(proc.pid)  # not rusage: it adds the workers it reaped
    wall = time.perf_counter() - started
    done.set()
    thread.join()
    others = {pid: seconds for pid, seconds in cpu.items() if pid != proc.pid}
    assert proc.stderr is not None
    return {"wall": wall, "cpu": own_cpu + sum(others.values()), "code": os.waitstatus_to_exitcode(status),
            "stderr": proc.stderr.read().decode(errors="replace"),
            "hwm_main": hwm.get(proc.pid, 0),
            "hwm_workers": [kb for pid, kb in hwm.items()  # forked by the command or a fork server
                            if pid != proc.pid and "resource_tracker" not in names.get(pid, "")],
            "hwm_sum": sum(hwm.values())}


def audit(root: Path, command: str, jobs: int | None, budget: str | None) -> None:
    report = Path(tempfile.mkdtemp(prefix="bench-audit-")) / "report.json"
    argv = [ARCHIVE, "--root", str(root), command, "--report", str(report)]
    argv += ["--jobs", str(jobs)] if jobs else []
    argv += ["--budget", budget] if budget and command == "audit" else []
    load = os.getloadavg()[0]
    got = measure(argv)
    if got["code"] != 0:
        raise SystemExit(f"{' '.join(argv)} exited {got['code']}: {got['stderr'][-2000:]}")
    totals = json.loads(report.read_text())["totals"]
    shutil.rmtree(report.parent, ignore_errors=True)
    checked, wall, cpu = totals["checked"], got["wall"], got["cpu"]
    workers = got["hwm_workers"]
    print(f"archive {command} ({jobs or os.cpu_count()} jobs) of {checked:,} bags, full check, "
          f"{totals['failure']} failed (load average {load:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end):")
    print(f"  wall {wall:.1f} s = {checked / wall:,.0f} bags/s; CPU of the process tree {cpu:.1f} s "
          f"= {1000 * cpu / max(checked, 1):.2f} ms a bag")
    print(f"  peak memory (VmHWM): command {got['hwm_main'] / 1024:.0f} MB, largest pool process "
          f"{max(workers, default=0) / 1024:.0f} MB (of {len(workers)}: workers, and a fork server if any), "
          f"whole tree summed "
          f"{got['hwm_sum'] / 1024:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bags", type=int, default=100_000, help="bags in the archive (default 100000)")
    parser.add_argument("--keep", type=Path, help="folder for the built archive, reused when it holds "
                        "one of --bags bags (default /tmp/article-archive-bench/audit-N)")
    parser.add_argument("--rounds", type=int, default=1, help="audits in a row (default 1)")
    parser.add_argument("--command", choices=("audit", "verify"), default="audit")
    parser.add_argument("--jobs", type=int, help="pass --jobs (default: every core)")
    parser.add_argument("--budget", help="pass --budget to the audit (e.g. 10m)")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    keep = args.keep or Path(tempfile.gettempdir()) / "article-archive-bench" / f"audit-{args.bags}"
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}", flush=True)
    build(keep, args.bags)
    if args.build_only:
        return
    for _ in range(args.rounds):
        audit(reset(keep), args.command, args.jobs, args.budget)


if __name__ == "__main__":
    main()
