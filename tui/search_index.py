"""Search as you type over the catalogue's summaries, fast enough for every keystroke.

The library's ``store.search`` walks every shard per call (about 1 µs a record); typing needs
less than 100 ms at 100,000 records. This keeps the records' haystacks (made by the library's
own ``haystack``, so hits are the same) in accession order, and narrows the previous hits when
the query only grew, which is what typing does.
"""

from __future__ import annotations

from typing import Any

from archive.store.index import haystack

CACHE_LIMIT = 64


class SearchIndex:
    """Every summary row with its lower-cased haystack; rebuilt when the catalogue changes."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.pairs = [(haystack(row), row) for row in rows]
        self._cache: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def search(self, query: str) -> list[dict[str, Any]]:
        """Rows holding every word of ``query``, case-insensitively, in accession order."""
        key = " ".join(query.casefold().split())
        if not key:
            return [row for _, row in self.pairs]
        found = self._cache.get(key)
        if found is None:
            found = self._narrow(key)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return [row for _, row in found]

    def _narrow(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        """Start from the hits of the longest cached query this one extends, else from all rows."""
        base = self.pairs
        for cut in range(len(key) - 1, 0, -1):
            if key[:cut] in self._cache:
                base = self._cache[key[:cut]]
                break
        pool = base
        for word in key.split():
            pool = [pair for pair in pool if word in pair[0]]
        return pool
