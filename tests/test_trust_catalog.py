"""Issue 9, the catalogue's part: fields only the archive may set, clear errors for odd edit paths,
damaged shards and settings, trimmed titles, `list` showing changed records, a revision that counts
the archivist's changes only, and deaccessioned records that refuse edits without --force."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from helpers import snapshot_tree

from archive import catalog
from archive.catalog import NewArticle
from archive.errors import ArchiveError, StaleRecordError, ValidationError
from archive.extract.result import Extraction
from archive.layout import open_archive


def only_id(cli, root: Path) -> str:
    """The id of the archive's only record, read through the library: set-up, not what is tested,
    so it need not pay a CLI run (``list --json``) in every test."""
    (record_id,) = open_archive(root).store.ids()
    return record_id


def show(cli, root: Path, record_id: str) -> dict:
    result = cli("--root", root, "show", record_id, "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def assert_one_line_error(result, *, says: str, code: int = 1) -> None:
    """Exit code, exactly one `archive: error:` line, naming what it must, and no crash text."""
    assert result.code == code, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("archive: error: "), lines[0]
    assert says in lines[0], lines[0]
    assert "unexpected" not in result.err and "Traceback" not in result.err


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "story.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("A short story about a town council.\n", encoding="utf-8")
    return path


# ----- 1. fields only the archive may set ------------------------------------------------------
PROTECTED_GIVEN = [
    ({"status": "deaccessioned"}, "status: is set by the archive"),
    ({"status": "deposited"}, "status: is set by the archive"),
    ({"provenance": {"catalogued_by": "Mallory"}}, "provenance.catalogued_by: is set by the archive"),
    ({"provenance": {"catalogued_at": "2000-01-01T00:00:00Z"}},
     "provenance.catalogued_at: is set by the archive"),
    ({"provenance": {"extracted_fields": ["title"]}}, "provenance.extracted_fields: is set by"),
]


@pytest.mark.parametrize(("meta", "says"), PROTECTED_GIVEN)
def test_add_meta_cannot_set_fields_the_archive_owns(seeded_root, cli, tmp_path, article, meta, says):
    before = snapshot_tree(seeded_root)
    meta_file = tmp_path / "meta.json"
    meta_file.write_text(json.dumps({"title": "Council story", **meta}))
    result = cli("--root", seeded_root, "add", article, "--meta", meta_file)
    assert_one_line_error(result, says=says)
    assert snapshot_tree(seeded_root) == before


def test_an_import_sidecar_cannot_set_the_status(archive_root, cli, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text("First article text.\n")
    (folder / "a.json").write_text(json.dumps({"title": "A", "status": "deposited"}))
    (folder / "b.txt").write_text("Second article text.\n")
    (folder / "b.json").write_text(json.dumps({"title": "B", "provenance": {"catalogued_by": "X"}}))
    result = cli("--root", archive_root, "import", folder, "--json")
    assert result.code == 1, result
    report = json.loads(result.out)
    assert report["added"] == []
    errors = {row["file"]: row["error"] for row in report["failed"]}
    assert "status: is set by the archive" in errors["a.txt"]
    assert "provenance.catalogued_by: is set by the archive" in errors["b.txt"]
    assert json.loads(cli("--root", archive_root, "list", "--json").out) == []


@pytest.mark.parametrize("extracted", [
    {"status": "deposited"},
    {"provenance": {"catalogued_by": "Front Matter"}},
    {"deaccession": {"at": "2020-01-01T00:00:00Z", "reason": "x"}},
])
def test_extracted_fields_cannot_set_fields_the_archive_owns(archive_root, article, monkeypatch, extracted):
    """Front matter and HTML metadata come from the file's author: the same door applies."""
    monkeypatch.setattr(catalog, "extract", lambda path, **_: Extraction(fields=dict(extracted)))
    arc = open_archive(archive_root)
    before = snapshot_tree(archive_root)
    with pytest.raises(ValidationError, match="is set by the archive"):
        catalog.add_article(arc, NewArticle(path=article))
    assert snapshot_tree(archive_root) == before


