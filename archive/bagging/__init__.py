"""Bagging: every record version as an RFC 8493 (BagIt 1.0) bag, built in staging, moved in whole.

``bag_records(arc, ids, progress)`` is the one entry point the CLI, the TUI and the demo use.
The bag is made by ``bagit.make_bag`` in worker processes; ``build`` stages its payload and closes
the gaps bagit 1.9.0 leaves (version 0.97, ``%``, manifests, symlinks); ``service`` runs the pool.
"""

from __future__ import annotations

from archive.bagging.build import PROFILE_ID
from archive.bagging.service import BagResult, bag_records, next_version
from archive.bagit_format.paths import decode_path, encode_path, payload_name

__all__ = [
    "PROFILE_ID",
    "BagResult",
    "bag_records",
    "decode_path",
    "encode_path",
    "next_version",
    "payload_name",
]
