"""A verify's fixity results update only the fixity fields of each summary row (the commit skips
summarizing, and so fingerprinting, every record again); the rows must still be exactly what
``summarize`` makes of the records as written."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from archive.layout import open_archive
from archive.store.catalog_store import _only_fixity_differs, fixity_refreshed
from archive.store.index import summarize

STATES = [
    None,
    {"at": "2026-11-30T10:00:00Z", "outcome": "success", "fast": False, "full_at": "2026-11-30T10:00:00Z"},
    {"at": "2026-11-30T11:00:00Z", "outcome": "failure", "fast": True, "full_at": "2026-11-29T10:00:00Z"},
    {"at": "2026-11-30T12:00:00Z", "outcome": "warning", "fast": True},
]


def _rows_match_records(root: Path) -> int:
    arc = open_archive(root)
    ids = arc.store.ids()
    records = arc.store.records_of(ids)
    for record_id in ids:
        assert arc.store.summary(record_id) == summarize(records[record_id]), record_id
    return len(ids)


@pytest.mark.parametrize("before", STATES)
@pytest.mark.parametrize("after", STATES[1:])
@pytest.mark.parametrize("status", ["", "other"])
def test_refreshed_row_equals_a_fresh_summary(bagged_root: Path, before, after, status):
    arc = open_archive(bagged_root)
    (record_id,) = arc.store.ids()
    old = arc.store.get(record_id)
    if before is None:
        old["bags"][-1].pop("last_fixity", None)
    else:
        old["bags"][-1]["last_fixity"] = before
    new = copy.deepcopy(old)
    new["bags"][-1]["last_fixity"] = after
    new["serial"] = old.get("serial", 1) + 1
    if status:
        new["status"] = "bagged" if old.get("status") != "bagged" else "catalogued"
    assert _only_fixity_differs(old, new)
    assert fixity_refreshed(summarize(old), new) == summarize(new)


def test_other_bag_changes_are_not_taken_for_fixity_only(bagged_root: Path):
    arc = open_archive(bagged_root)
    (record_id,) = arc.store.ids()
    old = arc.store.get(record_id)
    for change in ("metadata_sha256", "path"):
        new = copy.deepcopy(old)
        new["bags"][-1][change] = "x"
        assert not _only_fixity_differs(old, new)
    new = copy.deepcopy(old)
    new["bags"].append(dict(new["bags"][-1], version=2))
    assert not _only_fixity_differs(old, new)
    new = copy.deepcopy(old)
    new["last_fixity"] = STATES[1]
    assert not _only_fixity_differs(old, new)


def test_rows_after_verify_and_fast_verify_equal_fresh_summaries(cli, bagged_root: Path):
    assert cli("--root", bagged_root, "verify").code == 0
    assert _rows_match_records(bagged_root) == 1
    assert cli("--root", bagged_root, "verify", "--fast").code == 0
    assert _rows_match_records(bagged_root) == 1
