"""The archive's clock and its one timestamp form.

Every timestamp the archive writes (``created_at``, ``bagged_at``, events, fixity checks) is UTC
to the second in one form, the one the schemas require. The clock reads $SOURCE_DATE_EPOCH when
it is set, so demos, snapshots and tests can fix the time. This module sits below everything
else: it imports nothing of the archive.
"""

from __future__ import annotations

import os
import time

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""``2026-11-30T01:02:03Z``: UTC to the second, the form the schemas require."""


def now_epoch() -> float:
    """The time, or $SOURCE_DATE_EPOCH when set, so demos and snapshots can be reproduced."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH")
    if fixed and fixed.isdigit():
        return float(fixed)
    return time.time()


def format_utc(epoch: float) -> str:
    """``epoch`` (seconds since 1970) in the archive's timestamp form."""
    return time.strftime(UTC_FORMAT, time.gmtime(epoch))


def now_utc() -> str:
    """The archive's clock (see ``now_epoch``) in the archive's timestamp form."""
    return format_utc(now_epoch())
