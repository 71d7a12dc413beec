"""Full validation of a bag, as reasons an archivist can read: the archive's own RFC 8493
validator (every changed, missing, untracked or unsafe file named), and bagit's opinion beside it.

A packaged bag (.tar, .tar.gz, .zip) is validated by unpacking it with ingest's protections into a
private temporary folder outside any archive, which is removed afterwards: nothing is written into
an archive, and a hostile member is refused before a byte of it lands anywhere.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bagit

from archive.deposit.unpack import Limits, unpack
from archive.fixity import validate_bag
from archive.fixity.bagcheck import BagCheckResult


def _bagit_reasons(bag: Path) -> list[str]:
    """bagit 1.9.0's verdict. It never decodes ``%25`` in manifest paths (RFC 8493 says it must),
    so its missing/unexpected reports for names holding ``%`` are left to the archive's validator."""
    logging.getLogger("bagit").setLevel(logging.CRITICAL)
    try:
        bagit.Bag(str(bag)).validate()
    except bagit.BagValidationError as exc:
        details = [d for d in (exc.details or []) if "%" not in str(getattr(d, "path", ""))]
        if exc.details and not details:
            return []
        return [f"bagit: {d}" for d in details] or [f"bagit: {exc.message}"]
    except (bagit.BagError, OSError, UnicodeError, ValueError) as exc:
        return [f"bagit: {exc}"]
    return []


def check_bag(bag: Path, *, with_bagit: bool = True) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Every reason the bag is not valid (empty when it is), and the digests its manifests give
    for each payload file (``data/...`` -> {algorithm: digest}), all checked against the files."""
    result = validate_bag(bag)
    reasons = [p.line() for p in result.errors()]
    if with_bagit and not reasons:
        reasons += _bagit_reasons(bag)
    return reasons, result.digests


def verify_bag(bag: Path, *, with_bagit: bool = True) -> list[str]:
    """Every reason the bag is not valid (empty when it is); errors only, warnings are fine."""
    return check_bag(bag, with_bagit=with_bagit)[0]


def is_package(path: Path) -> bool:
    """True for a file (a .tar, .tar.gz or .zip, or anything else that is not a bag folder)."""
    return path.exists() and not path.is_dir()


@contextmanager
def unpacked(path: Path, limits: Limits | None = None) -> Iterator[Path]:
    """The bag inside the package at ``path``, unpacked into a private temporary folder (refusing
    hostile members with ``extract.Refused``); the folder is removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="archive-validate-") as tmp:
        yield unpack(path, Path(tmp), limits or Limits())


def validate_package(path: Path, *, fast: bool = False, limits: Limits | None = None) -> BagCheckResult:
    """Validate the bag inside a .tar, .tar.gz or .zip against RFC 8493, extracting nothing into
    any archive. Raises ``extract.Refused`` when the package itself is hostile or damaged."""
    with unpacked(path, limits) as bag:
        result = validate_bag(bag, fast=fast)
    result.path = str(path)
    return result
