"""Issue 9, taking files in: one bad file never stops an import, hostile pages are refused in one
clear line, a killed run's leftovers are never reused, names never break a bag, front matter is
mapped or warned about, an empty export is still a valid file, and the installed package carries
what HTML needs.

Every test drives the CLI as a user would and asserts what that user would notice: the exit code,
the one line naming the file, and the files on disk.
"""

from __future__ import annotations

import codecs
import encodings.aliases
import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ARCHIVE_BIN, snapshot_tree, stored_record

from archive.errors import SourceFileError


def _page(charset: str, body: str = "A paragraph of ordinary words about the harbour wall.") -> bytes:
    return (
        f'<html><head><meta charset="{charset}"><title>Declared {charset}</title></head>'
        f"<body><article><p>{body}</p></article></body></html>"
    ).encode("ascii")


def _ids(root: Path, cli) -> list[str]:
    listed = cli("--root", root, "list", "--json")
    assert listed.code == 0, listed
    return [row["id"] for row in json.loads(listed.out)]


# ----- bullet 1: one bad file never stops an import --------------------------------------------
def test_a_utf16_page_among_many_does_not_stop_the_import(archive_root, cli, tmp_path):
    """The reported case: a page declaring utf-16 with no BOM among more files than one batch.
    Every file gets its line and the summary is printed, whatever happened to one file."""
    folder = tmp_path / "many"
    folder.mkdir()
    count = 300
    for n in range(count):
        (folder / f"a{n:03d}.txt").write_text(f"Article number {n} about the harbour.\n")
    (folder / "z-utf16.html").write_bytes(_page("utf-16"))
    result = cli("--root", archive_root, "import", folder)
    assert "unexpected" not in result.err, result
    lines = [line for line in result.out.splitlines() if line.startswith("ART-")]
    assert len(lines) + result.err.count("archive: error:") == count + 1, result
    assert result.out.strip().splitlines()[-1].startswith("imported "), result
    assert len(_ids(archive_root, cli)) >= count


def test_an_unexpected_exception_from_one_file_is_that_files_failure(archive_root, tmp_path,
                                                                      monkeypatch):
    """Whatever class of exception one file raises (a bug in an extractor, say), the import goes
    on: the file is listed as failed with the exception's class and message."""
    from archive import catalog
    from archive.layout import open_archive

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.txt", "b.md", "c.txt"):
        (folder / name).write_text(f"Text of {name}.\n")
    import archive.extract.markdown as markdown

    def broken(path):
        raise KeyError("a bug in the markdown reader")

    monkeypatch.setattr(markdown, "extract_markdown", broken)
    report = catalog.import_folder(open_archive(archive_root), folder)
    assert [name for name, _ in report.added] == ["a.txt", "c.txt"]
    assert len(report.failed) == 1
    name, reason = report.failed[0]
    assert name == "b.md" and "KeyError" in reason and "a bug in the markdown reader" in reason
    assert report.summary() == "imported 2 article(s), 1 failed"


@pytest.mark.parametrize("charset", ["utf-16", "utf-16le", "utf-16be", "utf-32", "UTF-32LE"])
def test_a_page_declaring_utf16_or_utf32_without_bom_is_read_as_the_html_standard_says(
        archive_root, cli, tmp_path, charset):
    """A ``<meta>`` readable as ASCII proves the bytes are not UTF-16/32; browsers (WHATWG
    encoding sniffing) then read the page as UTF-8, and so does the archive, saying so in a note."""
    page = tmp_path / "declared.html"
    page.write_bytes(_page(charset))
    result = cli("--root", archive_root, "add", page)
    assert result.code == 0, result
    record = stored_record(archive_root, result.out.strip())
    assert record["source"]["encoding"] in ("us-ascii", "utf-8")
    assert record["title"] == f"Declared {charset}"
    assert f"declares charset '{charset.lower()}'" in record["provenance"]["notes"]


def test_a_page_declaring_utf16_but_not_utf8_either_is_refused_naming_it(archive_root, cli,
                                                                         tmp_path):
    page = tmp_path / "legacy.html"
    page.write_bytes(_page("utf-16").replace(b"ordinary", "ordin\u00e4ry".encode("latin-1")))
    before = snapshot_tree(archive_root)
    result = cli("--root", archive_root, "add", page)
    assert result.code == 1, result
    assert result.err.startswith("archive: error: ") and "legacy.html" in result.err
    assert "unexpected" not in result.err and len(result.err.splitlines()) == 1, result
    assert snapshot_tree(archive_root) == before