def test_a_typed_field_replaces_a_bad_extracted_one(archive_root, article, monkeypatch):
    """The extractor's guesses are checked, but what the archivist typed wins over them."""
    monkeypatch.setattr(catalog, "extract", lambda path, **_: Extraction(fields={"language": "english!"}))
    arc = open_archive(archive_root)
    with pytest.raises(ValidationError, match="language"):
        catalog.add_article(arc, NewArticle(path=article))
    record = catalog.add_article(arc, NewArticle(path=article, fields={"language": "en"}))
    assert record["language"] == "en"


@pytest.mark.parametrize(("assignment", "says"), [
    ("status=deposited", "status: is set by the archive"),
    ("provenance.catalogued_by=Mallory", "provenance.catalogued_by: is set by the archive"),
    ("provenance.catalogued_at=2000-01-01T00:00:00Z", "provenance.catalogued_at: is set by"),
    ('provenance={"catalogued_by": "Mallory"}', "provenance.catalogued_by: is set by the archive"),
    ("provenance.catalogued_by=", "provenance.catalogued_by: is set by the archive"),
])
def test_edit_set_cannot_change_fields_the_archive_owns(seeded_root, cli, assignment, says):
    record_id = only_id(cli, seeded_root)
    before = snapshot_tree(seeded_root)
    result = cli("--root", seeded_root, "edit", record_id, "--set", assignment)
    assert_one_line_error(result, says=says)
    assert snapshot_tree(seeded_root) == before


def test_edit_meta_cannot_set_the_status(seeded_root, cli, tmp_path):
    record_id = only_id(cli, seeded_root)
    before = snapshot_tree(seeded_root)
    meta = tmp_path / "m.json"
    meta.write_text(json.dumps({"status": "deaccessioned"}))
    result = cli("--root", seeded_root, "edit", record_id, "--meta", meta)
    assert_one_line_error(result, says="status: is set by the archive")
    assert snapshot_tree(seeded_root) == before


def test_replacing_provenance_keeps_the_archive_stamps(seeded_root, cli):
    """`--set provenance={...}` changes what may be given and keeps who catalogued it and when."""
    record_id = only_id(cli, seeded_root)
    stored = show(cli, seeded_root, record_id)["provenance"]
    stamps = {k: stored[k] for k in ("catalogued_by", "catalogued_at")}
    result = cli("--root", seeded_root, "edit", record_id, "--set", 'provenance={"notes": "Donated."}')
    assert result.code == 0, result
    provenance = show(cli, seeded_root, record_id)["provenance"]
    assert provenance["notes"] == "Donated."
    assert {k: provenance[k] for k in stamps} == stamps


def test_replace_record_keeps_every_protected_field_from_the_store(seeded_root):
    """The TUI form sends a whole record: what the archive owns is taken from the stored record."""
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    stored = arc.store.get(record_id)
    form = json.loads(json.dumps(stored))
    form["title"] = "A new title"
    form["status"] = "deposited"
    form["provenance"]["catalogued_by"] = "Mallory"
    form["provenance"]["catalogued_at"] = "2000-01-01T00:00:00Z"
    form["provenance"]["extracted_fields"] = []
    saved = catalog.replace_record(arc, form)
    assert saved["title"] == "A new title"
    assert saved["status"] == stored["status"]
    for key in ("catalogued_by", "catalogued_at", "extracted_fields"):
        assert saved["provenance"].get(key) == stored["provenance"].get(key), key


def test_replace_record_refuses_a_title_of_spaces(seeded_root):
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    form = arc.store.get(record_id)
    form["title"] = "   "
    with pytest.raises(ValidationError, match="title: must not be empty"):
        catalog.replace_record(arc, form)


