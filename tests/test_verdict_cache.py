"""The remembered verdicts (archive/schema.py ``_Remembered``) are written a bounded number of
times however many new values a run meets: a full verify of 10,000 records with their own URLs
rewrote the whole 200 KB file once per record (2 GB of writes for a 100 MB catalogue)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from archive import schema


def _writes_counted(monkeypatch) -> list[str]:
    written: list[str] = []
    real_replace = os.replace

    def counting_replace(src, dst, *args, **kwargs):
        written.append(str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(schema.os, "replace", counting_replace)
    return written


def test_a_thousand_new_verdicts_are_written_a_few_times_and_all_kept(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_CACHE_DIR", str(tmp_path / "cache"))
    written = _writes_counted(monkeypatch)
    remembered = schema._Remembered("uri", "rfc3987", "rfc3987.py")
    for n in range(1000):
        remembered.put(f"https://news.example.org/{n}", ["https", True])
    assert 1 <= len(written) <= 3, len(written)
    remembered.flush()
    [kept] = (tmp_path / "cache").glob("uri-verdicts-*.json")
    assert len(json.loads(kept.read_text())) == 1000
    remembered.flush()  # nothing new: nothing written again
    assert len(written) <= 4


def test_verdicts_put_late_in_a_run_reach_the_file_when_the_process_exits(tmp_path: Path):
    cache = tmp_path / "cache"
    script = (
        "from archive import schema\n"
        "for n in range(300):\n"
        "    schema._URI_VERDICTS.put(f'https://news.example.org/{n}', ['https', True])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "ARCHIVE_CACHE_DIR": str(cache)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [kept] = cache.glob("uri-verdicts-*.json")
    assert len(json.loads(kept.read_text())) == 300