# ----- bullet 2: codecs that are not text encodings ----------------------------------------------
@pytest.mark.parametrize("charset", ["rot13", "hex", "base64", "zlib", "bz2", "uu", "quopri"])
def test_a_codec_that_is_not_a_text_encoding_is_refused_in_one_line(archive_root, cli, tmp_path,
                                                                    charset):
    page = tmp_path / f"page-{charset}.html"
    page.write_bytes(_page(charset))
    before = snapshot_tree(archive_root)
    result = cli("--root", archive_root, "add", page)
    assert result.code == 1, result
    assert result.err == (f"archive: error: {page}: declares charset '{charset}', "
                          "which is not a text encoding\n"), result
    assert snapshot_tree(archive_root) == before


def test_every_codec_python_knows_is_taken_in_or_refused_never_crashes(tmp_path):
    """Any name Python's codec registry answers to may appear in a hostile page: each one either
    decodes the page or is refused with a SourceFileError naming the file; no other exception."""
    from archive.extract import extract
    from archive.sources import take_in

    names = sorted(set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values())
                   | {"undefined", "idna", "punycode", "unicode_escape", "raw_unicode_escape",
                      "utf-7", "utf-8-sig", "mbcs", "oem", "palmos"})
    outcomes: dict[str, str] = {}
    for name in names:
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        page = tmp_path / "p.html"
        page.write_bytes(_page(name))
        try:
            take_in(page, None)
            extract(page)
            outcomes[name] = "taken"
        except SourceFileError as exc:
            assert str(exc).startswith(f"{page}: "), exc
            outcomes[name] = "refused"
    assert outcomes["rot13"] == outcomes["hex_codec"] == "refused"
    assert outcomes["latin_1"] == outcomes["cp1252"] == outcomes["utf_16"] == "taken"


# ----- bullet 3: JSON-LD nested 100k deep -----------------------------------------------------
@pytest.mark.parametrize("opener,closer", [("[", "]"), ('{"a":', "}")])
def test_json_ld_nested_100k_deep_is_ignored_with_a_note(archive_root, cli, tmp_path, opener, closer):
    depth = 100_000
    page = tmp_path / "deep.html"
    page.write_text(
        '<html><head><title>Deep page</title><script type="application/ld+json">'
        + opener * depth + ("1" if opener != "[" else "") + closer * depth
        + "</script></head><body><article><p>The harbour wall gave way in the night, "
        "the coastguard said.</p></article></body></html>",
        encoding="utf-8",
    )
    result = cli("--root", archive_root, "add", page)
    assert result.code == 0, result
    assert "unexpected" not in result.err
    record = stored_record(archive_root, result.out.strip())
    assert record["title"] == "Deep page"
    assert "JSON-LD" in record["provenance"]["notes"] and "ignored" in record["provenance"]["notes"]


def test_json_ld_moderately_deep_still_gives_its_article(archive_root, cli, tmp_path):
    """The depth guard must not throw away an ordinary page's JSON-LD (a few levels deep)."""
    page = tmp_path / "normal.html"
    page.write_text(
        '<html><head><script type="application/ld+json">'
        '{"@context": "https://schema.org", "@graph": [{"@type": "NewsArticle", '
        '"headline": "Normal page", "author": [{"@type": "Person", "name": "Ann Lee"}], '
        '"publisher": {"@type": "Organization", "name": "Harbour Press", '
        '"logo": {"@type": "ImageObject", "url": "https://example.org/l.png"}}}]}'
        "</script><title>Normal page</title></head><body><article><p>The harbour wall gave way."
        "</p></article></body></html>",
        encoding="utf-8",
    )
    result = cli("--root", archive_root, "add", page)
    assert result.code == 0, result
    record = stored_record(archive_root, result.out.strip())
    assert record["publisher"] == "Harbour Press" and record["type"] == "article-newspaper"
    assert "JSON-LD" not in record["provenance"].get("notes", "")


# ----- bullet 4: a killed run's leftovers are never reused --------------------------------------
def _next_id(root: Path) -> str:
    from archive.ids import format_id
    from archive.layout import open_archive

    arc = open_archive(root)
    return format_id(arc.settings.id_prefix, len(arc.store) + 1)


