"""Full validation of a bag, as reasons an archivist can read: the archive's own RFC 8493
validator (every changed, missing, untracked or unsafe file named), and bagit's opinion beside it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import bagit

from archive.fixity import validate_bag


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


def verify_bag(bag: Path, *, with_bagit: bool = True) -> list[str]:
    """Every reason the bag is not valid (empty when it is); errors only, warnings are fine."""
    result = validate_bag(bag)
    reasons = [p.line() for p in result.errors()]
    if with_bagit and not reasons:
        reasons += _bagit_reasons(bag)
    return reasons
