"""A batch capture killed with SIGKILL at random moments, run again, captures every URL exactly once.

The pages (/fresh/<n>) differ on every visit, as pages with a clock or ads do, so the duplicate
check cannot hide a URL captured twice: only the batch's journal (and, for a kill between a
record's commit and its journal line, the capture events it scans) can. The moments are gates
(tests/killgate.py): the CLI stops before and after every rename (the WARC moved into its work
folder, each source file made whole, the catalogue's shard and index) and is killed while held at
the n-th, n drawn from the seed (ARCHIVE_TEST_SEED replays a run).
"""

from __future__ import annotations

import collections
import os
import random
import subprocess
from pathlib import Path

from helpers import ARCHIVE_BIN, replay_seed
from killgate import Event, KillGate
from servers.http_pages import serve_pages

from archive.layout import open_archive

PAGES = 6
KILLS = 4


def start_capture(root: Path, listing: Path, gate: KillGate) -> subprocess.Popen:
    env = gate.env({**os.environ, "ARCHIVE_NO_PROGRESS": "1"})
    env.pop("ARCHIVE_ROOT", None)
    return subprocess.Popen(
        [str(ARCHIVE_BIN), "--root", str(root), "capture", "--allow-private", "--delay", "0",
         "--workers", "2", "--from-file", str(listing)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def captured_urls(root: Path) -> collections.Counter:
    arc = open_archive(root)
    return collections.Counter(arc.store.get(record_id).get("url") for record_id in arc.store.ids())


def test_a_killed_batch_resumes_without_duplicates(cli, archive_root, tmp_path):
    seed = replay_seed("capture resume SIGKILL test")
    rng = random.Random(seed)
    with serve_pages() as server, KillGate() as gate:
        urls = [server.url(f"/fresh/{n}") for n in range(PAGES)]
        listing = tmp_path / "urls.txt"
        listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
        for kill in range(KILLS):
            # even kills: just after the n-th record's commit, before its journal line (the gap
            # the capture events cover); odd kills: at any gate of the run
            after_commit = kill % 2 == 0
            nth = rng.randint(1, 2) if after_commit else rng.randint(1, 60)
            where = f"seed {seed}, kill {kill} at {'commit' if after_commit else 'gate'} {nth}"
            process = start_capture(archive_root, listing, gate)
            seen = 0

            def kill_here(event: Event, nth=nth, pid=process.pid, after_commit=after_commit) -> bool:
                nonlocal seen
                if event.pid != pid:
                    return False
                if not after_commit or (event.phase == "after" and "/catalog/records/" in event.paths[-1]):
                    seen += 1
                return seen == nth

            event = gate.run(process, kill_here, timeout=300)
            where += f" ({event})" if event else f" (the run ended first, exit {process.returncode})"
            counts = captured_urls(archive_root)
            assert all(counts[url] <= 1 for url in urls), f"{where}: {counts}"
            if event is None:  # the batch finished (and forgot its journal: a new run starts afresh)
                assert process.returncode == 0, where
                break
        else:
            result = cli("--root", archive_root, "capture", "--allow-private", "--delay", "0",
                         "--from-file", listing)
            assert result.code == 0, f"seed {seed}, the run after the kills: {result!r}"
        where = f"seed {seed}, after the kills"
        counts = captured_urls(archive_root)
        assert [counts[url] for url in urls] == [1] * PAGES, f"{where}: {counts}"
        assert not (archive_root / "staging" / "captures").exists(), where
    verified = cli("--root", archive_root, "verify")
    assert verified.code == 0, f"seed {seed}: {verified!r}"
