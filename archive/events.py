"""PREMIS-shaped events with the id.loc.gov preservation vocabulary.

Every change and every check is logged, so an archive can always answer who did what, when, with
which outcome. Labels and URIs are both stored: the label for people, the URI for machines.
"""

from __future__ import annotations

import getpass
import uuid
from typing import Any

from archive import __version__
from archive.clock import now_utc

VOCAB = "http://id.loc.gov/vocabulary/preservation"

EVENT_TYPES = {
    "cap": "capture",
    "acc": "accession",
    "mes": "message digest calculation",
    "val": "validation",
    "ipc": "information package creation",
    "fix": "fixity check",
    "mem": "metadata modification",
    "tra": "transfer",
    "dea": "deaccession",
    "del": "deletion",
    "rep": "replication",
    "rec": "recovery",
}
OUTCOMES = {"suc": "success", "fai": "failure", "war": "warning"}
OUTCOME_CODES = {label: code for code, label in OUTCOMES.items()}


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def make_event(
    code: str,
    record_id: str,
    *,
    outcome: str = "success",
    detail: str = "",
    outcome_detail: dict[str, Any] | str | None = None,
    bag_version: int | None = None,
) -> dict[str, Any]:
    """An event dict valid against schemas/event.schema.json."""
    outcome_code = OUTCOME_CODES[outcome]
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": {"label": EVENT_TYPES[code], "uri": f"{VOCAB}/eventType/{code}"},
        "at": now_utc(),
        "record_id": record_id,
        "outcome": {"label": outcome, "uri": f"{VOCAB}/eventOutcome/{outcome_code}"},
        "detail": detail,
        "agents": [
            {"name": f"article-archive {__version__}", "role": "executing program"},
            {"name": current_user(), "role": "implementer"},
        ],
    }
    if outcome_detail is not None:
        event["outcome_detail"] = outcome_detail
    if bag_version is not None:
        event["bag_version"] = bag_version
    return event
