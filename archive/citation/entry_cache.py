"""Formatted citations remembered across runs, so citeproc-js formats an unchanged entry once.

citeproc-js spends a few milliseconds of its own rendering on every entry and a second building a
big style (bench/bench_citations.py), and that work is the same every time for the same input. So
what it returned is kept in a small SQLite file in ``$ARCHIVE_CACHE_DIR`` (default
``~/.cache/article-archive``, where the archive keeps its other verdicts; delete it at will),
keyed by everything the output depends on:

- the CSL-JSON given to the engine, serialised exactly as it is passed (so the archive's name, the
  bag being cited and every field are part of the key);
- the style's XML and the locale tag;
- the engine: the bytes of ``engine/citeproc.js`` and ``engine/bridge.js``, the source patches
  (``citeproc_js.SOURCE_PATCHES``), and the name, size and
  modification time of every locale file citeproc-py ships.

Two kinds of entry: ``each`` (one item formatted alone: a bag-info label, a record's citation) and
``bib`` (a whole bibliography: its items in order give one key, since sorting and disambiguation
make every entry depend on all the others). A hit is the engine's own earlier string, so the
output is unchanged; a file that cannot be read or written only means the engine runs.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from functools import cache
from pathlib import Path

from archive.resources import cache_dir

SCHEMA = "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, text TEXT NOT NULL)"
FILE_NAME = "citations-v1.sqlite"
MAX_BYTES = 128 * 1024 * 1024
"""Past this size the cache is emptied and starts again (every entry can be formatted anew), so
many exports of changing selections never fill the disk."""


def cache_path() -> Path:
    return cache_dir() / FILE_NAME


@cache
def engine_fingerprint() -> str:
    """What, besides the style and the items, decides citeproc-js's output in this installation."""
    from archive.citation.citeproc_js import CITEPROC_VERSION, ENGINE_DIR, SOURCE_PATCHES, locale_files

    digest = hashlib.sha256(CITEPROC_VERSION.encode())
    digest.update(repr(SOURCE_PATCHES).encode())
    for name in ("citeproc.js", "bridge.js"):
        digest.update((ENGINE_DIR / name).read_bytes())
    for tag, path in locale_files().items():
        stat = path.stat()
        digest.update(f"\0{tag}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _prefix(kind: str, style_xml: str, lang: str) -> bytes:
    style = hashlib.sha256(style_xml.encode("utf-8")).hexdigest()
    return f"{kind}\0{engine_fingerprint()}\0{style}\0{lang}\0".encode()


def _key(prefix: bytes, payload: object) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(prefix + text.encode("utf-8")).hexdigest()


def _connect() -> sqlite3.Connection | None:
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=5)
        db.execute(SCHEMA)
        return db
    except (OSError, sqlite3.Error):
        return None


def _lookup(db: sqlite3.Connection | None, keys: list[str]) -> dict[str, str]:
    if db is None or not keys:
        return {}
    found: dict[str, str] = {}
    try:
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = db.execute(f"SELECT key, text FROM entries WHERE key IN ({marks})", part).fetchall()
            found.update((key, text) for key, text in rows if isinstance(text, str))  # else: format again
    except sqlite3.Error:
        return {}
    return found


def _store(db: sqlite3.Connection | None, rows: list[tuple[str, str]]) -> None:
    if db is None or not rows:
        return
    try:
        if cache_path().stat().st_size > MAX_BYTES:
            with db:
                db.execute("DELETE FROM entries")
            db.execute("VACUUM")
        with db:
            db.executemany("INSERT OR REPLACE INTO entries (key, text) VALUES (?, ?)", rows)
    except (OSError, sqlite3.Error):
        pass  # a read-only or busy cache: the strings were still formatted


def each(
    style_xml: str, lang: str, items: list[dict], compute: Callable[[list[dict]], list[str]]
) -> list[str]:
    """``compute(items)`` (each item formatted alone), asking the engine only for the items not
    remembered; duplicates in one call are formatted once."""
    prefix = _prefix("each", style_xml, lang)
    keys = [_key(prefix, item) for item in items]
    db = _connect()
    try:
        known = _lookup(db, keys)
        missing: dict[str, dict] = {}
        for key, item in zip(keys, items, strict=True):
            if key not in known:
                missing.setdefault(key, item)
        if missing:
            texts = compute(list(missing.values()))
            fresh = dict(zip(missing, texts, strict=True))
            _store(db, list(fresh.items()))
            known.update(fresh)
        return [known[key] for key in keys]
    finally:
        if db is not None:
            db.close()


def bibliography(
    style_xml: str,
    lang: str,
    items: list[dict],
    compute: Callable[[list[dict]], list[tuple[str, str]]],
) -> list[tuple[str, str]]:
    """``compute(items)`` (one bibliography of all the items), or the same list remembered."""
    key = _key(_prefix("bib", style_xml, lang), items)
    db = _connect()
    try:
        known = _lookup(db, [key]).get(key)
        if known is not None:
            try:
                return [(str(entry_id), str(text)) for entry_id, text in json.loads(known)]
            except (ValueError, TypeError):
                pass  # a damaged row: format again and replace it
        result = compute(items)
        _store(db, [(key, json.dumps(result, ensure_ascii=False))])
        return result
    finally:
        if db is not None:
            db.close()