def test_a_stale_source_folder_from_a_killed_run_is_cleared_before_reuse(archive_root, cli, tmp_path):
    """The killed state recreated on disk: sources/<next id>/ holds another file's copy and a
    half-copied ``.partial``, and no record owns it. The next add takes that id and must hold
    only its own file there."""
    stale = archive_root / "sources" / _next_id(archive_root)
    stale.mkdir(parents=True)
    (stale / "killed.txt").write_text("The text of an import that was killed.\n")
    (stale / "new.txt.partial").write_text("half a cop")
    article = tmp_path / "new.txt"
    article.write_text("The new article about the harbour.\n")
    result = cli("--root", archive_root, "add", article)
    assert result.code == 0, result
    assert result.out.strip() == stale.name
    assert sorted(p.name for p in stale.iterdir()) == ["new.txt"]
    assert (stale / "new.txt").read_bytes() == article.read_bytes()


def test_a_stale_folder_with_the_same_file_name_is_not_mistaken_for_the_copy(archive_root, cli,
                                                                           tmp_path):
    """HTML keeps an extracted text beside the page: a stale one of those must not survive."""
    stale = archive_root / "sources" / _next_id(archive_root)
    stale.mkdir(parents=True)
    (stale / "page.extracted.txt.partial").write_text("stale half text")
    (stale / "other.extracted.txt").write_text("stale text of another page")
    page = tmp_path / "page.html"
    page.write_bytes(_page("utf-8"))
    result = cli("--root", archive_root, "add", page)
    assert result.code == 0, result
    assert sorted(p.name for p in stale.iterdir()) == ["page.extracted.txt", "page.html"]


def _holds_a_copy(sources: Path) -> bool:
    try:
        return any(any(sub.iterdir()) for sub in sources.iterdir() if sub.is_dir())
    except OSError:  # a folder appeared or went between listing and reading it
        return False


