"""Synthetic catalogues for the benchmarks: realistic ~3 KB records, built fast.

Records are written through the real Store (validated, sharded, atomic), 256 to a transaction,
so a 100,000-record catalogue takes about a minute instead of hours of single adds.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from pathlib import Path

from archive.ids import format_id
from archive.layout import Archive, init_archive

WORDS = [
    "ambassador", "gallery", "ankara", "shooting", "report", "minister", "foreign", "policy",
    "election", "council", "harbour", "museum", "archive", "river", "bridge", "festival", "court",
    "ruling", "economy", "market", "strike", "climate", "flood", "school", "hospital", "railway",
    "parliament", "treaty", "summit", "protest", "library", "novel", "theatre",
]
PUBLICATIONS = ["The New York Times", "Los Angeles Times", "The Daily Beast", "The Guardian",
                "Le Monde", "Der Spiegel", "The Atlantic", "Reuters", "Associated Press"]
FAMILIES = ["Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Haddad", "Ivanova", "Tanaka"]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def make_record(arc: Archive, sequence: int, rng: random.Random) -> dict:
    """One record of about 3 KB of JSON, valid against the schema."""
    text_digest = hashlib.sha256(str(sequence).encode()).hexdigest()
    return {
        "id": format_id(arc.settings.id_prefix, sequence),
        "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
        "type": "article-newspaper",
        "title": f"{sentence(rng, 8)} {sequence}",
        "creators": [{"family": rng.choice(FAMILIES), "given": "Alex"}, {"literal": "Staff"}],
        "container_title": rng.choice(PUBLICATIONS),
        "publisher": "Example Media",
        "issued": f"{rng.randint(1990, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "url": f"https://news.example.org/{sequence}",
        "language": "en",
        "abstract": sentence(rng, 300),
        "subjects": [sentence(rng, 3), sentence(rng, 2)],
        "keywords": [rng.choice(WORDS) + str(i) for i in range(3)],
        "references": [{"name": rng.choice(PUBLICATIONS), "kind": "publication", "mentions": 1}],
        "rights": {"statement_uri": "http://rightsstatements.org/vocab/InC/1.0/"},
        "provenance": {"acquisition": "web capture", "catalogued_by": "bench"},
        "source": {"filename": f"article-{sequence}.txt", "media_type": "text/plain",
                   "encoding": "utf-8", "size": 2341, "sha256": text_digest,
                   "sha512": hashlib.sha512(str(sequence).encode()).hexdigest(),
                   "word_count": 384},
        "status": "catalogued",
        "revision": 1,
    }


def build_catalogue(root: Path, count: int, seed: int = 7) -> Archive:
    """An archive at ``root`` holding ``count`` synthetic records (metadata only, no texts)."""
    arc = init_archive(root)
    rng = random.Random(seed)
    for start in range(0, count, 256):
        with arc.store.transaction() as tx:
            for sequence in tx.reserve_sequences(min(256, count - start)):
                tx.insert(make_record(arc, sequence, rng))
    return arc
