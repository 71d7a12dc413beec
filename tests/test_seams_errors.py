"""Issue 10's error seams: an unexpected failure exits 70 with its traceback in a log file, the test
guard against "unexpected", impossible page dates dropped, and ``search --text`` reading the text a
reader sees rather than the markup."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Result

from archive.extract.normalise import partial_date

EX_SOFTWARE = 70
LINE = re.compile(r"^archive: error: unexpected RuntimeError: boom in (\w+); details in (.+)$")

# A real unexpected exception, raised inside the library where a bug would raise it; the CLI is
# then run in its own interpreter exactly as the ``archive`` entry point runs it.
_CRASH = """
import sys
import archive.catalog, archive.layout
def boom(*a, **k):
    raise RuntimeError("boom in " + sys.argv[1])
setattr(archive.catalog, "list_records", boom)
setattr(archive.layout, "init_archive", boom)  # the command imports it when it runs
import archive.cli
sys.exit(archive.cli.main(sys.argv[2:]))
"""


def _crash(command: str, *args: str | os.PathLike, cwd: Path, env: dict | None = None) -> Result:
    full_env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", **(env or {})}
    full_env.pop("ARCHIVE_ROOT", None)
    if "ARCHIVE_DEBUG" not in (env or {}):
        full_env.pop("ARCHIVE_DEBUG", None)
    proc = subprocess.run([sys.executable, "-c", _CRASH, command, command, *map(str, args)],
                          cwd=cwd, env=full_env, capture_output=True, timeout=120)
    return Result(proc, expect_unexpected=True)


def _one_line(result: Result, command: str) -> Path:
    """The single stderr line's log path, after checking the line's form and the exit code."""
    assert result.code == EX_SOFTWARE, result
    lines = result.err.splitlines()
    assert len(lines) == 1, result
    match = LINE.match(lines[0])
    assert match and match.group(1) == command, result
    return Path(match.group(2))


def _assert_traceback(log: Path, command: str) -> None:
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "in boom" in text and f"RuntimeError: boom in {command}" in text


# ----- 1. exit 70, the traceback in a log file -----------------------------------------------------
def test_unexpected_error_exits_70_and_logs_traceback_under_the_archive(archive_root: Path, tmp_path):
    before = set(os.listdir(archive_root / "logs")) if (archive_root / "logs").exists() else set()
    result = _crash("list", "--root", archive_root, cwd=tmp_path)
    log = _one_line(result, "list")
    assert log.parent == (archive_root / "logs").resolve()
    assert re.fullmatch(r"archive-\d{8}T\d{6}Z-\d+\.log", log.name), log.name
    assert log.name not in before
    _assert_traceback(log, "list")
    assert "Traceback" not in result.err


def test_unexpected_error_without_an_archive_logs_to_the_temp_dir(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = _crash("init", tmp_path / "new", cwd=tmp_path, env={"TMPDIR": str(temp)})
    log = _one_line(result, "init")
    assert log.parent == temp.resolve()
    _assert_traceback(log, "init")


def test_unwritable_logs_folder_falls_back_to_the_temp_dir(archive_root: Path, tmp_path):
    logs = archive_root / "logs"
    if logs.exists():
        logs.rmdir()
    logs.write_text("not a folder")  # logs/ cannot be made: the log goes to the temp dir instead
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = _crash("list", "--root", archive_root, cwd=tmp_path, env={"TMPDIR": str(temp)})
    log = _one_line(result, "list")
    assert log.parent == temp.resolve()
    _assert_traceback(log, "list")
    assert logs.read_text() == "not a folder"


def test_archive_debug_still_prints_the_traceback(archive_root: Path, tmp_path):
    result = _crash("list", "--root", archive_root, cwd=tmp_path, env={"ARCHIVE_DEBUG": "1"})
    assert result.code == EX_SOFTWARE, result
    assert "Traceback (most recent call last)" in result.err
    assert "RuntimeError: boom in list" in result.err
    last = result.err.splitlines()[-1]
    match = LINE.match(last)
    assert match, result
    _assert_traceback(Path(match.group(2)), "list")


def test_init_makes_the_logs_folder(archive_root: Path):
    assert (archive_root / "logs").is_dir()


# ----- 3. the guard --------------------------------------------------------------------------------
def test_guard_fails_a_run_that_says_unexpected():
    proc = subprocess.CompletedProcess(["archive"], 1, b"",
                                       b"archive: error: unexpected KeyError: 'x'\n")
    with pytest.raises(pytest.fail.Exception, match="unexpected KeyError"):
        Result(proc)
    assert Result(proc, expect_unexpected=True).code == 1


# ----- 5. impossible page dates ------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    ("2019-02-31", None), ("2019-04-31", None), ("2021-02-29", None),
    ("2020-02-29", "2020-02-29"), ("2019-02-28T10:00:00Z", "2019-02-28"), ("2019-02", "2019-02"),
])
def test_partial_date_drops_impossible_dates(value, expected):
    assert partial_date(value) == expected


def _page(title: str, body: str, head: str = "") -> str:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"{head}</head><body><article><h1>{title}</h1>{body}</article></body></html>")


PARAS = "".join(f"<p>Paragraph {i} of a long enough article about the harbour and its old wall, "
                "told plainly so the extractor keeps it as the main text.</p>" for i in range(8))


def test_add_html_with_an_impossible_meta_date_succeeds_without_issued(archive_root: Path, cli, tmp_path):
    page = tmp_path / "odd-date.html"
    page.write_text(_page("Harbour wall report", PARAS,
                          '<meta name="citation_publication_date" content="2019-02-31">'
                          '<meta name="citation_title" content="Harbour wall report">'),
                    encoding="utf-8")
    added = cli("--root", archive_root, "add", page)
    assert added.code == 0, added
    shown = cli("--root", archive_root, "show", added.out.strip(), "--json")
    assert shown.code == 0, shown
    record = json.loads(shown.out)
    assert "issued" not in record or record["issued"] in (None, ""), record


# ----- 6. search --text reads the visible text -------------------------------------------------
def test_search_text_finds_visible_words_not_markup(archive_root: Path, cli, tmp_path):
    page = tmp_path / "zoo.html"
    page.write_text(_page("Keepers at the city zoo",
                          '<div class="zebra" data-note="quokka">' + PARAS
                          + "<p>The keepers fed the giraffes at noon every day.</p></div>"),
                    encoding="utf-8")
    added = cli("--root", archive_root, "add", page)
    assert added.code == 0, added
    record_id = added.out.strip()

    def ids(word: str) -> list[str]:
        found = cli("--root", archive_root, "search", word, "--text", "--json")
        assert found.code == 0, found
        return [row["id"] for row in json.loads(found.out)]

    assert ids("giraffes") == [record_id]
    assert ids("zebra") == []
    assert ids("quokka") == []
    assert ids("data-note") == []


# ----- 2. every error the archive raises is an ArchiveError ---------------------------------------
ARCHIVE_PKG = Path(__file__).resolve().parents[1] / "archive"
INTERNAL_EXCEPTIONS = {
    "archive.cli.common.CommandFailed",  # control flow: the command printed its report; exit 1
    "archive.fixity.inventory.NotTheSameFile",  # an OSError caught inside the fixity reader
    "archive.replicas.transfer.Stopped",  # control flow: a transfer task stops when the run is cancelled
}
BUILTIN_RAISE = re.compile(r"raise (ValueError|RuntimeError|TypeError|KeyError|OSError|"
                           r"FileNotFoundError|FileExistsError|Exception)\(")
# Programming-error guards a user cannot reach, the crash log's own internal retry signal, and
# syncfs's errno, which LocalStorage.sync() turns into a StorageError.
ALLOWED_BUILTIN_RAISES = {("bagging/bagit_patches.py", "RuntimeError"), ("crashlog.py", "FileExistsError"),
                          ("storage/local.py", "OSError"),
                          # schema.parsedate_to_datetime stands in for email.utils' function inside
                          # jsonschema-rs, so it raises what that one raises, to jsonschema-rs only.
                          ("schema.py", "ValueError")}


def test_every_exception_class_in_the_library_is_an_archive_error():
    import importlib
    import inspect
    import pkgutil

    import archive
    from archive.errors import ArchiveError

    outside = []
    for info in pkgutil.walk_packages(archive.__path__, "archive."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__ == info.name and not issubclass(value, ArchiveError)
                    and f"{info.name}.{name}" not in INTERNAL_EXCEPTIONS):
                outside.append(f"{info.name}.{name}")
    assert outside == []


def test_the_library_raises_no_builtin_exception_a_user_can_reach():
    found = []
    for path in sorted(ARCHIVE_PKG.rglob("*.py")):
        rel = path.relative_to(ARCHIVE_PKG).as_posix()
        for match in BUILTIN_RAISE.finditer(path.read_text(encoding="utf-8")):
            if (rel, match.group(1)) not in ALLOWED_BUILTIN_RAISES:
                found.append(f"{rel}: {match.group(0)}")
    assert found == []


def test_a_refused_package_is_an_archive_error(tmp_path):
    from archive.deposit.verify import validate_package
    from archive.errors import ArchiveError

    package = tmp_path / "not-a-bag.tar"
    package.write_bytes(b"this is not a tar file at all" * 40)
    with pytest.raises(ArchiveError, match=r"not-a-bag\.tar"):
        validate_package(package)


def test_bag_with_ids_and_all_is_a_usage_error(archive_root: Path, cli):
    result = cli("--root", archive_root, "bag", "ART-2026-000001", "--all")
    assert result.code == 2, result
    assert result.err.strip() == "archive: error: give record ids or --all, not both", result


def test_guard_lets_a_parser_message_saying_unexpected_through():
    proc = subprocess.CompletedProcess(["archive"], 1, b"", b"archive: error: meta.json: not valid JSON "
                                       b"(unexpected character: line 1 column 2)\n")
    assert Result(proc).code == 1
