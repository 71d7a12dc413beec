"""Deposit and ingest: bags leave the archive as tar/tar.gz/zip checked against a BagIt profile,
and bags made elsewhere come in only after safe extraction and full validation.
"""

from __future__ import annotations

from archive.deposit.deposit import Deposited, DepositReport, deposit_records
from archive.deposit.ingest import IngestRefused, ingest
from archive.deposit.profile import check_profile, load_profile
from archive.deposit.unpack import Limits
from archive.deposit.verify import verify_bag

__all__ = [
    "DepositReport",
    "Deposited",
    "IngestRefused",
    "Limits",
    "check_profile",
    "deposit_records",
    "ingest",
    "load_profile",
    "verify_bag",
]
