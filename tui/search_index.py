"""The catalogue's rows as the TUI lists and searches them: read once, a shard at a time, then
searched again at every keystroke, in chunks a worker thread can stop between.

The library's ``store.search`` walks every shard's search text per call (60-200 ms at 100,000
records, whatever the query); typing adds a letter at a time, so this keeps every row beside that
same text (``store.search_text_pages``: the hits are the library's) and narrows the hits of the
query typed before when the new one only grew, which costs a few milliseconds.

The rows are read the first time they are listed, by whichever worker gets there first: a page at
a time under a lock, kept for the next search, so a search cancelled half-way leaves what it read
for the next keystroke's. A catalogue changed on disk gets a new index (``MainScreen``).

100,000 summaries are a few hundred thousand long-lived objects, and each full pass of Python's
cyclic garbage collector walks them all while every thread waits: 150-600 ms pauses were measured
while the catalogue was read, and later ones in the middle of typing. They hold no reference
cycles (refcounting frees them), so as they are read they are moved out of the collector's sight
(``gc.freeze()``, every few pages and at the end, from ``FREEZE_FROM`` rows on).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

Row = dict[str, Any]
Pair = tuple[str, Row]
Pages = Callable[[], Iterator[tuple[list[Row], list[str]]]]

CHUNK = 2048
"""Rows tested between two chances to stop (well under a millisecond of work)."""
CACHE_LIMIT = 64
"""Finished searches kept to narrow from; typing a long query backwards and forwards stays fast."""
FREEZE_EVERY = 16
"""Pages read between two ``gc.freeze()`` calls (see ``_read_page``)..."""
FREEZE_FROM = 20_000
"""...once this many rows are read: a smaller catalogue costs the collector little, and freezing
also keeps whatever cyclic garbage exists at that moment for good (a test process runs many apps)."""


def search_key(query: str) -> str:
    """The query as compared: case-folded words, single-spaced (the library folds the same way)."""
    return " ".join(query.casefold().split())


class SearchIndex:
    """Every summary row with its search text, in accession order, filled from ``pages`` on demand."""

    def __init__(self, pages: Pages) -> None:
        self._pages = pages
        self._source: Iterator[tuple[list[Row], list[str]]] | None = None
        self._pairs: list[Pair] = []
        self._complete = False
        self._lock = threading.Lock()
        """Guards the rows read so far and the finished searches (held for a moment only)."""
        self._reading = threading.Lock()
        """Held while the next shard is read, by one search at a time."""
        self._pages_read = 0
        self._cache: dict[str, list[Pair]] = {}

    def search(self, query: str) -> Iterator[list[Row]]:
        """The rows holding every word of ``query`` (all rows for none), in accession order, a
        chunk at a time (a chunk may be empty). Only a search run to its end is kept to narrow."""
        key = search_key(query)
        words = key.split()
        base = self._narrowest(key)
        found: list[Pair] = []
        for chunk in self._chunks(base):
            hits = chunk
            for word in words:  # one C-speed ``in`` per row and word, no generator per row
                hits = [pair for pair in hits if word in pair[0]]
            found.extend(hits)
            yield [row for _, row in hits]
        with self._lock:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found

    def finished_queries(self) -> set[str]:
        """The searches run to their end and kept (a cancelled one is not), as ``search_key``s."""
        with self._lock:
            return set(self._cache)

    def _narrowest(self, key: str) -> list[Pair] | None:
        """The hits of the longest finished query this one extends (typing only adds), else None."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            for cut in range(len(key) - 1, 0, -1):
                if key[:cut] in self._cache:
                    return self._cache[key[:cut]]
        return None

    def _chunks(self, base: list[Pair] | None) -> Iterator[list[Pair]]:
        if base is not None:
            for start in range(0, len(base), CHUNK):
                yield base[start:start + CHUNK]
            return
        done = 0
        while True:
            with self._lock:
                chunk = self._pairs[done:done + CHUNK]
            if not chunk and not self._read_page(done):
                return
            done += len(chunk)
            yield chunk

    def _read_page(self, known: int) -> bool:
        """Read the next shard's rows into the index unless another search did while this one
        waited (it had seen ``known`` rows); False when every row is read. One reader at a time
        (the pages come from one iterator); searches go on over the rows read meanwhile."""
        with self._reading:
            with self._lock:
                if len(self._pairs) > known:
                    return True
            if self._complete:
                return False
            if self._source is None:
                self._source = self._pages()
            for rows, texts in self._source:
                if rows:
                    with self._lock:
                        self._pairs.extend(zip(texts, rows, strict=True))
                    self._pages_read += 1
                    if self._pages_read % FREEZE_EVERY == 0:
                        self._freeze()
                    return True
            self._complete = True
            self._freeze()
            return False

    def _freeze(self) -> None:
        if len(self._pairs) >= FREEZE_FROM:
            gc.freeze()
