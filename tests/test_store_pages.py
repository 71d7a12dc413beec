"""``store.search_text_pages``: the summaries a shard at a time, each beside the text search
looks in, read lazily, so the TUI shows its first screen before the rest is read."""

from __future__ import annotations

from pathlib import Path

from helpers import fill_catalogue

from archive.layout import open_archive
from archive.store.index import haystack


def test_pages_hold_every_summary_in_order_with_its_search_text(archive_root: Path):
    ids = fill_catalogue(archive_root, 600)  # shards of 256: 256, 256, 88
    store = open_archive(archive_root).store
    pages = store.search_text_pages()
    rows, texts = next(pages)
    assert [r["id"] for r in rows] == ids[:256]
    assert sum(index._rows is not None for index in store._index.values()) == 1  # the others unread
    for more_rows, more_texts in pages:
        rows, texts = rows + more_rows, texts + more_texts
    assert rows == store.summaries()
    assert texts == [haystack(row) for row in rows]  # the very text store.search matches
    words = ("report", "1", "strikes")
    hits = [row for row, text in zip(rows, texts, strict=True) if all(w in text for w in words)]
    assert hits == store.search(" ".join(words))


def test_an_empty_catalogue_has_no_pages(archive_root: Path):
    assert list(open_archive(archive_root).store.search_text_pages()) == []