# ----- 2. edit paths -----------------------------------------------------------------------------
def test_a_negative_index_means_counting_from_the_end(seeded_root, cli):
    record_id = only_id(cli, seeded_root)
    ok = cli("--root", seeded_root, "edit", record_id,
             "--set", 'creators=[{"family": "A"}, {"family": "B"}]')
    assert ok.code == 0, ok
    result = cli("--root", seeded_root, "edit", record_id, "--set", "creators[-1].family=C")
    assert result.code == 0, result
    assert show(cli, seeded_root, record_id)["creators"] == [{"family": "A"}, {"family": "C"}]
    removed = cli("--root", seeded_root, "edit", record_id, "--set", "creators[-2]=")
    assert removed.code == 0, removed
    assert show(cli, seeded_root, record_id)["creators"] == [{"family": "C"}]


@pytest.mark.parametrize(("assignment", "says"), [
    ("creators[-3].family=C", "creators[-3]: there is no item -3"),
    ("creators[9].family=C", "creators[9]: there is no item 9"),
    ("creators[x].family=C", "is not a field path"),
    ("creators[0]family=C", "is not a field path"),
    ("creators..family=C", "is not a field path"),
    ("title.x=C", "title: is not an object"),
    ("title[0]=C", "title: is not a list"),
    ("subjects.family=C", "subjects: is a list"),
    ("creators.family=C", "creators: expected a list"),
    ("[0]=C", "is not a field path"),
    ("=C", "expected FIELD=VALUE"),
])
def test_a_bad_edit_path_is_one_clear_line(seeded_root, cli, assignment, says):
    record_id = only_id(cli, seeded_root)
    before = snapshot_tree(seeded_root)
    result = cli("--root", seeded_root, "edit", record_id, "--set", assignment)
    assert_one_line_error(result, says=says)
    assert snapshot_tree(seeded_root) == before


# ----- 3. shards of valid JSON with the wrong shape ------------------------------------------------
@pytest.mark.parametrize("content", [
    [],
    {"records": 5},
    {"records": [], "events": {}},
    {"records": {"1": 5}, "events": {}},
    {"records": {"1": {"title": "no id"}}, "events": {}},
    {"records": {"one": {"id": "ART-2026-000001"}}, "events": {}},
    {"records": {}, "events": {"1": "not an event"}},
    "a string",
])
def test_a_shard_of_the_wrong_shape_is_named(seeded_root, cli, content):
    shard = seeded_root / "catalog" / "records" / "000000.json"
    shard.write_bytes(orjson.dumps(content))
    for args in (["list"], ["show", "ART-2026-000001"], ["history", "ART-2026-000001"]):
        result = cli("--root", seeded_root, *args)
        assert_one_line_error(result, says="catalog/records/000000.json is damaged")
    assert shard.read_bytes() == orjson.dumps(content)  # never overwritten


def test_a_record_whose_fields_have_the_wrong_shape_is_named(seeded_root, cli):
    shard = seeded_root / "catalog" / "records" / "000000.json"
    data = orjson.loads(shard.read_bytes())
    [key] = data["records"]
    data["records"][key]["bags"] = "not a list"
    shard.write_bytes(orjson.dumps(data))
    result = cli("--root", seeded_root, "list")
    assert_one_line_error(result, says="catalog/records/000000.json is damaged")


# ----- 4. archive.toml --------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "says"), [
    ("organization = 5", "archive.toml: archive.organization: expected a string"),
    ('colour = "red"', "archive.toml: archive.colour: unknown setting"),
    ('algorithms = "sha256"', "archive.toml: archive.algorithms: expected a list"),
    ("algorithms = [1]", "archive.toml: archive.algorithms: expected a list"),
    ('id_prefix = "art"', "archive.toml: archive.id_prefix:"),
    ("contact_email = 3.5", "archive.toml: archive.contact_email: expected a string"),
    ("organization = [", "archive.toml: not valid TOML"),
    ("organization = { name = \"x\" }", "archive.toml: archive.organization: expected a string"),
    ("min_copies = 0", "archive.toml: archive.min_copies: min_copies must be a whole number from 1 to 100"),
    ('min_copies = "2"', "archive.toml: archive.min_copies: expected a whole number"),
    ("min_copies = true", "archive.toml: archive.min_copies: expected a whole number"),
])
def test_every_setting_is_checked_with_one_line_naming_it(archive_root, cli, line, says):
    config = archive_root / "archive.toml"
    key = line.split("=")[0].strip()
    kept = [k for k in config.read_text().splitlines() if k.split("=")[0].strip() != key]
    config.write_text("\n".join([*kept, line]) + "\n")
    result = cli("--root", archive_root, "list")
    assert_one_line_error(result, says=says)


