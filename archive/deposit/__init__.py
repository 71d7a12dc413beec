"""Deposit and ingest: bags leave the archive as tar/tar.gz/zip checked against a BagIt profile,
and bags made elsewhere come in only after safe extraction and full validation.

The names below are loaded when first used: ``archive validate-bag`` needs archive.deposit.verify
alone, and Python runs this file before it, which loaded deposit, ingest and profile checking
(about 70 ms of every validation) when it imported them all.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.deposit.deposit import Deposited, DepositReport, deposit_records
    from archive.deposit.ingest import IngestRefused, ingest
    from archive.deposit.profile import check_profile, load_profile
    from archive.deposit.unpack import Limits
    from archive.deposit.verify import verify_bag

_HOME = {
    "DepositReport": "deposit", "Deposited": "deposit", "deposit_records": "deposit",
    "IngestRefused": "ingest", "ingest": "ingest",
    "check_profile": "profile", "load_profile": "profile",
    "Limits": "unpack",
    "verify_bag": "verify",
}
"""Each name this package gives, and the module of the package it lives in."""

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


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    importlib.import_module(f"{__name__}.{_HOME[name]}")  # _Package binds its names
    return globals()[name]


class _Package(types.ModuleType):
    """Binds a submodule's names here as it loads, whoever loads it: Python then sets this
    package's attribute of the submodule's name (``ingest``) to the submodule, and the function
    of that name must win, as it did when this file imported them all."""

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}":
            for given, home in _HOME.items():
                if home == name:
                    super().__setattr__(given, getattr(value, given))


sys.modules[__name__].__class__ = _Package
