"""The store's batch API (``Store.records_of``, ``Transaction.get_many``, ``update_many``,
``log_many``): what verify records a few hundred bags at a time. Each must answer and refuse
exactly as the one-record calls do, only with each shard read once."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from helpers import fill_catalogue

from archive.errors import RecordNotFoundError, StaleRecordError, StoreError, ValidationError
from archive.events import make_event
from archive.layout import open_archive
from archive.store.many import validate_many


def _shard_bytes(root: Path) -> dict[str, bytes]:
    folder = root / "catalog"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
            and p.parent.name in ("records", "history")}


def test_records_of_gives_what_get_gives_in_the_order_asked(archive_root: Path):
    ids = fill_catalogue(archive_root, 600)  # three shards
    store = open_archive(archive_root).store
    asked = [ids[599], ids[3], ids[300], ids[3], ids[0]]
    found = store.records_of(asked)
    assert list(found) == [ids[599], ids[3], ids[300], ids[0]]  # each once, first-asked order
    assert all(found[i] == store.get(i) for i in found)
    found[ids[3]]["title"] = "changed in the caller's copy only"
    assert store.get(ids[3])["title"] != found[ids[3]]["title"]
    assert store.records_of([]) == {}


def test_records_of_names_the_first_missing_id_asked(archive_root: Path):
    ids = fill_catalogue(archive_root, 600)
    store = open_archive(archive_root).store
    prefix = ids[0].rsplit("-", 1)[0]
    # 000700 shares a shard with ids[599]; 000999 is in a later shard but asked first
    with pytest.raises(RecordNotFoundError, match=f"no record {prefix}-000999"):
        store.records_of([ids[599], f"{prefix}-000999", f"{prefix}-000700"])


def test_update_many_is_update_for_each_record(archive_root: Path):
    ids = fill_catalogue(archive_root, 300)
    store = open_archive(archive_root).store
    before = store.records_of(ids)
    with store.transaction() as tx:
        records = tx.get_many(ids)
        for record in records.values():
            record["status"] = "bagged"
        staged = tx.update_many(records.values(), bookkeeping=True)
    assert [r["id"] for r in staged] == ids
    after = open_archive(archive_root).store.records_of(ids)
    for record_id in ids:
        old, new = before[record_id], after[record_id]
        assert new["status"] == "bagged"
        assert (new["revision"], new["updated_at"]) == (old["revision"], old["updated_at"])
        assert new["serial"] == old.get("serial", old["revision"]) + 1


def test_get_many_sees_what_the_transaction_staged(archive_root: Path):
    ids = fill_catalogue(archive_root, 3)
    store = open_archive(archive_root).store
    with store.transaction() as tx:
        record = tx.get(ids[1])
        record["status"] = "bagged"
        tx.update(record, bookkeeping=True)
        seen = tx.get_many(ids)
        assert [seen[i]["status"] for i in ids] == ["catalogued", "bagged", "catalogued"]
        seen[ids[1]]["status"] = "catalogued"  # a copy: what is staged stays as it was
        assert tx.get(ids[1])["status"] == "bagged"


@pytest.mark.parametrize("change, error, words", [
    (lambda r: r.update(title="an archivist's field"), StoreError, "may not change title"),
    (lambda r: r.update(serial=r.get("serial", r["revision"]) - 1), StaleRecordError, "updated elsewhere"),
    (lambda r: r.update(status="shelved"), ValidationError, "status"),
])
def test_update_many_refuses_what_update_refuses_and_writes_nothing(archive_root: Path, change, error, words):
    ids = fill_catalogue(archive_root, 300)
    store = open_archive(archive_root).store
    on_disk = _shard_bytes(archive_root)
    records = store.records_of(ids)
    change(records[ids[280]])  # one bad record in the second shard
    with pytest.raises(error, match=words), store.transaction() as tx:
        tx.update_many(records.values(), bookkeeping=True)
    assert _shard_bytes(archive_root) == on_disk
    single = copy.deepcopy(records[ids[280]])
    with pytest.raises(error, match=words), store.transaction() as tx:
        tx.update(single, bookkeeping=True)


def test_a_record_given_twice_is_stale_the_second_time(archive_root: Path):
    ids = fill_catalogue(archive_root, 1)
    store = open_archive(archive_root).store
    record = store.get(ids[0])
    with pytest.raises(StaleRecordError), store.transaction() as tx:
        tx.update_many([dict(record, status="bagged"), dict(record, status="deposited")], bookkeeping=True)


def test_log_many_validates_every_event_before_staging_any(archive_root: Path):
    ids = fill_catalogue(archive_root, 2)
    store = open_archive(archive_root).store
    good = make_event("fix", ids[0], detail="checked")
    bad = make_event("fix", ids[1], detail="checked")
    bad["outcome"]["uri"] = "not a uri"
    on_disk = _shard_bytes(archive_root)
    with pytest.raises(ValidationError, match=r"outcome\.uri"), store.transaction() as tx:
        tx.log_many([good, bad])
    assert _shard_bytes(archive_root) == on_disk
    with store.transaction() as tx:
        tx.log_many([good, make_event("fix", ids[1], detail="checked")])
    assert [e["detail"] for e in store.events(ids[0])] == ["checked"]
    assert len(store.events(ids[1])) == 1


def test_remembered_format_verdicts_are_the_checks_own(archive_root: Path):
    """The same bad value refused every time it comes, not only the first."""
    ids = fill_catalogue(archive_root, 1)
    event = make_event("fix", ids[0])
    validate_many([event, copy.deepcopy(event)], "event")
    for _ in range(2):
        bad = copy.deepcopy(event)
        bad["type"]["uri"] = "http://exa mple.org/x"
        with pytest.raises(ValidationError, match=r"type\.uri"):
            validate_many([event, bad], "event")