@pytest.mark.parametrize(("content", "says"), [
    (b"archive = 5\n", "archive.toml: archive: expected a table"),
    (b"[other]\nx = 1\n[archive]\n", "archive.toml: other: unknown section"),
    (b"\xff\n", "archive.toml: not UTF-8"),
    (b"[archive]\n[replicas.NAS]\nurl = \"/mnt/nas\"\n", "archive.toml: replicas.NAS: replica name 'NAS'"),
    (b"[archive]\n[replicas.nas]\npath = \"/mnt/nas\"\n", "archive.toml: replicas.nas.path: unknown setting"),
    (b"[archive]\n[replicas.nas]\nurl = 5\n", "archive.toml: replicas.nas.url: expected a string"),
    (b"[archive]\n[replicas.nas]\nregion = \"eu\"\n", "archive.toml: replicas.nas: url is required"),
    (b"[archive]\nreplicas = 5\n", "archive.toml: archive.replicas: unknown setting"),
    (b"replicas = 5\n", "archive.toml: replicas: expected a table"),
    (b"[archive]\n[replicas]\nnas = 5\n", "archive.toml: replicas.nas: expected a table"),
])
def test_a_settings_file_of_the_wrong_shape_is_one_line(archive_root, cli, content, says):
    (archive_root / "archive.toml").write_bytes(content)
    result = cli("--root", archive_root, "list")
    assert_one_line_error(result, says=says)


# ----- 5. titles and names are trimmed; empty is refused -----------------------------------------
@pytest.mark.parametrize("title", ["   ", "\u2003 ", " \t "])
def test_a_title_of_spaces_is_refused(seeded_root, cli, article, title):
    before = snapshot_tree(seeded_root)
    result = cli("--root", seeded_root, "add", article, "--title", title)
    assert_one_line_error(result, says="title: must not be empty")
    assert snapshot_tree(seeded_root) == before


def test_titles_and_names_are_trimmed(archive_root, cli, tmp_path, article):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"creators": [{"family": " Doe ", "given": " Jane"}],
                                "container_title": "  The Planet "}))
    result = cli("--root", archive_root, "add", article, "--title", "  Padded title ", "--meta", meta)
    assert result.code == 0, result
    record = show(cli, archive_root, result.out.strip())
    assert record["title"] == "Padded title"
    assert record["creators"] == [{"family": "Doe", "given": "Jane"}]
    assert record["container_title"] == "The Planet"


def test_edit_trims_and_refuses_an_empty_title(seeded_root, cli):
    record_id = only_id(cli, seeded_root)
    before = snapshot_tree(seeded_root)
    assert_one_line_error(cli("--root", seeded_root, "edit", record_id, "--set", "title=   "),
                          says="title: must not be empty")
    assert_one_line_error(cli("--root", seeded_root, "edit", record_id, "--set",
                              'creators=[{"family": " \\t"}]'),
                          says="creators[0].family: must not be empty")
    assert snapshot_tree(seeded_root) == before
    assert cli("--root", seeded_root, "edit", record_id, "--set", "title=  Trimmed  ").code == 0
    assert show(cli, seeded_root, record_id)["title"] == "Trimmed"


