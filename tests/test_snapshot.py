"""Catalogue snapshots on a replica: written whole and consistent, read back trusting nothing.

The archive is real (made and changed by the CLI); the replica is a folder, which is the storage
seam's local implementation; the S3 and SFTP kinds are driven through restore's tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import orjson
import pytest

from archive.errors import SnapshotError
from archive.layout import open_archive
from archive.replicas.remote import LATEST, SNAPSHOTS
from archive.replicas.snapshot import FORMAT, load_snapshot, push_snapshot
from archive.storage.local import LocalStorage

HOSTILE = 'Line one\n{"event": {"id": "x"}}\r\u2028\u2029\x85 end "quoted" \\ back'


def _make_busy(root: Path, cli) -> None:
    assert cli("--root", root, "bag", "--all").code == 0
    ids = [row["id"] for row in json.loads(cli("--root", root, "list", "--json").out)]
    result = cli("--root", root, "edit", ids[0], "--set", f"provenance.notes={HOSTILE}")
    assert result.code == 0, result


@pytest.fixture
def busy_root(seeded_root: Path, archive_templates, cli) -> Path:
    """The seed archive bagged and edited: records with bags, several events, a hostile note
    (built through the CLI once per worker; each test gets a copy)."""
    return archive_templates.custom(seeded_root, "snapshot.busy", cli, _make_busy, after="seeded")


def _replica(tmp_path: Path) -> LocalStorage:
    (tmp_path / "replica").mkdir()
    return LocalStorage(tmp_path / "replica")


def _snapshots(replica: LocalStorage) -> list[str]:
    return sorted(e.path for e in replica.walk(SNAPSHOTS) if e.kind == "file")


def test_round_trip_gives_the_catalogue_back(busy_root: Path, tmp_path: Path):
    arc = open_archive(busy_root)
    replica = _replica(tmp_path)
    info = push_snapshot(arc, replica)
    assert info.sent and info.records == len(arc.store) >= 1
    assert info.events == len(list(arc.store.iter_events())) > info.records

    with load_snapshot(replica, staging=tmp_path / "staging") as snap:
        assert snap.path == info.snapshot and snap.sha256 == info.sha256
        assert snap.archive_toml == (busy_root / "archive.toml").read_text()
        assert snap.counter == arc.store.last_sequence()
        assert list(snap.records()) == [arc.store.get(i) for i in arc.store.ids()]
        assert list(snap.events()) == list(arc.store.iter_events())
        hostile = [r for r in snap.records() if r.get("provenance", {}).get("notes") == HOSTILE]
        assert len(hostile) == 1
    assert not list((tmp_path / "staging").iterdir())  # the local copy is gone once closed
    assert not list((busy_root / "staging").glob("snapshot-*"))

    latest = json.loads(Path(replica.full_path(LATEST)).read_bytes())
    data = Path(replica.full_path(info.snapshot)).read_bytes()
    assert latest["sha256"] == hashlib.sha256(data).hexdigest() and latest["size"] == len(data)
    lines = data.split(b"\n")
    assert json.loads(lines[0])["format"] == FORMAT
    # one line each, the hostile note's newlines escaped inside its line
    assert len(lines) == 1 + info.records + info.events + 1 and lines[-1] == b""


def test_unchanged_catalogue_is_not_sent_again(busy_root: Path, tmp_path: Path, cli):
    arc = open_archive(busy_root)
    replica = _replica(tmp_path)
    first = push_snapshot(arc, replica)
    again = push_snapshot(arc, replica)
    assert not again.sent and again.snapshot == first.snapshot
    assert _snapshots(replica) == [first.snapshot]

    record_id = arc.store.ids()[0]
    assert cli("--root", busy_root, "edit", record_id, "--set", "section=World").code == 0
    changed = push_snapshot(open_archive(busy_root), replica)
    assert changed.sent and changed.snapshot != first.snapshot
    assert _snapshots(replica) == sorted([first.snapshot, changed.snapshot])
    with load_snapshot(replica) as snap:
        assert snap.path == changed.snapshot
        assert next(r for r in snap.records() if r["id"] == record_id)["section"] == "World"


def _rewrite(replica: LocalStorage, change) -> None:
    """Replace the latest snapshot by ``change(lines)``, with latest.json pointing at it and its
    digest right: only the content checks can refuse it then."""
    latest = json.loads(Path(replica.full_path(LATEST)).read_bytes())
    lines = Path(replica.full_path(latest["snapshot"])).read_bytes().split(b"\n")[:-1]
    data = b"\n".join(change(lines)) + b"\n"
    digest = hashlib.sha256(data).hexdigest()
    name = f"{SNAPSHOTS}/20991231T000000Z-{digest[:16]}.jsonl"
    replica.write_atomic(name, [data])
    latest.update(snapshot=name, sha256=digest, size=len(data))
    replica.write_atomic(LATEST, [orjson.dumps(latest)])


def test_tampered_snapshot_is_refused(busy_root: Path, tmp_path: Path):
    replica = _replica(tmp_path)
    info = push_snapshot(open_archive(busy_root), replica)
    path = Path(replica.full_path(info.snapshot))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(replica, staging=tmp_path / "staging")
    message = str(caught.value)
    assert info.snapshot in message and "tampered" in message and "\n" not in message
    assert not list((tmp_path / "staging").iterdir())


def _record_line(change):
    def edit(lines: list[bytes]) -> list[bytes]:
        item = json.loads(lines[1])
        change(item["record"])
        return [lines[0], orjson.dumps(item), *lines[2:]]
    return edit


def _header_line(change):
    def edit(lines: list[bytes]) -> list[bytes]:
        header = json.loads(lines[0])
        change(header)
        return [orjson.dumps(header), *lines[1:]]
    return edit


@pytest.mark.parametrize(("change", "expect"), [
    (_header_line(lambda h: h.update(format="article-archive-catalog-snapshot/9")), "unknown format"),
    (_header_line(lambda h: h.update(archive_toml="[archive]\nid_prefix = 5\n")), "archive.id_prefix"),
    (_header_line(lambda h: h.update(counter=0)), "counter"),
    (_header_line(lambda h: h.update(events=h["events"] + 1)), "header says"),
    (_record_line(lambda r: r["bags"][0].update(path="bags/../v1")), "bags[0].path"),
    (_record_line(lambda r: r.update(id="../../etc")), "line 2: record refused"),
    (_record_line(lambda r: r["source"].update(filename="../escape.txt")), "source.filename"),
    (_record_line(lambda r: r.update(title=5)), "title"),
    (lambda lines: [*lines, b'{"event": {"id": 1}}'], "event refused"),
    (lambda lines: [*lines, b"not json"], "not a"),
    (lambda lines: [lines[0], lines[1], lines[1], *lines[2:]], "repeated"),
])
def test_hostile_snapshot_content_is_refused(busy_root: Path, tmp_path: Path, change, expect):
    replica = _replica(tmp_path)
    push_snapshot(open_archive(busy_root), replica)
    _rewrite(replica, change)
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(replica)
    message = str(caught.value)
    assert expect in message and "catalog/snapshots/20991231T000000Z-" in message, message
    assert message.startswith(f"replica {replica.label}: ") and "\n" not in message


@pytest.mark.parametrize("latest", [
    b"", b"[]", b'{"snapshot": "../../x", "sha256": "00", "size": 1, "at": ""}', b"x" * 70000])
def test_bad_latest_is_refused(tmp_path: Path, latest: bytes):
    replica = _replica(tmp_path)
    replica.write_atomic(LATEST, [latest])
    with pytest.raises(SnapshotError, match=r"catalog/latest\.json"):
        load_snapshot(replica)


def test_empty_replica_says_so(tmp_path: Path):
    with pytest.raises(SnapshotError, match="no catalogue snapshot"):
        load_snapshot(_replica(tmp_path))



def test_store_bulk_path_keeps_records_exactly_and_refuses_a_taken_id(busy_root: Path, tmp_path: Path):
    from archive.errors import StoreError
    from archive.store import Store

    source = open_archive(busy_root).store
    fresh = Store.create(tmp_path / "catalog")
    records = [source.get(i) for i in source.ids()]
    with fresh.transaction() as tx:
        for record in records:
            tx.put_restored(record)
        for event in source.iter_events():
            tx.log(event)
        tx.reserve_through(source.last_sequence())
    assert [fresh.get(i) for i in fresh.ids()] == records  # revision, serial, stamps kept
    assert all(fresh.events(i) == source.events(i) for i in source.ids())
    assert fresh.event_count() == source.event_count() == len(list(source.iter_events()))
    assert fresh.last_sequence() == source.last_sequence()
    with pytest.raises(StoreError, match="already in this catalogue"), fresh.transaction() as tx:
        tx.put_restored(records[0])
