"""The summary index: the few fields that listing and search need, for every record, in memory.

Holding 100,000 full records in memory costs gigabytes (design.md: 1.6 GB through TinyDB). The
index keeps one small summary per record instead, stored per shard beside the shard it describes.
Each index file remembers the stamp of its shard; when they disagree (a writer was killed between
the two renames) the index file is rebuilt from the shard, which is the truth.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from archive.creators import format_creator
from archive.records import changed_since_bag, check_mode, full_check_at, serial_of
from archive.store.shard import FileStamp

SEARCH_FIELDS = ("id", "title", "creators", "publication", "subjects", "references")
INDEX_FORMAT = 2
"""Bumped whenever ``summarize`` gains or changes a field (2: fixity mode, last full check, serial),
so an index written by an older version is rebuilt from its shard instead of lacking them."""


def summarize(record: dict) -> dict[str, Any]:
    """The summary row of a record: what the table shows and what search looks at."""
    bags = record.get("bags") or []
    last_bag = bags[-1] if bags else None
    fixity = last_bag.get("last_fixity") if last_bag else None
    return {
        "id": record["id"],
        "title": record.get("title", ""),
        "creators": "; ".join(format_creator(c) for c in record.get("creators") or []),
        "publication": record.get("container_title") or record.get("publisher") or "",
        "issued": record.get("issued", ""),
        "status": record.get("status", ""),
        "subjects": "; ".join(record.get("subjects") or []),
        "references": "; ".join(r["name"] for r in record.get("references") or []),
        "bag_version": last_bag["version"] if last_bag else 0,
        "changed_since_bag": changed_since_bag(record),
        "fixity_at": fixity["at"] if fixity else "",
        "fixity_outcome": fixity["outcome"] if fixity else "",
        "fixity_mode": check_mode(fixity),
        "fixity_full_at": full_check_at(fixity),
        "sha256": (record.get("source") or {}).get("sha256", ""),
        "revision": record["revision"],
        "serial": serial_of(record),
        "updated_at": record.get("updated_at", ""),
    }


@dataclass
class IndexShard:
    """One index file: the summaries of one shard and the shard stamp they were made from.

    ``hay`` joins every row's search text with newlines (which no field may contain), so a search
    scans one string per shard with ``str.find`` instead of looping over 100,000 small strings.
    """

    stamp: FileStamp | None
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    hay: str = ""
    ids: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ids = list(self.rows)
        if not self.hay and self.rows:
            self.hay = "\n".join(haystack(row) for row in self.rows.values())
        self.starts = [0]
        for line in self.hay.split("\n")[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def dumps(self) -> bytes:
        return orjson.dumps({"format": INDEX_FORMAT, "shard_stamp": self.stamp, "rows": self.rows,
                             "hay": self.hay})

    @classmethod
    def load(cls, path: Path) -> IndexShard | None:
        """None when the file is missing or unreadable: the caller rebuilds it from the shard."""
        try:
            data = orjson.loads(path.read_bytes())
            if data.get("format") != INDEX_FORMAT:
                return None  # written by another version: its rows may lack fields
            stamp = tuple(data["shard_stamp"]) if data["shard_stamp"] else None
            rows, hay = data["rows"], data.get("hay", "")
            if not isinstance(hay, str) or not all(isinstance(r, dict) for r in rows.values()):
                return None
            index = cls(stamp=stamp, rows=rows, hay=hay)  # type: ignore[arg-type]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError):
            return None  # a cache of the wrong shape is rebuilt, never trusted
        return index if len(index.starts) == len(index.ids) or not index.ids else None

    def matching(self, words: list[str]) -> list[dict[str, Any]]:
        """Rows whose search text holds every word, in accession order."""
        if not words or not self.ids:
            return list(self.rows.values()) if not words else []
        text = self.hay
        if any(w not in text for w in words):  # most shards are ruled out by one C-speed scan
            return []
        first = max(words, key=len)  # the longest word is usually the rarest: walk its hits
        rest = [w for w in words if w != first]
        starts, hits = self.starts, []
        end = len(text)
        pos = text.find(first)
        while pos != -1:
            i = bisect_right(starts, pos) - 1
            row_end = starts[i + 1] - 1 if i + 1 < len(starts) else end
            if all(text.find(w, starts[i], row_end) != -1 for w in rest):
                hits.append(self.rows[self.ids[i]])
            pos = text.find(first, row_end + 1)
        return hits


def haystack(row: dict[str, Any], fields: tuple[str, ...] = SEARCH_FIELDS) -> str:
    """The lower-cased text a search looks in; fields joined by a separator no query contains."""
    return "\x1f".join(str(row.get(f, "")) for f in fields).casefold().replace("\n", " ")
