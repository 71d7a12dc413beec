"""The catalogue from the command line: init, add, import, list, show, search, edit,
deaccession and history, as an archivist would run them."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import RECORDS, SEED, SEED_SHA256


def only_id(result) -> str:
    lines = result.out.strip().splitlines()
    assert len(lines) == 1, result
    return lines[0]


def test_init_creates_an_archive_and_refuses_to_overwrite_it(tmp_path: Path, cli):
    root = tmp_path / "new"
    first = cli("init", root, "--org", "Library", "--id-prefix", "NEWS")
    assert first.code == 0, first
    assert (root / "archive.toml").read_text().count('id_prefix = "NEWS"') == 1
    again = cli("init", root)
    assert again.code == 1
    assert "already an archive" in again.err


def test_add_copies_the_text_unchanged_and_records_its_fixity(archive_root: Path, cli, seed_copy):
    result = cli("--root", archive_root, "add", seed_copy, "--title", "Ambassador shot",
                 "--creator", "Doe, Jane", "--creator", "Reuters", "--issued", "2016-12-19",
                 "--language", "en", "--subject", "Assassination", "--url", "https://example.org/a")
    assert result.code == 0, result
    record_id = only_id(result)
    assert record_id.startswith("ART-") and record_id.endswith("-000001")
    copy = archive_root / "sources" / record_id / SEED.name
    assert copy.read_bytes() == SEED.read_bytes()
    record = json.loads(cli("--root", archive_root, "show", record_id, "--json").out)
    assert record["source"]["sha256"] == SEED_SHA256
    assert record["source"]["size"] == SEED.stat().st_size
    assert record["source"]["word_count"] == len(SEED.read_text().split())
    assert record["source"]["media_type"] == "text/plain"
    assert record["source"]["encoding"] == "utf-8"
    assert len(record["source"]["sha512"]) == 128
    assert record["creators"] == [{"family": "Doe", "given": "Jane"}, {"literal": "Reuters"}]
    assert record["revision"] == 1 and record["status"] == "catalogued"
    assert len(record["uuid"]) == 36


def test_ids_are_unique_and_never_reused_after_deaccession(archive_root: Path, cli, tmp_path):
    ids = []
    for n in range(3):
        f = tmp_path / f"a{n}.txt"
        f.write_text(f"Article number {n}.")
        ids.append(only_id(cli("--root", archive_root, "add", f)))
    assert len(set(ids)) == 3
    assert cli("--root", archive_root, "deaccession", ids[-1], "--reason", "duplicate").code == 0
    f = tmp_path / "later.txt"
    f.write_text("A later article.")
    newest = only_id(cli("--root", archive_root, "add", f))
    assert newest not in ids
    assert int(newest.rsplit("-", 1)[1]) == 4


def test_id_prefix_comes_from_archive_toml(tmp_path: Path, cli, seed_copy):
    root = tmp_path / "a"
    cli("init", root, "--id-prefix", "NEWS")
    assert only_id(cli("--root", root, "add", seed_copy)).startswith("NEWS-")


def test_import_reads_sidecars_reports_failures_and_keeps_the_rest(archive_root: Path, cli, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "good.txt").write_text("A good article about harbours.")
    (folder / "good.json").write_text(json.dumps({"title": "Harbours", "issued": "2016-12"}))
    (folder / "notes.md").write_text("# Notes\n\nSome markdown text.")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "badmeta.txt").write_text("Text with bad metadata.")
    (folder / "badmeta.json").write_text(json.dumps({"issued": "2016-13-45"}))
    result = cli("--root", archive_root, "import", folder)
    assert result.code == 1  # something failed: cron can tell
    assert "imported 2 article(s), 2 failed" in result.out
    assert "binary.txt" in result.err and "badmeta.txt" in result.err
    assert "issued: not a valid date" in result.err
    listing = json.loads(cli("--root", archive_root, "list", "--json").out)
    assert sorted(r["title"] for r in listing) == ["Harbours", "Notes"]


def test_list_filters_by_status_and_prints_json(seeded_root: Path, cli, tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("Another article.")
    other = only_id(cli("--root", seeded_root, "add", f))
    cli("--root", seeded_root, "deaccession", other, "--reason", "out of scope")
    rows = json.loads(cli("--root", seeded_root, "list", "--status", "deaccessioned", "--json").out)
    assert [r["id"] for r in rows] == [other]
    text = cli("--root", seeded_root, "list").out
    assert "Russia's ambassador to Turkey" in text and "deaccessioned" in text


def test_search_metadata_by_field_and_in_texts(seeded_root: Path, cli):
    hits = json.loads(cli("--root", seeded_root, "search", "new york times", "--json").out)
    assert len(hits) == 1  # found through the references
    none = json.loads(cli("--root", seeded_root, "search", "Zakharova", "--json").out)
    assert none == []  # only in the text, not the metadata
    text_hits = json.loads(cli("--root", seeded_root, "search", "Zakharova", "--text", "--json").out)
    assert len(text_hits) == 1
    by_title = json.loads(cli("--root", seeded_root, "search", "daily beast", "--field", "title",
                              "--json").out)
    assert by_title == []
    assert cli("--root", seeded_root, "search", "x", "--field", "nope").code == 2


def test_show_text_prints_the_exact_bytes(seeded_root: Path, cli):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    result = cli("--root", seeded_root, "show", record_id, "--text")
    assert result.code == 0
    assert result.out.encode("utf-8") == SEED.read_bytes()


def test_edit_validates_bumps_revision_and_logs_an_event(seeded_root: Path, cli):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    ok = cli("--root", seeded_root, "edit", record_id, "--set", "section=World",
             "--set", 'creators=[{"family": "Doe", "given": "Jane"}]')
    assert ok.code == 0, ok
    record = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    assert record["revision"] == 2 and record["section"] == "World"
    bad = cli("--root", seeded_root, "edit", record_id, "--set", "creators[0].family=3")
    assert bad.code == 0  # a string field: "3" is a valid family name
    wrong = cli("--root", seeded_root, "edit", record_id, "--set", 'creators=[{"family": 3}]')
    assert wrong.code == 1
    assert wrong.err.strip() == "archive: error: creators[0].family: expected a string"
    history = json.loads(cli("--root", seeded_root, "history", record_id, "--json").out)
    labels = [e["type"]["label"] for e in history]
    assert labels == ["capture", "metadata modification", "metadata modification"]
    assert history[1]["type"]["uri"] == "http://id.loc.gov/vocabulary/preservation/eventType/mem"
    assert "section" in history[1]["detail"]


def test_edit_refuses_fields_the_archive_owns(seeded_root: Path, cli):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    result = cli("--root", seeded_root, "edit", record_id, "--set", "id=ART-2000-000009")
    assert result.code == 1 and "id: is set by the archive" in result.err


def test_edit_from_a_meta_file(seeded_root: Path, cli, tmp_path):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    meta = tmp_path / "m.json"
    meta.write_text(json.dumps({"publisher": "Unknown Press", "accessed": "2016-12-20"}))
    assert cli("--root", seeded_root, "edit", record_id, "--meta", meta).code == 0
    record = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    assert record["publisher"] == "Unknown Press" and record["accessed"] == "2016-12-20"


def test_deaccession_keeps_everything_and_logs_it(seeded_root: Path, cli):
    record_id = json.loads(cli("--root", seeded_root, "list", "--json").out)[0]["id"]
    result = cli("--root", seeded_root, "deaccession", record_id, "--reason", "rights withdrawn")
    assert result.code == 0
    record = json.loads(cli("--root", seeded_root, "show", record_id, "--json").out)
    assert record["status"] == "deaccessioned"
    assert record["deaccession"]["reason"] == "rights withdrawn"
    assert (seeded_root / "sources" / record_id / SEED.name).read_bytes() == SEED.read_bytes()
    events = json.loads(cli("--root", seeded_root, "history", record_id, "--json").out)
    assert events[-1]["type"]["uri"].endswith("/eventType/dea")
    again = cli("--root", seeded_root, "deaccession", record_id, "--reason", "again")
    assert again.code == 1 and "already deaccessioned" in again.err


def test_the_archive_is_found_like_git_finds_a_repository(seeded_root: Path, cli, tmp_path):
    deep = seeded_root / "sources"
    assert cli("list", cwd=deep).code == 0
    env_run = cli("list", cwd=tmp_path, env={"ARCHIVE_ROOT": str(seeded_root)})
    assert env_run.code == 0 and "ART-" in env_run.out
    lost = cli("list", cwd=tmp_path)
    assert lost.code == 1 and "archive init" in lost.err


def test_usage_errors_exit_2(archive_root: Path, cli):
    assert cli("--root", archive_root, "frobnicate").code == 2
    assert cli("--root", archive_root, "deaccession", "ART-2016-000001").code == 2  # no --reason
    assert cli("--root", archive_root, "edit", "ART-2016-000001").code == 2


def test_unknown_record_is_a_clear_error(archive_root: Path, cli):
    result = cli("--root", archive_root, "show", "ART-2016-000042")
    assert result.code == 1
    assert result.err.strip() == "archive: error: no record ART-2016-000042"


def test_the_sample_collection_is_the_seed_byte_for_byte():
    import hashlib

    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == SEED_SHA256
    meta = json.loads((RECORDS / "ankara-ambassador-shooting.json").read_text())
    assert meta["issued"] == "2016-12-19" and meta["language"] == "en"
    names = {r["name"] for r in meta["references"]}
    assert names == {"The Daily Beast", "Los Angeles Times", "The New York Times"}


def test_a_cancelled_import_stops_between_whole_batches(archive_root: Path, tmp_path):
    from archive import catalog
    from archive.layout import open_archive

    folder = tmp_path / "many"
    folder.mkdir()
    count = catalog.IMPORT_BATCH + 5
    for n in range(count):
        (folder / f"a{n:04d}.txt").write_text(f"Article {n} about the harbour.")
    arc = open_archive(archive_root)
    seen: list[int] = []
    report = catalog.import_folder(arc, folder, progress=lambda step: seen.append(step.done),
                                   cancel=lambda: bool(seen))
    assert report.cancelled and report.remaining == 5
    assert len(report.added) == catalog.IMPORT_BATCH
    assert len(open_archive(archive_root).store) == catalog.IMPORT_BATCH
    assert "cancelled with 5 not imported" in report.summary()
