"""Replication speed and memory, each printed beside its baseline measured in the same run.

1. N seed-sized bags (default 1,000) replicated to a folder replica by ``archive replicate``
   (two copier threads; each bag copied whole into a temporary folder, every file confirmed
   against its manifest's sha256, the bag renamed into place, one syncfs per batch before the
   batch is recorded with a PREMIS event per bag) against ``rsync -a`` (``cp -a`` where rsync is
   missing) of the same bags/ folder, which neither syncs nor checks anything, and against that
   copy plus ``sync -f``.
   Goal: at least 0.5x the speed of the plain copy. ``--runs`` (default 3) side-by-side runs, each
   to a new replica, as the load of a shared machine moves between them.
2. The same N bags to a local S3 server (moto's, on 127.0.0.1) with 8 concurrent transfers: bags
   per second, and the highest number of transfers (PUTs) the server was serving at once, counted
   inside moto's own application (tests/s3_in_flight.py: a lock and a counter per request, no
   extra hop). Goal: at least 8.
3. One bag with a 1 GiB payload to the same S3 server: peak memory (RSS) of the replicate
   process, its VmHWM read from /proc while it runs. Goal: at most 200 MB.

The archive is built fast: one real bag made by ``archive bag``, then cloned N-1 times (bag,
source file and catalogue record, 256 records to a transaction). Each replicate run is the real
CLI in a child process, timed from start to exit.

    .venv/bin/python bench/bench_replicate.py                       # full run (lead)
    .venv/bin/python bench/bench_replicate.py --bags 200 --mib 256   # quick look while developing
    .venv/bin/python bench/bench_replicate.py --bags 1000 --skip-s3  # the folder figure only
    .venv/bin/python bench/bench_replicate.py --skip-folder          # the S3 figures only
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


def _folder_run(root: Path, tmp: Path, count: int, run: int) -> tuple[tuple[float, float], ...]:
    """One side-by-side run: ``archive replicate`` to a new folder replica, then ``cp -a`` (or
    rsync -a) of bags/, then the same copy followed by ``sync -f``; (wall, CPU) of each."""
    name = f"folder{run}"
    cli("--root", root, "replica", "add", name, tmp / f"folder-replica-{run}")
    subprocess.run(["sync"], check=True)  # nothing of the build left for one side to write back
    seconds, _, out = timed([ARCHIVE, "--root", root, "replicate", name, "--json"])
    cpu = CPU[ARCHIVE.name]
    report = json.loads(out)["replicas"][0]
    assert report["bags_copied"] == count, report
    baseline = shutil.which("rsync")
    copy_to = tmp / f"baseline-copy-{run}"
    command = [baseline, "-a", f"{root / 'bags'}/", f"{copy_to}/"] if baseline else \
        ["cp", "-a", root / "bags", copy_to]
    base_seconds, _, _ = timed(command)
    base_cpu = CPU[Path(str(command[0])).name]
    durable_to = tmp / f"baseline-durable-{run}"  # the same copy made durable: then one syncfs, as ours
    durable_command = [*command[:-1], durable_to if not baseline else f"{durable_to}/"]
    started = time.perf_counter()
    timed(durable_command)
    durable_cpu = CPU[Path(str(command[0])).name]
    timed(["sync", "-f", durable_to])
    durable_cpu += CPU["sync"]
    return (seconds, cpu), (base_seconds, base_cpu), (time.perf_counter() - started, durable_cpu), report


def bench_folder(root: Path, tmp: Path, count: int, runs: int) -> None:
    name = "rsync -a" if shutil.which("rsync") else "cp -a"
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    for run in range(1, runs + 1):
        load = os.getloadavg()[0]
        (seconds, cpu), (base_seconds, base_cpu), (durable_seconds, durable_cpu), report = \
            _folder_run(root, tmp, count, run)
        ratios.append(base_seconds / seconds)
        cpu_ratios.append(base_cpu / cpu)
        if run == 1:
            print(f"folder replica, {count} bags ({report['files_sent']} files, "
                  f"{report['bytes_sent'] / 1e6:.1f} MB, sources and PREMIS events included, every file "
                  "confirmed and synced before it counts):")
        print(f" run {run} (load average {load:.1f}):")
        print(f"  archive replicate   {seconds:7.2f} s   {count / seconds:8.1f} bags/s   CPU {cpu:5.2f} s")
        print(f"  {name:<18}  {base_seconds:7.2f} s   {count / base_seconds:8.1f} bags/s   "
              f"CPU {base_cpu:5.2f} s   (bags/ only, no fsync)")
        durable = name + " + sync -f"
        print(f"  {durable:<18}  {durable_seconds:7.2f} s   {count / durable_seconds:8.1f} bags/s   "
              f"CPU {durable_cpu:5.2f} s   (bags/ only, made durable)")
        print(f"  ratio {base_seconds / seconds:.2f}x of {name}'s speed (goal >= 0.5x), "
              f"{durable_seconds / seconds:.2f}x of {name} + sync's; CPU {base_cpu / cpu:.2f}x of {name}'s")
    if runs > 1:
        ratios.sort()
        cpu_ratios.sort()
        print(f" ratio over {runs} runs: median {ratios[len(ratios) // 2]:.2f}x, "
              f"from {ratios[0]:.2f}x to {ratios[-1]:.2f}x of {name}'s speed; CPU median "
              f"{cpu_ratios[len(cpu_ratios) // 2]:.2f}x, from {cpu_ratios[0]:.2f}x to {cpu_ratios[-1]:.2f}x")
    again, _, out = timed([ARCHIVE, "--root", root, "replicate", f"folder{runs}", "--json"])
    sent = json.loads(out)["replicas"][0]["files_sent"]
    print(f"  second run (nothing new): {again:.2f} s, {sent} files sent")


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
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} "
          "(a shared machine skews both columns)")
    with tempfile.TemporaryDirectory(prefix="bench-replicate-") as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "arc"
        started = time.perf_counter()
        build_archive(root, args.bags)
        print(f"built {args.bags} bags in {time.perf_counter() - started:.1f} s")
        if not args.skip_folder:
            bench_folder(root, tmp, args.bags, args.runs)
        if not args.skip_s3:
            bench_s3(root, args.bags, args.jobs, args.mib)


if __name__ == "__main__":
    main()
