"""Replication speed and memory, each printed beside its baseline measured in the same run.

1. N seed-sized bags (default 1,000) replicated to a folder replica by ``archive replicate``
   (the command's own thread copies, or two copier threads when other work holds every core;
   each bag copied whole into a temporary folder, every file confirmed against its manifest's
   sha256, the bag renamed into place, a syncfs run ahead while copying and one per batch before
   the batch is recorded with a PREMIS event per bag; the sources and a catalogue snapshot too),
   side by side with ``cp -a`` and ``rsync -a`` (when rsync is on PATH; else a note says it was
   skipped) of the same bags/ folder, which neither sync nor check anything, and, as extra
   information, ``cp -a`` followed by ``sync -f`` on the copy (a durable copy).
   Goal: at least 0.5x the speed of ``cp -a``. ``--runs`` (default 3) rounds; in each, every side
   runs once, in an order rotated round by round so a machine's drift hits all alike, each after
   a ``sync``, all copying from the same warm page cache, every round's ``archive replicate``
   into the catalogue as built (a new replica each round). Printed: each side's median wall and
   CPU (user + sys, from wait4) with their range, and the per-round ratios ours/cp and
   ours/rsync (median and range). ``--compare-with ARCHIVE`` adds another build's ``archive``
   (e.g. main's) as column B in the same rounds.
2. The same N bags to a local S3 server (moto's, on 127.0.0.1) with 8 concurrent transfers: bags
   per second, and the highest number of transfers (PUTs) the server was serving at once, counted
   inside moto's own application (tests/s3_in_flight.py: a lock and a counter per request, no
   extra hop). Goal: at least 8.
3. One bag with a 1 GiB payload to the same S3 server: peak memory (RSS) of the replicate
   process, its VmHWM read from /proc while it runs. Goal: at most 200 MB.

Where a 1,000-bag folder run's time goes (tenth session, load 0.5, ``perf record -F 4999 -g`` of
one run, 6,454 samples; ``strace -c -f``; ``/usr/bin/time``): user 0.28-0.29 s, sys 0.34-0.36 s,
against ``cp -a``'s 0.02 s and 0.35 s. Kernel 69 % of samples: ``ext4_mkdir`` 18 % (6,000 folders:
five a bag, as ``cp -a`` makes, and sources/<id>), ``ext4_create`` 12 % (13,000 files, with the
sources and their renames, which ``cp -a`` of bags/ does not make), ``read`` 12 % (``_copy_to_iter``
11 %: the first touch of page-cache pages not read for a while costs 11-19 us a read, a second pass
1.5 us, as for ``cp -a``'s copy_file_range), write 5 %, getdents 2.4 %, rename 1.4 %, syncfs 1.1 %,
path walks 0.7 %. libpython 25 %: imports 0.07 s CPU (``python -c 'import archive.cli,
archive.replicas.push, ...'``), the rest spread thin (cProfile: no Python function above 3 % of
its own time; per file 7 system calls: open, fstat, open O_CREAT|O_EXCL, read, write, 2 close),
the cyclic collector 1.8 %. Tried and not kept, neither measurable beside the code before it in
the same rounds: the collector held off while copying (``--compare-with``, 5 rounds: ours/B 1.02x,
0.93-1.07; CPU 0.78 s both), a presync every 0.1 s or none mid-run instead of every 0.25 s (4
rounds each, same wall and CPU). ``os.scandir`` of a path instead of an open folder: 7.8 us against
4.5 us a folder once warm. So the folder figure's floor is the file system's work (1.2x that of
``cp -a``) plus the interpreter's start and the bookkeeping: about 0.5x of ``cp -a``.

The archive is built fast: one real bag made by ``archive bag``, then cloned N-1 times (bag,
source file and catalogue record, 256 records to a transaction). Each replicate run is the real
CLI in a child process, timed from start to exit.

    .venv/bin/python bench/bench_replicate.py                       # full run (lead)
    .venv/bin/python bench/bench_replicate.py --bags 200 --mib 256   # quick look while developing
    .venv/bin/python bench/bench_replicate.py --bags 1000 --skip-s3 --runs 5  # the folder figure only
    .venv/bin/python bench/bench_replicate.py --bags 1000 --skip-s3 --runs 5 \
        --compare-with /work/main/.venv/bin/archive                               # before/after
    .venv/bin/python bench/bench_replicate.py --skip-folder          # the S3 figures only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive.ids import format_id  # noqa: E402
from archive.layout import open_archive  # noqa: E402

ARCHIVE = Path(sys.executable).with_name("archive")
SEED_FILE = ROOT / "records" / "ankara-ambassador-shooting.txt"
BOOKKEEPING = ("revision", "serial", "created_at", "updated_at")
CPU: dict[str, float] = {}
"""CPU seconds (user + sys) of the last child run, by command name: the fair figure on a shared
machine, where the wall time of both sides moves with the load."""


def cli(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", **(env or {})}
    full.pop("ARCHIVE_ROOT", None)
    done = subprocess.run([str(ARCHIVE), *map(str, args)], capture_output=True, text=True, env=full)
    if done.returncode != 0:
        raise SystemExit(f"archive {' '.join(map(str, args))} failed ({done.returncode}): {done.stderr}")
    return done


def fresh_bytecode(archive: Path) -> None:
    """The package behind ``archive`` (an executable beside its venv's python) compiled to .pyc
    first. With PYTHONDONTWRITEBYTECODE set (as on the shared machine) a module edited since the
    install is compiled again by every run and never cached: measured, 0.05 CPU-s a run for four
    packages' modules (replicas, store, storage, fixity), a tenth of ``cp -a``'s time; a whole
    stale tree more. compileall writes the cache whatever that variable says."""
    python = archive.with_name("python")
    if not python.exists():
        return
    subprocess.run([str(python), "-c", "import archive, compileall, os; "
                    "compileall.compile_dir(os.path.dirname(archive.__file__), quiet=1)"],
                   check=True, cwd=tempfile.gettempdir(), capture_output=True)


def build_archive(root: Path, count: int) -> None:
    """One real bag of the seed article, then ``count - 1`` clones of it under new ids."""
    cli("init", root)
    cli("--root", root, "add", SEED_FILE)
    cli("--root", root, "bag", "--all")
    arc = open_archive(root)
    [first_id] = arc.store.ids()
    first = arc.store.get(first_id)
    bag = root / first["bags"][0]["path"]
    source = root / "sources" / first_id
    done = 1
    while done < count:
        with arc.store.transaction() as tx:
            for sequence in tx.reserve_sequences(min(256, count - done)):
                record_id = format_id(arc.settings.id_prefix, sequence)
                shutil.copytree(bag, root / "bags" / record_id / "v1")
                shutil.copytree(source, root / "sources" / record_id)
                record = {k: v for k, v in first.items() if k not in BOOKKEEPING}
                record["id"], record["uuid"] = record_id, str(uuid.uuid4())
                record["bags"] = [{**first["bags"][0], "path": f"bags/{record_id}/v1"}]
                tx.insert(record)
                done += 1


def add_big_bag(root: Path, mib: int) -> str:
    """A record whose one bag holds a ``mib`` MiB payload file (manifests written by hand)."""
    arc = open_archive(root)
    template = arc.store.get(arc.store.ids()[0])
    with arc.store.transaction() as tx:
        [sequence] = tx.reserve_sequences(1)
        record_id = format_id(arc.settings.id_prefix, sequence)
        bag = root / "bags" / record_id / "v1"
        (bag / "data").mkdir(parents=True)
        digests = {"sha256": hashlib.sha256(), "sha512": hashlib.sha512()}
        block = bytearray(os.urandom(1 << 20))
        with open(bag / "data" / "big.bin", "wb") as out:
            for i in range(mib):
                block[:8] = i.to_bytes(8, "big")
                out.write(block)
                for d in digests.values():
                    d.update(block)
        (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        (bag / "bag-info.txt").write_text(f"Payload-Oxum: {mib << 20}.1\n")
        for alg, d in digests.items():
            (bag / f"manifest-{alg}.txt").write_text(f"{d.hexdigest()}  data/big.bin\n")
        tags = "".join(f"{hashlib.sha256((bag / n).read_bytes()).hexdigest()}  {n}\n"
                       for n in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"))
        (bag / "tagmanifest-sha256.txt").write_text(tags)
        shutil.copytree(root / "sources" / template["id"], root / "sources" / record_id)
        record = {k: v for k, v in template.items() if k not in BOOKKEEPING}
        record["id"], record["uuid"] = record_id, str(uuid.uuid4())
        pinned = hashlib.sha256((bag / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
        record["bags"] = [{"version": 1, "path": f"bags/{record_id}/v1",
                           "bagged_at": template["bags"][0]["bagged_at"], "payload_oxum": f"{mib << 20}.1",
                           "size": (mib << 20) + 1000, "tagmanifest_sha256": pinned}]
        tx.insert(record)
    return record_id


def _watch_peak(pid: int, peak: list[int]) -> None:
    """The child's own VmHWM, read until its memory is gone; the last reading is its peak.

    Not wait4's ru_maxrss: Python starts children with vfork, and Linux then counts the parent's
    high-water mark in the child's, so a bench process holding moto's objects would be measured
    instead of the replicate process. The last reading only is kept for the same reason (a
    reading before the exec is the parent's)."""
    path = f"/proc/{pid}/status"
    while True:
        try:
            with open(path) as status:
                found = [int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")]
        except OSError:
            return
        if not found:
            return  # a zombie: its memory is gone
        peak[:] = found
        time.sleep(0.02)


def timed(args: list[object], env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes (the child's VmHWM) and stdout of one child process; its
    CPU seconds (user + sys, from wait4) are added to ``CPU[command name]``."""
    full = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", **(env or {})}
    full.pop("ARCHIVE_ROOT", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([str(a) for a in args], stdout=out, stderr=err, env=full)
        peak = [0]
        watcher = threading.Thread(target=_watch_peak, args=(proc.pid, peak), daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        CPU[Path(str(args[0])).name] = usage.ru_utime + usage.ru_stime
        watcher.join()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            command = " ".join(map(str, args))
            raise SystemExit(f"{command} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
        return seconds, peak[0], out.read().decode()


def _warm(folder: Path) -> None:
    """Every file under ``folder`` read once, so each side copies from the same warm page cache
    (the first side of the first round would otherwise pay the cold reads for all)."""
    for dirpath, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as handle:
                while handle.read(1 << 20):
                    pass


def _fresh_catalogue(root: Path, pristine: Path) -> None:
    """The archive's catalogue and archive.toml put back as they were after the build, so every
    round of ``archive replicate`` records its 1,000 copies into the same catalogue (not one
    grown by the rounds before it) and snapshots the same; bags/ and sources/ are only read."""
    shutil.rmtree(root / "catalog")
    shutil.copytree(pristine / "catalog", root / "catalog", symlinks=True)
    shutil.copy2(pristine / "archive.toml", root / "archive.toml")


class _Side:
    """One command measured in every round: its wall and CPU seconds, round by round."""

    def __init__(self, label: str, note: str = "") -> None:
        self.label, self.note = label, note
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    def summary(self, count: int) -> str:
        wall, cpu = _spread(self.wall), _spread(self.cpu)
        rate = count / statistics.median(self.wall)
        return (f"  {self.label:<22} wall {wall}   CPU {cpu}   {rate:7.1f} bags/s (median)"
                f"{'   ' + self.note if self.note else ''}")


def _spread(values: list[float]) -> str:
    """'median s (min-max)' of a side's rounds."""
    return f"{statistics.median(values):6.2f} s ({min(values):.2f}-{max(values):.2f})"


def _ratio(base: list[float], ours: list[float]) -> str:
    """Round by round, base / ours (above 1: ours is faster or cheaper): 'median (min-max)'."""
    ratios = sorted(b / o for b, o in zip(base, ours, strict=True))
    return f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"


def _ours(root: Path, tmp: Path, name: str, archive: Path, count: int) -> tuple[float, float, dict]:
    cli("--root", root, "replica", "add", name, tmp / f"replica-{name}")
    subprocess.run(["sync"], check=True)
    seconds, _, out = timed([archive, "--root", root, "replicate", name, "--json"])
    report = json.loads(out)["replicas"][0]
    assert report["bags_copied"] == count and report["ok"], report
    return seconds, CPU[archive.name], report


def _copy(command: list[object]) -> tuple[float, float]:
    subprocess.run(["sync"], check=True)
    seconds, _, _ = timed(command)
    return seconds, CPU[Path(str(command[0])).name]


def _copy_durable(source: Path, target: Path) -> tuple[float, float]:
    """``cp -a`` then ``sync -f`` on the copy: the plain copy made durable, timed as one."""
    subprocess.run(["sync"], check=True)
    started = time.perf_counter()
    timed(["cp", "-a", source, target])
    cpu = CPU["cp"]
    timed(["sync", "-f", target])
    return time.perf_counter() - started, cpu + CPU["sync"]


def bench_folder(root: Path, tmp: Path, count: int, runs: int, compare: Path | None = None) -> None:
    """``--runs`` rounds; in each, every side once, in an order rotated round by round (ours, cp,
    rsync, cp + sync; then cp, rsync, ...), each after a ``sync`` so none writes back another's
    copy. The archive's bags/ are read once first, so every side copies from a warm page cache.

    No copy is removed before the bench ends (~65 MB a side and round): ext4 does not hand out
    again an inode freed less than a minute ago (five, if its table block is still dirty), and
    finding one it may use walks past every such slot (perf: ``recently_deleted`` under
    ``__ext4_new_inode``, 28 % of ``cp -a``'s samples). Removing a round's 70,000 files made
    whichever side came next create its files several times slower (``cp -a`` 0.4 s or 6 s by
    that alone), which measured the order of the sides, not the sides."""
    rsync = shutil.which("rsync")
    pristine = tmp / "pristine"
    pristine.mkdir()
    shutil.copytree(root / "catalog", pristine / "catalog", symlinks=True)
    shutil.copy2(root / "archive.toml", pristine / "archive.toml")
    _warm(root / "bags")
    _warm(root / "sources")
    ours = _Side("archive replicate", "(bags, sources, events, snapshot; synced)")
    other = _Side("archive replicate (B)", f"({compare})") if compare else None
    cp = _Side("cp -a", "(bags/ only, no fsync)")
    rs = _Side("rsync -a", "(bags/ only, no fsync)") if rsync else None
    durable = _Side("cp -a + sync -f", "(bags/ only, made durable)")
    report: dict = {}
    loads: list[float] = []

    def run_ours(round_: int) -> None:
        nonlocal report
        _fresh_catalogue(root, pristine)
        seconds, cpu, report = _ours(root, tmp, f"folder{round_}", ARCHIVE, count)
        ours.add(seconds, cpu)

    def run_other(round_: int) -> None:
        assert other is not None and compare is not None
        _fresh_catalogue(root, pristine)
        seconds, cpu, _ = _ours(root, tmp, f"other{round_}", compare, count)
        other.add(seconds, cpu)

    def run_cp(round_: int) -> None:
        cp.add(*_copy(["cp", "-a", root / "bags", tmp / f"cp-{round_}"]))

    def run_rsync(round_: int) -> None:
        assert rs is not None and rsync is not None
        rs.add(*_copy([rsync, "-a", f"{root / 'bags'}/", f"{tmp / f'rsync-{round_}'}/"]))

    def run_durable(round_: int) -> None:
        durable.add(*_copy_durable(root / "bags", tmp / f"durable-{round_}"))

    order = [run_ours, *([run_other] if other else []), run_cp, *([run_rsync] if rs else []), run_durable]
    for round_ in range(1, runs + 1):
        loads.append(os.getloadavg()[0])
        shift = (round_ - 1) % len(order)
        for side in order[shift:] + order[:shift]:
            side(round_)
        subprocess.run(["sync"], check=True)
        line = (f" round {round_} (load {loads[-1]:.1f}): ours {ours.wall[-1]:.2f} s (CPU {ours.cpu[-1]:.2f})"
                + (f", B {other.wall[-1]:.2f} s (CPU {other.cpu[-1]:.2f})" if other else "")
                + f", cp -a {cp.wall[-1]:.2f} s (CPU {cp.cpu[-1]:.2f})"
                + (f", rsync -a {rs.wall[-1]:.2f} s (CPU {rs.cpu[-1]:.2f})" if rs else "")
                + f", cp -a + sync -f {durable.wall[-1]:.2f} s")
        print(line, flush=True)
    print(f"folder replica, {count} bags ({report['files_sent']} files, {report['bytes_sent'] / 1e6:.1f} MB, "
          f"{report['sources_sent']} source files, a PREMIS event per bag, every file confirmed against "
          f"its manifest and synced before it counts), {runs} rounds, "
          f"load {min(loads):.1f}-{max(loads):.1f}:")
    for side in (ours, other, cp, rs, durable):
        if side is not None:
            print(side.summary(count))
    if rs is None:
        print("  rsync -a               skipped: rsync is not on PATH")
    for base in (cp, rs, durable):
        if base is not None:
            goal = " (goal >= 0.5x)" if base is cp else ""
            print(f"  ours/{base.label:<16} speed {_ratio(base.wall, ours.wall)}{goal}; "
                  f"CPU {_ratio(base.cpu, ours.cpu)} of {base.label}'s")
    if other is not None:
        print(f"  ours/B                 speed {_ratio(other.wall, ours.wall)}")
    _fresh_catalogue(root, pristine)
    _ours(root, tmp, "again", ARCHIVE, count)
    again, _, out = timed([ARCHIVE, "--root", root, "replicate", "again", "--json"])
    sent = json.loads(out)["replicas"][0]["files_sent"]
    print(f"  second run to the same replica (nothing new): {again:.2f} s, {sent} files sent")


def bench_s3(root: Path, count: int, jobs: int, big_mib: int) -> None:
    from remote_servers import DUMMY_AWS, MotoServer
    from replica_targets import make_bucket
    from s3_in_flight import InFlight, watch

    env = {**DUMMY_AWS, "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    os.environ.update(env)
    # moto's werkzeug logs every request (13,000+ lines for 1,000 bags); keep only its errors
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = MotoServer().start()
    in_flight = watch(server, InFlight())
    try:
        make_bucket(server.endpoint, "bench-replica")
        cli("--root", root, "replica", "add", "s3", "s3://bench-replica/archive", "--endpoint-url",
            server.endpoint, "--region", "us-east-1", env=env)
        in_flight.reset()
        seconds, rss, out = timed([ARCHIVE, "--root", root, "replicate", "s3", "--json", "--jobs", jobs], env)
        cpu = CPU[ARCHIVE.name]
        report = json.loads(out)["replicas"][0]
        print(f"S3 (moto on 127.0.0.1, --jobs {jobs}), {report['bags_copied']} bags, "
              f"{report['files_sent']} files: {seconds:.2f} s, {report['bags_copied'] / seconds:.1f} bags/s, "
              f"CPU {cpu:.2f} s, peak RSS {rss / 1e6:.0f} MB")
        print(f"  transfers in flight at once: at most {in_flight.peak} of {in_flight.transfers} PUTs "
              f"(goal >= 8)")
        if big_mib:
            add_big_bag(root, big_mib)
            in_flight.reset()
            seconds, rss, out = timed([ARCHIVE, "--root", root, "replicate", "s3", "--json", "--jobs", jobs],
                                      env)
            report = json.loads(out)["replicas"][0]
            assert report["bags_copied"] == 1, report
            print(f"one bag with a {big_mib} MiB payload to S3 (multipart): {seconds:.2f} s, "
                  f"{report['bytes_sent'] / seconds / 1e6:.0f} MB/s, peak RSS of the replicate process "
                  f"{rss / 1e6:.0f} MB (goal <= 200 MB); at most {in_flight.peak} PUTs in flight at once")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bags", type=int, default=1000, help="seed-sized bags (default 1000)")
    parser.add_argument("--mib", type=int, default=1024, help="the large bag's payload in MiB (default 1024; "
                        "0 skips it)")
    parser.add_argument("--jobs", type=int, default=8, help="concurrent transfers to S3 (default 8)")
    parser.add_argument("--runs", type=int, default=3, help="side-by-side folder runs, each to a new "
                        "replica (default 3; the machine's load varies between them)")
    parser.add_argument("--skip-s3", action="store_true")
    parser.add_argument("--skip-folder", action="store_true", help="the S3 figures only")
    parser.add_argument("--compare-with", type=Path, metavar="ARCHIVE", help="another `archive` executable "
                        "(e.g. main's .venv/bin/archive) replicating in the same folder rounds, as column B")
    args = parser.parse_args()
    fresh_bytecode(ARCHIVE)
    if args.compare_with:
        fresh_bytecode(args.compare_with)
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} "
          "(a shared machine skews both columns)")
    with tempfile.TemporaryDirectory(prefix="bench-replicate-") as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "arc"
        started = time.perf_counter()
        build_archive(root, args.bags)
        print(f"built {args.bags} bags in {time.perf_counter() - started:.1f} s")
        if not args.skip_folder:
            bench_folder(root, tmp, args.bags, args.runs, args.compare_with)
        if not args.skip_s3:
            bench_s3(root, args.bags, args.jobs, args.mib)


if __name__ == "__main__":
    main()