# ----- 6. list shows a record changed since its bag -----------------------------------------------
def test_list_shows_a_record_changed_since_its_bag(seeded_root, cli, tmp_path):
    record_id = only_id(cli, seeded_root)
    other = tmp_path / "other.txt"
    other.write_text("Another article, never bagged.\n")
    other_id = cli("--root", seeded_root, "add", other).out.strip()
    assert cli("--root", seeded_root, "bag", record_id).code == 0
    listed = cli("--root", seeded_root, "list").out
    assert "changed" not in listed
    assert cli("--root", seeded_root, "edit", record_id, "--set", "section=World").code == 0
    lines = {line.split()[0]: line for line in cli("--root", seeded_root, "list").out.splitlines()}
    assert lines[record_id].split()[1] == "changed"
    assert lines[other_id].split()[1] == "catalogued"
    only_changed = cli("--root", seeded_root, "list", "--status", "changed")
    assert only_changed.code == 0, only_changed
    assert [line.split()[0] for line in only_changed.out.splitlines()] == [record_id]
    rows = json.loads(cli("--root", seeded_root, "list", "--status", "changed", "--json").out)
    assert [r["id"] for r in rows] == [record_id] and rows[0]["changed_since_bag"] is True
    bagged = cli("--root", seeded_root, "list", "--status", "bagged", "--json").out
    assert [r["id"] for r in json.loads(bagged)] == [record_id]  # still bagged, and changed


# ----- 7. revision counts the archivist's changes only -------------------------------------------
def test_bagging_and_checks_do_not_move_the_revision(seeded_root, cli):
    record_id = only_id(cli, seeded_root)
    assert cli("--root", seeded_root, "bag", record_id).code == 0
    assert cli("--root", seeded_root, "verify").code == 0
    assert cli("--root", seeded_root, "verify", "--fast").code == 0
    record = show(cli, seeded_root, record_id)
    assert record["revision"] == 1
    assert record["bags"][-1]["last_fixity"]["outcome"] == "success"
    result = cli("--root", seeded_root, "edit", record_id, "--set", "section=World")
    assert result.out.strip() == f"{record_id} now at revision 2"
    assert cli("--root", seeded_root, "bag", record_id).code == 0
    assert show(cli, seeded_root, record_id)["revision"] == 2


def test_a_deposit_does_not_move_the_revision(seeded_root, cli, tmp_path):
    record_id = only_id(cli, seeded_root)
    assert cli("--root", seeded_root, "bag", record_id).code == 0
    result = cli("--root", seeded_root, "deposit", record_id, "--to", tmp_path / "out")
    assert result.code == 0, result
    record = show(cli, seeded_root, record_id)
    assert record["status"] == "deposited" and record["revision"] == 1


def test_a_form_saved_after_a_bag_was_written_meanwhile_keeps_the_bag(seeded_root, cli):
    """Bagging is not an archivist's edit: the form's save goes through and keeps bags[]."""
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    form = arc.store.get(record_id)
    assert cli("--root", seeded_root, "bag", record_id).code == 0
    form["section"] = "World"
    saved = catalog.replace_record(arc, form)
    assert saved["section"] == "World" and saved["revision"] == 2
    assert [b["version"] for b in saved["bags"]] == [1] and saved["status"] == "bagged"


def test_a_stale_bookkeeping_write_is_refused(seeded_root):
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    old = arc.store.get(record_id)
    catalog.edit_record(arc, record_id, assignments=["section=World"])
    old["status"] = "bagged"
    with pytest.raises(StaleRecordError), arc.store.transaction() as tx:
        tx.update(old, bookkeeping=True)
    assert arc.store.get(record_id)["status"] == "catalogued"


def test_a_bookkeeping_write_cannot_change_metadata(seeded_root):
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    record = arc.store.get(record_id)
    record["title"] = "Sneaked in"
    with pytest.raises(ArchiveError, match="title"), arc.store.transaction() as tx:
        tx.update(record, bookkeeping=True)


