"""Fixity: is anything in the archive changed, missing or tampered with, and which records.

``validate_bag`` checks any bag made anywhere (RFC 8493, hostile-safe); the archive-wide checks,
audit and reports build on it.
"""

from archive.fixity.bagcheck import BagCheckResult, validate_bag
from archive.fixity.problems import Problem

__all__ = ["BagCheckResult", "Problem", "validate_bag"]
