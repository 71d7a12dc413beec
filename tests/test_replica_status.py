"""Good copies of a record (archive.replicas.status) and where list, show and the index give them.

Records are built in memory with ``bags[].replicas`` entries as the record schema has them; the CLI
tests write those entries into a real archive by a bookkeeping write, as replicate and
verify --replica do, and read them back through ``list --json`` and ``show``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import schema
from archive.bagging import bag_records
from archive.config import ReplicaSettings, Settings
from archive.layout import open_archive
from archive.records import good_places
from archive.replicas.status import copies_of, good_copies, row_copies, with_copies

T0, T1 = "2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z"
T2, T3 = "2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z"


def settings(*names: str, min_copies: int = 2) -> Settings:
    return Settings(min_copies=min_copies,
                    replicas={n: ReplicaSettings(name=n, url=f"/srv/{n}") for n in names})


def check(at: str, outcome: str = "success", fast: bool = False) -> dict:
    return {"at": at, "outcome": outcome, "fast": fast}


def bag(version: int, *, fixity: dict | None = None, **replicas: dict) -> dict:
    entry = {"version": version, "path": f"bags/ART-2026-000001/v{version}", "bagged_at": T0,
             "payload_oxum": "10.1"}
    if fixity:
        entry["last_fixity"] = fixity
    if replicas:
        entry["replicas"] = replicas
    return entry


def record(*bags: dict) -> dict:
    made = {"id": "ART-2026-000001", "uuid": "6f1c1a52-4c3e-4e43-9d4b-1f0a7c2e5b10", "type": "article",
            "title": "Harbour wall", "status": "bagged" if bags else "catalogued", "revision": 1,
            "created_at": T0, "updated_at": T0}
    if bags:
        made["bags"] = list(bags)
    schema.validate(made)  # the entries are what the record schema allows, nothing invented
    return made


def by_place(rec: dict, config: Settings) -> dict:
    return {c.where: c for c in copies_of(rec, config)}


def test_a_record_never_bagged_has_no_good_copy_and_is_not_short():
    rec = record()
    assert good_copies(rec, settings("nas")) == 0
    assert [c.where for c in copies_of(rec, settings("nas"))] == ["local", "nas"]
    assert good_places(rec) == []
    assert row_copies({"bag_version": 0, "good_on": []}, settings("nas")) == (0, 0)


def test_the_local_copy_counts_until_a_bag_has_a_standing_failure():
    config = settings()
    assert good_copies(record(bag(1)), config) == 1
    assert good_copies(record(bag(1, fixity=check(T1)), bag(2, fixity=check(T1, "warning"))), config) == 1
    failed = record(bag(1, fixity=check(T1)), bag(2, fixity=check(T2, "failure", fast=True)))
    assert good_copies(failed, config) == 0
    local = by_place(failed, config)["local"]
    assert (local.good, local.outcome, local.last_checked, local.fast) == (False, "failure", T2, True)


def test_a_replica_counts_only_with_every_version_confirmed_and_no_standing_failure():
    config = settings("nas", "s3")
    rec = record(bag(1, nas={"replicated_at": T1}, s3={"replicated_at": T1}),
                 bag(2, nas={"replicated_at": T2}))  # s3 lacks v2: a partial copy is no copy
    copies = by_place(rec, config)
    assert good_copies(rec, config) == 2
    assert (copies["nas"].good, copies["nas"].replicated_at, copies["nas"].versions) == (True, T2, 2)
    assert (copies["s3"].good, copies["s3"].replicated_at, copies["s3"].versions, copies["s3"].of) == \
        (False, "", 1, 2)
    assert good_places(rec) == ["local", "nas"]


def test_a_failed_check_on_a_replica_stands_until_a_full_check_clears_it():
    config = settings("nas")
    failing = record(bag(1, nas={"replicated_at": T1, "last_fixity": check(T2, "failure")}))
    assert good_copies(failing, config) == 1
    assert by_place(failing, config)["nas"].outcome == "failure"
    passing = record(bag(1, nas={"replicated_at": T1, "last_fixity": check(T3)}))
    assert good_copies(passing, config) == 2
    nas = by_place(passing, config)["nas"]
    assert (nas.last_checked, nas.outcome, nas.fast) == (T3, "success", False)


def test_the_last_check_of_a_copy_is_its_oldest_version_check_and_blank_until_all_are_checked():
    config = settings("nas")
    rec = record(bag(1, nas={"replicated_at": T1, "last_fixity": check(T2)}),
                 bag(2, nas={"replicated_at": T1, "last_fixity": check(T3, "warning", fast=True)}))
    nas = by_place(rec, config)["nas"]
    assert (nas.last_checked, nas.outcome, nas.fast) == (T2, "warning", True)
    half = record(bag(1, nas={"replicated_at": T1, "last_fixity": check(T2)}),
                  bag(2, nas={"replicated_at": T1}))
    nas = by_place(half, config)["nas"]
    assert (nas.last_checked, nas.outcome) == ("", "")


def test_a_replica_no_longer_in_archive_toml_is_not_counted():
    rec = record(bag(1, nas={"replicated_at": T1}, old={"replicated_at": T1}))
    assert good_places(rec) == ["local", "nas", "old"]  # the record alone still says so
    config = settings("nas")
    assert [c.where for c in copies_of(rec, config)] == ["local", "nas"]
    assert good_copies(rec, config) == 2
    row = {"bag_version": 1, "good_on": good_places(rec)}
    assert row_copies(row, config) == (2, 0)
    assert row_copies(row, settings(min_copies=3)) == (1, 2)
    [shown] = with_copies([row], config)
    assert shown["good_on"] == ["local", "nas"] and (shown["good_copies"], shown["copies_short"]) == (2, 0)
    assert row["good_on"] == ["local", "nas", "old"]  # the store's cached row is not changed


# ----- through the CLI, on a real archive ----------------------------------------------------------
def replicas_toml(root: Path, *names: str, min_copies: int = 2) -> None:
    text = (root / "archive.toml").read_text(encoding="utf-8")
    text = text.replace("min_copies = 2", f"min_copies = {min_copies}")
    text += "".join(f'\n[replicas.{n}]\nurl = "{root.parent / n}"\n' for n in names)
    (root / "archive.toml").write_text(text, encoding="utf-8")


def mark_copies(root: Path, record_id: str, **replicas: dict) -> None:
    """Write bags[-1].replicas as replicate / verify --replica do: one bookkeeping write."""
    arc = open_archive(root)
    with arc.store.transaction() as tx:
        rec = tx.get(record_id)
        rec["bags"][-1]["replicas"] = replicas
        tx.update(rec, bookkeeping=True)


@pytest.fixture
def bagged_root(seeded_root: Path) -> tuple[Path, str]:
    arc = open_archive(seeded_root)
    [record_id] = arc.store.ids()
    bag_records(arc, [record_id])
    return seeded_root, record_id


def test_list_json_gives_good_copies_and_the_shortfall(bagged_root, cli):
    root, record_id = bagged_root
    [row] = json.loads(cli("--root", root, "list", "--json").out)
    assert (row["good_on"], row["good_copies"], row["copies_short"]) == (["local"], 1, 1)
    replicas_toml(root, "nas", "s3", min_copies=3)
    mark_copies(root, record_id, nas={"replicated_at": T1, "last_fixity": check(T2)},
                s3={"replicated_at": T1, "last_fixity": check(T2, "failure")})
    [row] = json.loads(cli("--root", root, "list", "--json").out)
    assert (row["good_on"], row["good_copies"], row["copies_short"]) == (["local", "nas"], 2, 1)


def test_show_gives_each_copy_when_made_and_last_checked(bagged_root, cli):
    root, record_id = bagged_root
    replicas_toml(root, "nas", "s3")
    mark_copies(root, record_id, nas={"replicated_at": T1, "last_fixity": check(T2)},
                s3={"replicated_at": T1, "last_fixity": check(T3, "failure", fast=True)})
    shown = cli("--root", root, "show", record_id)
    assert shown.code == 0, shown
    lines = shown.out.splitlines()
    assert "copies: 2 good of min_copies 2" in lines
    assert f"copies.nas: good; copied {T1}; checked {T2} success (full)" in lines
    assert f"copies.s3: not good; copied {T1}; checked {T3} failure (fast)" in lines
    assert any(line.startswith("copies.local: good; bagged 20") for line in lines)

    data = json.loads(cli("--root", root, "show", record_id, "--json").out)
    copies = data["copies"]
    assert (copies["good"], copies["min_copies"], copies["short"]) == (2, 2, 0)
    places = {p["where"]: p for p in copies["places"]}
    assert places["nas"] == {"where": "nas", "good": True, "versions": 1, "of": 1, "replicated_at": T1,
                             "last_checked": T2, "outcome": "success", "fast": False}
    assert places["s3"]["good"] is False and places["s3"]["outcome"] == "failure"


def test_show_says_when_a_record_is_short_of_min_copies(bagged_root, cli):
    root, record_id = bagged_root
    replicas_toml(root, "nas")
    lines = cli("--root", root, "show", record_id).out.splitlines()
    assert "copies: 1 good of min_copies 2 (SHORT by 1)" in lines
    assert "copies.nas: 0 of 1 versions; not copied; never checked" in lines