def test_records_written_before_the_serial_existed_still_work(seeded_root, cli):
    """An archive from an older version has no `serial`: it opens, edits, bags and verifies."""
    shard = seeded_root / "catalog" / "records" / "000000.json"
    data = orjson.loads(shard.read_bytes())
    for doc in data["records"].values():
        doc.pop("serial", None)
        doc["revision"] = 10  # as the old store left it after bagging and checks
    shard.write_bytes(orjson.dumps(data))
    record_id = only_id(cli, seeded_root)
    assert cli("--root", seeded_root, "bag", record_id).code == 0
    assert cli("--root", seeded_root, "verify").code == 0
    assert show(cli, seeded_root, record_id)["revision"] == 10
    result = cli("--root", seeded_root, "edit", record_id, "--set", "section=World")
    assert result.out.strip() == f"{record_id} now at revision 11", result
    assert "changed" in cli("--root", seeded_root, "list").out


# ----- 8. a deaccessioned record refuses edits unless --force ------------------------------------
def test_a_deaccessioned_record_refuses_edits_unless_forced(seeded_root, cli):
    record_id = only_id(cli, seeded_root)
    assert cli("--root", seeded_root, "deaccession", record_id, "--reason", "duplicate").code == 0
    before = snapshot_tree(seeded_root)
    refused = cli("--root", seeded_root, "edit", record_id, "--set", "section=World")
    assert_one_line_error(refused, says="is deaccessioned")
    assert "--force" in refused.err
    assert snapshot_tree(seeded_root) == before
    forced = cli("--root", seeded_root, "edit", record_id, "--force", "--set", "section=World")
    assert forced.code == 0, forced
    record = show(cli, seeded_root, record_id)
    assert record["section"] == "World" and record["status"] == "deaccessioned"


def test_the_library_refuses_edits_of_a_deaccessioned_record_by_default(seeded_root):
    arc = open_archive(seeded_root)
    record_id = arc.store.ids()[0]
    catalog.deaccession(arc, record_id, "withdrawn")
    with pytest.raises(ArchiveError, match="deaccessioned"):
        catalog.edit_record(arc, record_id, assignments=["section=World"])
    form = arc.store.get(record_id)
    form["section"] = "World"
    with pytest.raises(ArchiveError, match="deaccessioned"):
        catalog.replace_record(arc, form)
    saved = catalog.edit_record(arc, record_id, assignments=["section=World"], force=True)
    assert saved["section"] == "World"



async def _until(pilot, condition, timeout: float = 120.0) -> bool:
    """Wait for an event the app signals only by its state (a worker's result shown). The
    timeout only guards against a hang (as tests/tui/tui_helpers.HANG): on a loaded machine the
    bagging worker and the detail pane's reread took longer than the 20 s it was."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause()  # let pending messages run; the deadline only guards a hang
    return condition()


async def test_the_tui_detail_pane_shows_a_new_bag_though_the_revision_stays(seeded_root):
    """The detail pane reloads on the write serial: bagging no longer moves the revision."""
    from tui.app import ArchiveApp

    app = ArchiveApp(open_archive(seeded_root))
    async with app.run_test(size=(100, 30)) as pilot:
        detail = app.main_screen.detail
        assert await _until(pilot, lambda: detail.record is not None)
        assert not detail.record.get("bags")
        await pilot.press("b")
        await app.workers.wait_for_complete()
        assert await _until(pilot, lambda: bool((detail.record or {}).get("bags")))
        assert detail.record["revision"] == 1


@pytest.mark.parametrize("content", [[], {"shard_stamp": None, "rows": {"x": 5}}, {"shard_stamp": 5},
                                     {"shard_stamp": None, "rows": [], "hay": 3}])
def test_an_index_file_of_the_wrong_shape_is_rebuilt(seeded_root, cli, content):
    """The summary index is a cache: whatever its shape, it is rebuilt from the shard."""
    index = seeded_root / "catalog" / "index" / "000000.json"
    index.write_bytes(orjson.dumps(content))
    result = cli("--root", seeded_root, "list")
    assert result.code == 0, result
    assert "ART-" in result.out
