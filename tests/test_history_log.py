"""The event history log: append-only, committed by the shard write, crash- and disk-full-safe,
and read the same as the events that used to live inside the shards."""

from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import RECORDS, made_archive
from hypothesis import given
from hypothesis import strategies as st
from killgate import KillGate

from archive import catalog
from archive.errors import RecordNotFoundError
from archive.events import make_event
from archive.layout import open_archive
from archive.store.history import HISTORY, HistoryLog, committed_end, decode_line, log_name

EDITOR = textwrap.dedent(
    """
    import os
    import sys
    if os.environ.get("ARCHIVE_KILLGATE"):  # under a KillGate: stop inside every history append
        import killgate
        killgate.instrument_history_appends()
    from archive import catalog
    from archive.layout import open_archive
    arc = open_archive(sys.argv[1])
    for i in range(int(sys.argv[4])):
        catalog.edit_record(arc, sys.argv[2], assignments=[f"{sys.argv[3]}-{i}"])
        print("EDITED", flush=True)
    """
)


def history_of(cli, root: Path, record_id: str) -> list[dict]:
    result = cli("--root", root, "history", record_id, "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def shards(root: Path) -> list[Path]:
    return sorted((root / "catalog" / "records").glob("*.json"))


def log_lines_are_whole(root: Path) -> None:
    """Every live log ends at its committed end and every line in it decodes with a good checksum."""
    for shard in shards(root):
        data = json.loads(shard.read_bytes())
        heads = data.get(HISTORY) or {}
        log = HistoryLog(root / "catalog" / "history" / log_name(int(shard.stem), data))
        assert log.path.stat().st_size == committed_end(heads), f"{log.path} has an uncommitted tail"
        assert sum(1 for _ in log.scan(committed_end(heads))) == sum(h["count"] for h in heads.values())


def to_old_format(root: Path) -> None:
    """Rewrite the catalogue as the store before the history log wrote it: every event inside its
    shard, in an ``events`` TinyDB table numbered in the order they were committed, no log."""
    catalogue = root / "catalog"
    for shard in shards(root):
        data = json.loads(shard.read_bytes())
        heads = data.pop(HISTORY, {})
        log = HistoryLog(catalogue / "history" / f"{shard.stem}.log")
        events = [event for _, event in log.scan(committed_end(heads))]
        data["events"] = {str(n): event for n, event in enumerate(events, 1)}
        shard.write_bytes(json.dumps(data).encode())
    shutil.rmtree(catalogue / "history")


def _eventful(root: Path, cli) -> None:
    """The seed record with every kind of event the CLI makes in a short life (bagging and two
    verifies cost seconds, so it is built once per worker and copied for each test)."""
    for args in (["init", root, "--org", "Test Archive", "--contact-name", "Ada Archivist",
                  "--contact-email", "ada@example.org"], ["--root", root, "import", RECORDS]):
        result = cli(*args)
        assert result.code == 0, result
    record_id = record_id_of(root)
    for args in (["bag", "--all"], ["verify", "--fast"], ["verify"],
                 ["edit", record_id, "--set", "section=World"]):
        result = cli("--root", root, *args)
        assert result.code == 0, result


@pytest.fixture
def eventful_root(tmp_path: Path) -> Path:
    return made_archive(tmp_path / "arc", "history-eventful", _eventful)


def record_id_of(root: Path) -> str:
    return open_archive(root).store.ids()[0]


def run_editor(root: Path, record_id: str, count: int, env: dict | None = None,
               assignment: str = "section=Edit") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", EDITOR, str(root), record_id, assignment, str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def test_events_leave_the_shard_and_history_reads_them_in_order(eventful_root: Path, cli):
    record_id = record_id_of(eventful_root)
    events = history_of(cli, eventful_root, record_id)
    labels = [e["type"]["label"] for e in events]
    assert labels.count("fixity check") == 2 and labels[-1] == "metadata modification", labels
    assert events == sorted(events, key=lambda e: e["at"])
    [shard] = shards(eventful_root)
    data = json.loads(shard.read_bytes())
    assert "events" not in data and data[HISTORY]["1"]["count"] == len(events)
    assert list(catalog.iter_events(open_archive(eventful_root))) == events
    log_lines_are_whole(eventful_root)


def test_an_old_archive_reads_the_same_and_migrates_on_its_first_write(eventful_root: Path, cli):
    record_id = record_id_of(eventful_root)
    before = history_of(cli, eventful_root, record_id)
    text_before = cli("--root", eventful_root, "history", record_id).out
    to_old_format(eventful_root)
    assert history_of(cli, eventful_root, record_id) == before
    assert cli("--root", eventful_root, "history", record_id).out == text_before
    assert list(open_archive(eventful_root).store.iter_events()) == before

    assert cli("--root", eventful_root, "edit", record_id, "--set", "section=Migrated").code == 0
    after = history_of(cli, eventful_root, record_id)
    assert after[:-1] == before and after[-1]["detail"].startswith("edited section")
    [shard] = shards(eventful_root)
    assert "events" not in json.loads(shard.read_bytes())
    assert list(open_archive(eventful_root).store.iter_events()) == after
    log_lines_are_whole(eventful_root)


def test_history_of_an_unknown_record_is_one_clear_line(eventful_root: Path, cli):
    """The command reads the record's shard, not the summary index: an id absent from a shard
    that exists and an id whose shard does not exist both say so, and a known id still reads."""
    record_id = record_id_of(eventful_root)
    prefix = record_id.rsplit("-", 1)[0]
    for missing in (f"{prefix}-000002", f"{prefix}-009999"):
        for args in (["history", missing], ["history", missing, "--json"]):
            result = cli("--root", eventful_root, *args)
            assert (result.code, result.out) == (1, ""), result
            assert result.err == f"archive: error: no record {missing}\n"
    with pytest.raises(RecordNotFoundError, match=f"no record {prefix}-000002"):
        catalog.history(open_archive(eventful_root), f"{prefix}-000002")
    known = catalog.history(open_archive(eventful_root), record_id)
    assert known == history_of(cli, eventful_root, record_id)


@pytest.mark.parametrize("point", [("log", "half-written"), ("log", "before-fsync"), ("replace", "before")])
def test_a_killed_migration_leaves_a_readable_archive(eventful_root: Path, cli, point):
    record_id = record_id_of(eventful_root)
    before = history_of(cli, eventful_root, record_id)
    to_old_format(eventful_root)
    with KillGate() as gate:
        editor = run_editor(eventful_root, record_id, 1, env=gate.env())
        event = gate.run(editor, lambda e: (e.op, e.phase) == point and (
            e.op == "log" or Path(e.paths[-1]).parent.name == "records"))
    assert event is not None, editor.stderr.read() if editor.stderr else ""
    assert editor.returncode == -signal.SIGKILL
    assert history_of(cli, eventful_root, record_id) == before
    assert "events" in json.loads(shards(eventful_root)[0].read_bytes())  # still the old shard
    assert cli("--root", eventful_root, "edit", record_id, "--set", "section=After").code == 0
    after = history_of(cli, eventful_root, record_id)
    assert after[:-1] == before and len(after) == len(before) + 1
    log_lines_are_whole(eventful_root)


@pytest.mark.parametrize("point", [("log", "half-written"), ("log", "before-fsync"), ("replace", "before")])
def test_a_kill_mid_append_leaves_no_torn_history(eventful_root: Path, cli, point):
    """Killed after half an event line (a torn last line), before its fsync, or before the shard
    that commits it: the history reads as before, and the next writer cuts the tail away."""
    record_id = record_id_of(eventful_root)
    before = history_of(cli, eventful_root, record_id)
    [shard] = shards(eventful_root)
    log = eventful_root / "catalog" / "history" / f"{shard.stem}.log"
    size = log.stat().st_size
    with KillGate() as gate:
        editor = run_editor(eventful_root, record_id, 1, env=gate.env())
        event = gate.run(editor, lambda e: (e.op, e.phase) == point and (
            e.op == "log" or Path(e.paths[-1]).parent.name == "records"))
    assert event is not None and editor.returncode == -signal.SIGKILL
    assert log.stat().st_size > size, "the kill left part of an event in the log"
    assert history_of(cli, eventful_root, record_id) == before
    assert list(open_archive(eventful_root).store.iter_events()) == before
    assert cli("--root", eventful_root, "edit", record_id, "--set", "section=Next").code == 0
    after = history_of(cli, eventful_root, record_id)
    assert after[:-1] == before and after[-1]["detail"] == "edited section"
    log_lines_are_whole(eventful_root)


def test_two_processes_appending_at_once_lose_and_tear_nothing(seeded_root: Path, cli, tmp_path):
    extra = tmp_path / "second.txt"
    extra.write_text("A second article, to share the shard and its log.")
    assert cli("--root", seeded_root, "add", extra, "--title", "Second").code == 0
    first, second = open_archive(seeded_root).store.ids()
    counts = {record_id: len(history_of(cli, seeded_root, record_id)) for record_id in (first, second)}
    edits = 15
    editors = [run_editor(seeded_root, record_id, edits, assignment=f"section={tag}")
               for record_id, tag in ((first, "a"), (second, "b"), (first, "c"))]
    for editor in editors:
        out, err = editor.communicate(timeout=300)
        assert editor.returncode == 0, err
        assert out.count("EDITED") == edits
    assert len(history_of(cli, seeded_root, first)) == counts[first] + 2 * edits
    assert len(history_of(cli, seeded_root, second)) == counts[second] + edits
    everything = list(open_archive(seeded_root).store.iter_events())
    assert len(everything) == sum(counts.values()) + 3 * edits
    assert len({e["id"] for e in everything}) == len(everything)
    log_lines_are_whole(seeded_root)


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return apply


def test_a_full_disk_during_an_append_changes_nothing(seeded_root: Path, cli):
    """RLIMIT_FSIZE makes the log, grown past the shard by 200 events, the file that cannot grow."""
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    with arc.store.transaction() as tx:
        for n in range(200):
            tx.log(make_event("val", record_id, detail=f"padding {n}"))
    before = history_of(cli, seeded_root, record_id)
    shown = cli("--root", seeded_root, "show", record_id, "--json").out
    [shard] = shards(seeded_root)
    log = seeded_root / "catalog" / "history" / f"{shard.stem}.log"
    log_size, shard_bytes = log.stat().st_size, shard.read_bytes()
    assert shard.stat().st_size * 4 < log_size

    edit = subprocess.run([Path(sys.executable).with_name("archive"), "--root", seeded_root, "edit",
                           record_id, "--set", "section=Full"], capture_output=True, text=True,
                          preexec_fn=_limit_file_size(log_size + 20), timeout=120)
    assert edit.returncode == 1, edit
    assert edit.stderr.strip().count("\n") == 0, edit.stderr
    assert edit.stderr.startswith("archive: error: disk full while writing history/000000.log; "
                                  "nothing was changed"), edit.stderr
    assert log.stat().st_size == log_size and shard.read_bytes() == shard_bytes
    assert history_of(cli, seeded_root, record_id) == before
    assert cli("--root", seeded_root, "show", record_id, "--json").out == shown


def test_a_full_disk_at_the_commit_drops_the_appended_events(seeded_root: Path, cli):
    """The log append fits, the shard that would commit it does not: the shard stays as it was
    and the events appended for it are cut away at once."""
    record_id = record_id_of(seeded_root)
    catalog.edit_record(open_archive(seeded_root), record_id, assignments=["abstract=" + "word " * 2000])
    before = history_of(cli, seeded_root, record_id)
    [shard] = shards(seeded_root)
    log = seeded_root / "catalog" / "history" / f"{shard.stem}.log"
    log_size, shard_bytes = log.stat().st_size, shard.read_bytes()
    limit = log_size + 2000  # room for one edit's event, not for the shard
    assert len(shard_bytes) > limit + 500, (len(shard_bytes), limit)

    edit = subprocess.run([Path(sys.executable).with_name("archive"), "--root", seeded_root, "edit",
                           record_id, "--set", "section=Full"], capture_output=True, text=True,
                          preexec_fn=_limit_file_size(limit), timeout=120)
    assert edit.returncode == 1, edit
    assert edit.stderr.startswith(f"archive: error: disk full while writing {shard.name}; nothing was "
                                  "changed"), edit.stderr
    assert edit.stderr.strip().count("\n") == 0, edit.stderr
    assert log.stat().st_size == log_size and shard.read_bytes() == shard_bytes
    assert history_of(cli, seeded_root, record_id) == before


def test_a_damaged_committed_line_is_named_not_read_wrong(eventful_root: Path, cli):
    record_id = record_id_of(eventful_root)
    [shard] = shards(eventful_root)
    log = eventful_root / "catalog" / "history" / f"{shard.stem}.log"
    data = bytearray(log.read_bytes())
    data[40] ^= 0x01
    log.write_bytes(bytes(data))
    result = cli("--root", eventful_root, "history", record_id)
    assert result.code == 1
    assert result.err.startswith(f"archive: error: history file {log} is damaged: the line at byte 0 "
                                 "fails its checksum"), result.err


TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)
JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                       max_leaves=12)


@given(payloads=st.lists(st.tuples(st.integers(1, 256), st.dictionaries(TEXT, JSONISH, max_size=5),
                                   TEXT), min_size=1, max_size=6))
def test_any_event_payload_round_trips(tmp_path_factory, payloads):
    """Newlines, NUL, lone surrogates (a name decoded with surrogateescape), U+2028 and nested
    details all come back as they went in, and never break the one-event-per-line framing."""
    log = HistoryLog(tmp_path_factory.mktemp("log") / "000000.log")
    heads: dict[str, dict] = {}
    written: list[tuple[int, dict]] = []
    for sequence, extra, detail in payloads:
        event = {**extra, "detail": detail, "record_id": f"ART-2026-{sequence:06d}", "at": "2026-01-01"}
        heads = log.append(heads, [(sequence, event)])
        written.append((sequence, event))
    assert list(log.scan(committed_end(heads))) == written
    for key, head in heads.items():
        assert log.chain(head) == [e for s, e in written if str(s) == key]
    raw = log.path.read_bytes()
    assert raw.count(b"\n") == len(written)
    offset = 0
    for line in raw.splitlines(keepends=True):
        decode_line(line, log.path, offset)
        offset += len(line)
