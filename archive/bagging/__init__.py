"""Bagging: every record version as an RFC 8493 (BagIt 1.0) bag, built in staging, moved in whole.

``bag_records(arc, ids, progress)`` is the one entry point the CLI, the TUI and the demo use.
The bag is made by ``bagit.make_bag`` in worker processes: ``build`` is the worker's entry point,
``contents`` says what a bag holds, ``payload`` stages it, ``bagit_patches`` holds the run-time
patches to bagit's private functions, ``conform`` closes the gaps bagit 1.9.0 leaves (version 0.97,
``%``, manifests); ``service`` runs the pool and records the bags, ``adopt`` takes in a bag a
killed run left. The BagIt format itself lives in ``archive.bagit_format``.
"""

from __future__ import annotations

from archive.bagging.contents import PROFILE_ID
from archive.bagging.service import BaggingResult, bag_records, next_version
from archive.bagit_format.paths import decode_path, encode_path, payload_name

__all__ = [
    "PROFILE_ID",
    "BaggingResult",
    "bag_records",
    "decode_path",
    "encode_path",
    "next_version",
    "payload_name",
]
