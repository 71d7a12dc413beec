"""Web capture speed and memory, from a local page server (tests/servers/http_pages.py).

1. 200 pages captured one after another (fetch + WARC written atomically, each its own
   ``.warc.gz``): pages per second and peak memory of the capturing process.
2. The same 200 pages through the batch runner over two servers (two hosts: host:port), with no
   politeness pause, to show what concurrency across hosts gives on this machine.
3. One 50 MiB response streamed to a WARC and read back, in a child process: time and peak
   memory. Goal (issue #14): at most 100 MB.
4. The real capture path, as ``archive capture`` runs it, in a child process with a fresh archive:
   200 pages through ``capture_many`` (fetch, WARC, the page read back from the WARC, charset,
   the HTML import pipeline, the catalogue), pages per second and peak memory; then one 50 MiB
   response through ``capture_url`` (its body is not text, so it is refused after the WARC was
   written and read back and its charset looked for: every streaming step, none of extraction's).

The page servers run in their own processes, so their work is not counted in our memory and
competes with us for the two cores only as a real server on the same machine would. Peak memory
is the kernel's VmHWM of the measured process (ru_maxrss would include the parent it was
forked from).

    .venv/bin/python bench/bench_capture.py                  # full run
    .venv/bin/python bench/bench_capture.py --pages 50 --mib 10   # a quick look
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = f"""
import sys
sys.path.insert(0, {str(ROOT / "tests")!r})
from servers.http_pages import serve_pages
with serve_pages() as server:
    print(server.server_address[1], flush=True)
    sys.stdin.read()   # until the bench closes our stdin
"""

LARGE = """
import hashlib, json, re, sys, time
from pathlib import Path
from archive.capture.fetch import Limits
from archive.capture.warc import capture_page, open_final_payload
url, dest = sys.argv[1], Path(sys.argv[2])
started = time.perf_counter()
summary = capture_page(url, dest, contact="bench@example.org", allow_private=True,
                       limits=Limits(read_seconds=60, total_seconds=600))
captured = time.perf_counter() - started
digest = hashlib.sha256()
with open_final_payload(dest, decoded=False) as stream:
    for piece in iter(lambda: stream.read(1 << 16), b""):
        digest.update(piece)
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
print(json.dumps({"seconds": captured, "peak_kib": peak, "bytes": summary.payload_length,
                  "warc_bytes": dest.stat().st_size, "same": digest.hexdigest() == summary.payload_sha256}))
"""


REAL = """
import json, re, sys, time
from pathlib import Path
from archive.capture.catalogue import CaptureOptions, capture_url
from archive.capture.fetch import Limits
from archive.capture.run import capture_many
from archive.errors import ArchiveError
from archive.layout import init_archive
mode, bases, pages, root = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
arc = init_archive(root, organization="Bench", contact_name="Bench", contact_email="bench@example.org")
options = CaptureOptions(allow_private=True, limits=Limits(read_seconds=60, total_seconds=600))
started = time.perf_counter()
if mode == "pages":
    urls = [f"{bases[n % len(bases)]}/page/real-{n}" for n in range(pages)]
    report = capture_many(arc, urls, options, workers=2, delay=0)
    outcome = f"{len(report.failed)} failed, {len(arc.store.ids())} records"
else:
    try:
        capture_url(arc, bases[0], options)
        outcome = "catalogued"
    except ArchiveError as exc:
        outcome = str(exc)[:100]
seconds = time.perf_counter() - started
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
print(json.dumps({"seconds": seconds, "peak_kib": peak, "outcome": outcome}))
"""


def real_path(mode: str, bases: list[str], pages: int, root: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", REAL, mode, json.dumps(bases), str(pages), str(root)],
                          capture_output=True, text=True, timeout=1800, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def peak_mib() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024


@contextmanager
def page_server():
    """A page server in its own process; ready once it has printed its port (it answered a
    request by then)."""
    child = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        child.stdin.close()
        child.wait(timeout=60)


def warcio_check(path: Path) -> bool:
    done = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", str(path)],
                          capture_output=True, timeout=600)
    return done.returncode == 0


def sequential(base: str, pages: int, folder: Path) -> float:
    from archive.capture.warc import capture_page

    started = time.perf_counter()
    for n in range(pages):
        capture_page(f"{base}/page/{n}", folder / f"{n}.warc.gz", contact="bench@example.org",
                     allow_private=True)
    return time.perf_counter() - started


def batched(bases: list[str], pages: int, folder: Path, workers: int) -> tuple[float, int]:
    from archive.capture.batch import run_batch
    from archive.capture.warc import capture_page

    urls = [f"{bases[n % len(bases)]}/page/{n}" for n in range(pages)]
    names = {url: folder / f"b{n}.warc.gz" for n, url in enumerate(urls)}
    started = time.perf_counter()
    outcomes = run_batch(urls, lambda url: capture_page(url, names[url], contact="bench@example.org",
                                                        allow_private=True), workers=workers, delay=0)
    return time.perf_counter() - started, sum(1 for o in outcomes if not o.ok)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--mib", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        first = stack.enter_context(page_server())
        second = stack.enter_context(page_server())

        seconds = sequential(first, args.pages, folder)
        sample = "pass" if warcio_check(folder / "0.warc.gz") else "FAIL"
        print(f"{args.pages} pages, one after another: {seconds:.2f} s, "
              f"{args.pages / seconds:.1f} pages/s; warcio check of a sample: {sample}")
        batch_seconds, failed = batched([first, second], args.pages, folder, workers=2)
        print(f"{args.pages} pages, batch over 2 hosts (2 workers, no pause): {batch_seconds:.2f} s, "
              f"{args.pages / batch_seconds:.1f} pages/s, {failed} failed")
        print(f"peak memory of the capturing process: {peak_mib():.0f} MiB")

        dest = folder / "large.warc.gz"
        done = subprocess.run([sys.executable, "-c", LARGE, f"{first}/big/{args.mib}", str(dest)],
                              capture_output=True, text=True, timeout=900, cwd=ROOT)
        if done.returncode != 0:
            print(done.stderr)
            return 1
        large = json.loads(done.stdout)
        peak = large["peak_kib"] / 1024
        rate = large["bytes"] / large["seconds"] / 1e6
        print(f"one {args.mib} MiB response to WARC: {large['seconds']:.2f} s "
              f"({rate:.0f} MB/s), WARC {large['warc_bytes'] / 1e6:.1f} MB, "
              f"read back {'identical' if large['same'] else 'DIFFERENT'}, peak memory {peak:.0f} MiB "
              f"(goal ≤ 100 MB: {'met' if peak * 1.048576 <= 100 else 'MISSED'}); "
              f"warcio check: {'pass' if warcio_check(dest) else 'FAIL'}")

        real = real_path("pages", [first, second], args.pages, folder / "archive")
        print(f"real capture path (capture_many into an archive, 2 hosts, 2 workers, no pause): "
              f"{args.pages} pages in {real['seconds']:.2f} s, {args.pages / real['seconds']:.1f} pages/s, "
              f"{real['outcome']}; peak memory {real['peak_kib'] / 1024:.0f} MiB")
        big = real_path("big", [f"{first}/big/{args.mib}"], 1, folder / "archive-big")
        big_peak = big["peak_kib"] / 1024
        print(f"real capture path, one {args.mib} MiB response (capture_url): {big['seconds']:.2f} s, "
              f"peak memory {big_peak:.0f} MiB (goal ≤ 100 MB: "
              f"{'met' if big_peak * 1.048576 <= 100 else 'MISSED'}); outcome: {big['outcome']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