def _kill_when_sources_appear(root: Path, folder: Path, attempt: int) -> subprocess.Popen:
    """Start ``archive import`` and SIGKILL it as soon as a source copy exists in sources/
    (polled without sleeping, so it is the event and not the machine's speed that decides)."""
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1"}
    env.pop("ARCHIVE_ROOT", None)
    proc = subprocess.Popen([str(ARCHIVE_BIN), "--root", str(root), "import", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    sources = root / "sources"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if _holds_a_copy(sources):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    print(f"attempt {attempt}: import ended with {proc.returncode}")
    return proc


def test_a_real_sigkill_during_import_leaves_nothing_a_later_add_reuses(archive_root, cli, tmp_path):
    """A real ``archive import`` is killed while its first batch is being copied (before the
    batch's commit). Whatever the kill left, the next add holds only its own file."""
    from archive import catalog

    folder = tmp_path / "batch"
    folder.mkdir()
    for n in range(catalog.IMPORT_BATCH):
        (folder / f"killed-{n:03d}.txt").write_text(f"Article {n} of the killed import.\n" * 50)
    killed_state = False
    for attempt in range(1, 6):
        proc = _kill_when_sources_appear(archive_root, folder, attempt)
        leftovers = [p for p in (archive_root / "sources").iterdir() if p.is_dir()]
        if proc.returncode == -signal.SIGKILL and leftovers and not _ids(archive_root, cli):
            killed_state = True
            break
        for folder_left in leftovers:  # the import finished first: start again from empty
            subprocess.run(["rm", "-rf", str(folder_left)], check=True)
        assert not _ids(archive_root, cli), "the import committed before the kill; use more files"
    assert killed_state, "could not kill the import between copying and committing"
    article = tmp_path / "after.txt"
    article.write_text("The article added after the killed import.\n")
    result = cli("--root", archive_root, "add", article)
    assert result.code == 0, result
    record_id = result.out.strip()
    assert sorted(p.name for p in (archive_root / "sources" / record_id).iterdir()) == ["after.txt"]


KILL_AT_TEXT_FSYNC = """
import os, sys
from pathlib import Path
real_fsync = os.fsync

def fsync(fd):
    name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    if name.startswith("page.extracted.txt"):
        print(name, flush=True)
        os._exit(137)  # as if killed the moment the extracted text is being made durable
    return real_fsync(fd)

os.fsync = fsync
from archive import catalog
from archive.layout import open_archive
catalog.add_article(open_archive(sys.argv[1]), catalog.NewArticle(path=Path(sys.argv[2])))
"""


def test_the_extracted_text_is_made_durable_under_a_temporary_name(archive_root, cli, tmp_path):
    """The text extracted from a page is fsynced under a temporary name and only then renamed,
    so a kill never leaves a half-written file under the final name; the next add clears it."""
    page = tmp_path / "page.html"
    page.write_bytes(_page("utf-8"))
    killed = subprocess.run([sys.executable, "-c", KILL_AT_TEXT_FSYNC, str(archive_root), str(page)],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == 137, killed  # the extracted text was fsynced at all
    assert killed.stdout.strip() == "page.extracted.txt.partial"
    [folder] = (archive_root / "sources").iterdir()
    assert not (folder / "page.extracted.txt").exists()
    again = cli("--root", archive_root, "add", page)
    assert again.code == 0, again
    assert again.out.strip() == folder.name
    assert sorted(p.name for p in folder.iterdir()) == ["page.extracted.txt", "page.html"]


# ----- bullet 5: names with line and paragraph separators ---------------------------------------
def test_names_with_line_separators_are_added_bagged_and_verified(archive_root, cli, tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    added = []
    for n, char in enumerate(("\u2028", "\u2029", "\u0085")):
        article = folder / f"line{char}break-{n}.txt"
        article.write_text(f"Article {n} whose name holds U+{ord(char):04X}.\n")
        result = cli("--root", archive_root, "add", article)
        assert result.code == 0, result
        added.append(result.out.strip())
    for record_id in added:
        record = stored_record(archive_root, record_id)
        name = record["source"]["filename"]
        assert not any(c in name for c in "\u2028\u2029\u0085"), name
        assert (archive_root / "sources" / record_id / name).is_file()
    bagged = cli("--root", archive_root, "bag", "--all")
    assert bagged.code == 0, bagged
    verified = cli("--root", archive_root, "verify")
    assert verified.code == 0, verified


def test_safe_filename_keeps_its_fallback_and_its_bound():
    from archive.sources import safe_filename

    assert safe_filename("...") == "source.txt"
    assert safe_filename("\u2028\u2029") == "source.txt"
    long = "\u00e9" * 300 + ".txt"
    assert safe_filename(long).endswith(".txt") and len(safe_filename(long).encode()) <= 200
    assert safe_filename("a\u2028b\u0085c\u202e.txt") == "abc.txt"
    assert safe_filename("Ankara news 100%.txt") == "Ankara news 100%.txt"


# ----- bullet 6: Markdown front matter ---------------------------------------------------------
def test_front_matter_creators_as_family_given_objects_are_mapped(archive_root, cli, tmp_path):
    note = tmp_path / "harbour.md"
    note.write_text(
        "---\n"
        "title: The harbour wall\n"
        "creators:\n"
        "  - {family: Marsh, given: Eleanor}\n"
        "  - family: Reed\n"
        "    given: Tom\n"
        "    role: editor\n"
        "  - literal: Coastal News Desk\n"
        "---\n"
        "The wall gave way.\n",
        encoding="utf-8",
    )
    result = cli("--root", archive_root, "add", note)
    assert result.code == 0, result
    assert result.err == ""
    record = stored_record(archive_root, result.out.strip())
    assert record["creators"] == [
        {"family": "Marsh", "given": "Eleanor", "role": "author"},
        {"family": "Reed", "given": "Tom", "role": "editor"},
        {"literal": "Coastal News Desk", "role": "author"},
    ]
    assert "creators" in record["provenance"]["extracted_fields"]


def test_front_matter_creators_as_family_comma_given_strings_are_mapped(archive_root, cli, tmp_path):
    note = tmp_path / "strings.md"
    note.write_text("---\ncreators: ['Marsh, Eleanor', 'Reed, Tom']\n---\nText.\n", encoding="utf-8")
    result = cli("--root", archive_root, "add", note)
    assert result.code == 0, result
    record = stored_record(archive_root, result.out.strip())
    assert record["creators"] == [
        {"family": "Marsh", "given": "Eleanor", "role": "author"},
        {"family": "Reed", "given": "Tom", "role": "author"},
    ]


FRONT_MATTER_WITH_UNUSED_KEYS = (
    "---\n"
    "title: Fire at the old mill\n"
    "colour: blue\n"
    "status: deaccessioned\n"
    "id: ART-2020-000001\n"
    "bags: [{version: 1}]\n"
    "date: not a date at all\n"
    "creators: [{nickname: Ruthie}]\n"
    "---\n"
    "The old mill burned for six hours.\n"
)


def test_add_warns_about_every_front_matter_key_it_did_not_use(archive_root, cli, tmp_path):
    note = tmp_path / "mill.md"
    note.write_text(FRONT_MATTER_WITH_UNUSED_KEYS, encoding="utf-8")
    result = cli("--root", archive_root, "add", note)
    assert result.code == 0, result
    record = stored_record(archive_root, result.out.strip())
    assert record["title"] == "Fire at the old mill"
    assert record["status"] == "catalogued" and record["id"] != "ART-2020-000001"
    assert "bags" not in record and "issued" not in record and "creators" not in record
    warnings = result.err.splitlines()
    assert all(line.startswith("archive: warning: mill.md: front matter ") for line in warnings), warnings
    text = result.err
    assert "'colour' is not a record field; ignored" in text
    for key in ("status", "id", "bags"):
        assert f"'{key}' is set by the archive; ignored" in text
    assert "'date'" in text and "'creators'" in text
    assert len(warnings) == 6, warnings


def test_import_reports_unused_front_matter_keys(archive_root, cli, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "mill.md").write_text(FRONT_MATTER_WITH_UNUSED_KEYS, encoding="utf-8")
    (folder / "plain.txt").write_text("Plain text.\n")
    result = cli("--root", archive_root, "import", folder, "--json")
    assert result.code == 0, result
    report = json.loads(result.out)
    assert len(report["added"]) == 2 and report["failed"] == []
    warned = [w for w in report["warnings"] if w["file"] == "mill.md"]
    assert len(warned) == 6 and any("'colour'" in w["warning"] for w in warned)
    second = cli("init", tmp_path / "arc2")
    assert second.code == 0
    plain = cli("--root", tmp_path / "arc2", "import", folder)
    assert plain.code == 0, plain
    assert "archive: warning: mill.md: front matter 'colour' is not a record field; ignored" in plain.err


# ----- bullet 8: an export with no matching rows --------------------------------------------------
def test_csv_export_with_no_matching_rows_writes_the_header(seeded_root, cli, tmp_path):
    from archive.citation.export import CSV_COLUMNS

    result = cli("--root", seeded_root, "export", "--all", "--format", "csv", "--status", "deposited")
    assert result.code == 0, result
    assert result.out == ",".join(CSV_COLUMNS) + "\r\n"
    out = tmp_path / "empty.csv"
    written = cli("--root", seeded_root, "export", "--all", "--format", "csv", "--status",
                  "deposited", "--out", out)
    assert written.code == 0, written
    assert out.read_bytes().decode("utf-8") == ",".join(CSV_COLUMNS) + "\r\n"


def test_csv_and_jsonl_export_of_an_empty_catalogue(archive_root, cli):
    from archive.citation.export import CSV_COLUMNS

    csv_out = cli("--root", archive_root, "export", "--all", "--format", "csv")
    assert (csv_out.code, csv_out.out) == (0, ",".join(CSV_COLUMNS) + "\r\n"), csv_out
    jsonl = cli("--root", archive_root, "export", "--all", "--format", "jsonl", "--status", "bagged")
    assert (jsonl.code, jsonl.out) == (0, ""), jsonl


def test_a_citation_export_of_nothing_is_still_an_error(seeded_root, cli):
    result = cli("--root", seeded_root, "export", "--all", "--format", "bibtex", "--status", "deposited")
    assert result.code == 1
    assert result.err.strip() == "archive: error: no records to export with status deposited"


# ----- bullet 10: packaging --------------------------------------------------------------------
def test_the_installed_distribution_declares_lxml_html_clean():
    requires = importlib.metadata.requires("article-archive") or []
    names = {r.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
             .replace("-", "_") for r in requires if "extra ==" not in r}
    assert "lxml_html_clean" in names and "lxml" in names, requires


def test_lxml_html_clean_imports_in_the_venv_and_html_adds(archive_root, cli, tmp_path):
    done = subprocess.run([sys.executable, "-c", "import lxml_html_clean, lxml.html.clean"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = tmp_path / "page.html"
    page.write_bytes(_page("utf-8"))
    assert cli("--root", archive_root, "add", page).code == 0
