"""A batch capture's journal, so a killed batch resumes without capturing a URL twice.

A batch (more than one URL) keeps ``staging/captures/<key>.jsonl``, where ``key`` is a digest of
its URL list: the same command run again finds it. The first line holds the highest record
number when the batch began; after each record is committed, one line names its URL and id
(appended and fsynced). When the batch reaches its end the journal is removed, so a later run of
the same list captures afresh.

A kill can fall between a record's commit and its journal line. So on resume the records numbered
after the batch's start are read too: each capture event carries the batch key and the URL
requested, and a URL found there counts as captured. The journal's folder name holds no process
id, so the stale-work-folder clean-up in ``staging/`` leaves it alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading

import orjson

from archive.errors import ArchiveError
from archive.ids import sequence_of
from archive.layout import Archive

FOLDER = "captures"


def batch_key(urls: list[str]) -> str:
    return hashlib.sha256("\n".join(urls).encode("utf-8")).hexdigest()[:32]


class Journal:
    """What a batch has captured so far, and the file that remembers it across a kill."""

    def __init__(self, arc: Archive, urls: list[str]):
        self.arc = arc
        self.key = batch_key(urls)
        self.path = arc.staging_dir / FOLDER / f"{self.key}.jsonl"
        self.done: dict[str, str] = {}
        self.resumed = False
        self._lock = threading.Lock()

    def open(self) -> None:
        """Read a killed run's journal (and its unjournalled records), or start a new one."""
        if self.path.exists():
            self.resumed = True
            start = self._read()
            self._scan_records_after(start)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._append({"start": _last_number(self.arc)})

    def _read(self) -> int:
        start = 0
        try:
            lines = self.path.read_bytes().splitlines()
        except OSError as exc:
            raise ArchiveError(f"cannot read the capture journal {self.path}: {exc.strerror}") from None
        for line in lines:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a line torn by the kill
            if isinstance(entry, dict) and isinstance(entry.get("start"), int):
                start = entry["start"]
            elif isinstance(entry, dict) and isinstance(entry.get("url"), str):
                self.done[entry["url"]] = str(entry.get("id", ""))
        return start

    def _scan_records_after(self, start: int) -> None:
        """Records committed after the batch began whose journal line the kill prevented."""
        for record_id in self.arc.store.ids():
            try:
                if sequence_of(record_id) <= start:
                    continue
            except ArchiveError:
                continue
            for event in self.arc.store.events(record_id):
                facts = event.get("outcome_detail")
                if isinstance(facts, dict) and facts.get("batch") == self.key and facts.get("batch_url"):
                    self.done.setdefault(str(facts["batch_url"]), record_id)

    def record(self, url: str, record_id: str) -> None:
        with self._lock:
            self.done[url] = record_id
            self._append({"url": url, "id": record_id})

    def _append(self, entry: dict) -> None:
        with open(self.path, "ab") as out:
            out.write(orjson.dumps(entry) + b"\n")
            out.flush()
            os.fsync(out.fileno())

    def finish(self) -> None:
        """The batch reached its end: forget it."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            self.path.parent.rmdir()


def _last_number(arc: Archive) -> int:
    numbers = []
    for record_id in arc.store.ids():
        with contextlib.suppress(ArchiveError):
            numbers.append(sequence_of(record_id))
    return max(numbers, default=0)


__all__ = ["Journal", "batch_key"]
