"""Property-based tests over the door for untrusted metadata (issue 9).

Random JSON of any type and shape, deep nesting, protected keys, control characters, line
separators and huge strings go through ``fields_from_outside`` and through the CLI's
``add --meta``, ``edit --meta`` and ``edit --set``. Whatever arrives: never a traceback or an
"unexpected" error (success, or one ``archive: error:`` line per problem), a refused input
leaves the catalogue byte-identical, and the fields only the archive sets never change.

The CLI runs in-process (``archive.cli.main``, the same handler and error path as the command)
so the CI profile's examples fit in well under a minute; tests/test_trust_catalog.py drives
the same commands as subprocesses. Sizes: see the ``settings`` on each test.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import unicodedata
from pathlib import Path

import pytest
from helpers import examples, snapshot_tree
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from archive import catalog
from archive.catalog import NewArticle
from archive.cli import main as cli_main
from archive.errors import ArchiveError, ValidationError
from archive.events import current_user
from archive.layout import init_archive, open_archive
from archive.untrusted import (
    MAX_DEPTH,
    MAX_NAME_BYTES,
    PROTECTED_FIELDS,
    PROTECTED_PROVENANCE,
    UnsafePathError,
    depth,
    fields_from_outside,
    is_safe_basename,
    path_inside,
    protected_problems,
    safe_basename,
)

# ----- strategies ------------------------------------------------------------------------------
NASTY_CHARS = "\x00\x01\x07\x08\t\n\r\x0b\x0c\x1b\x7f\x85\u2028\u2029\u200b\u200e\u202e\ufeff/\\.-% \u00a0é"
nasty_text = st.text(
    alphabet=st.one_of(st.sampled_from(NASTY_CHARS), st.characters(blacklist_categories=("Cs",))),
    max_size=40,
)
huge_text = st.sampled_from(["x" * 3000, "é" * 70_000, "\u2028" * 5000, "a " * 60_000])
text_values = st.one_of(nasty_text, huge_text, st.sampled_from(
    ["", " ", "   ", "Title", " Padded ", "2016-12-19", "en", "https://example.org/a", "deposited",
     "deaccessioned", "ART-2026-000001", "2000-01-01T00:00:00Z"]))

RECORD_KEYS = ["title", "subtitle", "creators", "container_title", "publisher", "section", "issued",
               "url", "language", "subjects", "keywords", "abstract", "rights", "provenance",
               "identifiers", "references", "type", "family", "given", "literal", "notes",
               "acquisition", "holder", "name", *sorted(PROTECTED_FIELDS), *sorted(PROTECTED_PROVENANCE)]
keys = st.one_of(st.sampled_from(RECORD_KEYS), nasty_text)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), text_values)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(keys, children, max_size=5)),
    max_leaves=24,
)


def nested(levels: int, leaf: object = "x") -> object:
    """A value nested ``levels`` deep, alternating lists and objects; built without recursion."""
    value: object = leaf
    for level in range(levels):
        value = [value] if level % 2 else {"title": value}
    return value


deep_values = st.builds(nested, st.integers(MAX_DEPTH - 2, 200))  # deeper: the CLI test below
plain_text = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                     min_size=1, max_size=30)
plausible = st.fixed_dictionaries(
    {"title": plain_text},
    optional={
        "section": plain_text, "publisher": plain_text,
        "creators": st.lists(st.fixed_dictionaries({"family": plain_text},
                                                   optional={"given": plain_text}), max_size=3),
        "provenance": st.fixed_dictionaries({}, optional={"notes": plain_text,
                                                          "acquisition": plain_text}),
        "subjects": st.lists(plain_text, max_size=3, unique=True),
    },
)
with_protected = st.builds(lambda fields, key, value: {**fields, key: value}, plausible,
                           st.sampled_from(sorted(PROTECTED_FIELDS)), json_values)
with_stamp = st.builds(lambda fields, key, value: {**fields, "provenance": {key: value}}, plausible,
                       st.sampled_from(sorted(PROTECTED_PROVENANCE)), text_values)
field_sets = st.one_of(
    plausible, with_protected, with_stamp,
    st.dictionaries(keys, json_values, max_size=6),
    st.dictionaries(st.sampled_from(RECORD_KEYS), json_values, min_size=1, max_size=4),
    st.builds(lambda v: {"provenance": v}, json_values),
    st.builds(lambda v: {"title": v}, deep_values),
    json_values,  # not an object at all
)


# ----- the archive, and the CLI in-process ---------------------------------------------------------
@pytest.fixture(scope="module")
def shared_archive(tmp_path_factory) -> tuple[Path, Path, str]:
    """One archive for every example of this module: a record to edit and a file to add."""
    root = tmp_path_factory.mktemp("hyp") / "arc"
    arc = init_archive(root, organization="Hypothesis", contact_name="H", contact_email="h@example.org")
    source = root.parent / "story.txt"
    source.write_text("A story about a council meeting.\n", encoding="utf-8")
    record = catalog.add_article(arc, NewArticle(path=source, fields={
        "title": "Council meets", "creators": [{"family": "Doe", "given": "Jane"}],
        "provenance": {"notes": "From a test."}}))
    return root, source, record["id"]


def run(*args: str | os.PathLike) -> tuple[int, str, str]:
    """``archive ARGS`` through the CLI's own entry point; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def assert_clean_outcome(code: int, err: str) -> None:
    """Success, or one ``archive: error:`` line per problem; never a crash."""
    event("accepted" if code == 0 else f"refused, exit {code}")  # --hypothesis-show-statistics
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "unexpected" not in err, err
    if code:
        lines = err.splitlines()
        assert lines and all(line.startswith("archive: error: ") for line in lines), err


def protected_view(record: dict) -> dict:
    """What only the archive may set, for before/after comparisons of an edit."""
    kept = {k: record.get(k) for k in PROTECTED_FIELDS - {"revision", "serial", "updated_at"}}
    provenance = record.get("provenance") or {}
    kept["provenance"] = {k: provenance.get(k) for k in PROTECTED_PROVENANCE}
    return kept


# ----- fields_from_outside ------------------------------------------------------------------------
@settings(max_examples=200)
@given(data=field_sets)
@example(data={"status": "deposited"})
@example(data={"provenance": {"catalogued_by": "Mallory"}})
@example(data={"title": "   "})
def test_fields_from_outside_returns_checked_fields_or_refuses_in_words(data):
    try:
        fields = fields_from_outside(data, "meta.json")
    except ValidationError as exc:
        assert exc.problems and all(p.startswith("meta.json: ") for p in exc.problems)
        return
    assert isinstance(data, dict)
    assert not protected_problems(fields)
    assert not set(fields) & PROTECTED_FIELDS
    for key in ("title", "subtitle", "container_title", "publisher", "section"):
        if isinstance(fields.get(key), str):
            assert fields[key] == fields[key].strip() and fields[key]


def test_protected_fields_are_refused_wherever_they_are_given():
    for name in PROTECTED_FIELDS:
        with pytest.raises(ValidationError, match=f"{name}: is set by the archive"):
            fields_from_outside({name: "x"}, "here")
    for name in PROTECTED_PROVENANCE:
        with pytest.raises(ValidationError, match=f"provenance.{name}: is set by the archive"):
            fields_from_outside({"provenance": {name: "x"}}, "here")


def test_a_value_nested_100k_deep_is_refused_in_words():
    with pytest.raises(ValidationError, match=f"nested more than {MAX_DEPTH} levels"):
        fields_from_outside({"title": nested(100_000)}, "")


def test_fields_that_only_json_schema_cannot_judge_are_refused_in_words():
    for data in ({"title": "\ud800"}, {"rights": {1: "x"}}, {"title": float("nan")}):
        with pytest.raises(ValidationError):
            fields_from_outside(data, "")


# ----- the CLI over random input -----------------------------------------------------------------
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])
@given(data=field_sets)
@example(data={"title": "Sneaky", "status": "deaccessioned"})
@example(data={"title": "Sneaky", "provenance": {"catalogued_at": "2000-01-01T00:00:00Z"}})
@example(data={"title": "\u2028"})
def test_add_meta_with_random_json(shared_archive, tmp_path_factory, data):
    root, source, _ = shared_archive
    meta = tmp_path_factory.mktemp("meta") / "meta.json"
    meta.write_text(json.dumps(data), encoding="utf-8")
    before = snapshot_tree(root)
    code, out, err = run("--root", root, "add", source, "--meta", meta, "--allow-duplicate")
    assert_clean_outcome(code, err)
    if code:
        assert snapshot_tree(root) == before
        return
    record = open_archive(root).store.get(out.strip())
    assert record["status"] == "catalogued" and record["revision"] == 1
    assert record["provenance"]["catalogued_by"] == current_user()
    assert "bags" not in record and "deaccession" not in record


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])
@given(levels=st.integers(MAX_DEPTH, 100_000))
def test_add_meta_nested_beyond_reason_is_one_line(shared_archive, tmp_path_factory, levels):
    root, source, _ = shared_archive
    meta = tmp_path_factory.mktemp("deep") / "meta.json"
    meta.write_text('{"title": ' + "[" * levels + "]" * levels + "}", encoding="utf-8")
    before = snapshot_tree(root)
    code, _, err = run("--root", root, "add", source, "--meta", meta, "--allow-duplicate")
    assert code == 1
    assert_clean_outcome(code, err)
    assert snapshot_tree(root) == before


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])
@given(data=field_sets)
@example(data={"status": "deaccessioned"})
@example(data={"provenance": {"notes": "kept stamps"}})
def test_edit_meta_with_random_json(shared_archive, tmp_path_factory, data):
    root, _, record_id = shared_archive
    meta = tmp_path_factory.mktemp("meta") / "meta.json"
    meta.write_text(json.dumps(data), encoding="utf-8")
    before_files = snapshot_tree(root)
    before = open_archive(root).store.get(record_id)
    code, _, err = run("--root", root, "edit", record_id, "--meta", meta)
    assert_clean_outcome(code, err)
    if code:
        assert snapshot_tree(root) == before_files
    after = open_archive(root).store.get(record_id)
    assert protected_view(after) == protected_view(before)


PATHS = st.one_of(
    st.sampled_from([
        "title", "section", "creators", "creators[0]", "creators[0].family", "creators[-1].given",
        "creators[5].family", "creators[-9]", "provenance", "provenance.notes",
        "provenance.catalogued_by", "provenance.extracted_fields", "status", "id", "bags[0].version",
        "rights.holder", "subjects[0]", "references[0].name", "identifiers[0].value", "title.x",
        "title[0]", "creators.family", "creators[x]", "a..b", "[0]", "serial", "revision",
    ]),
    nasty_text,
)
VALUES = st.one_of(text_values, plain_text, json_values.map(json.dumps), plausible.map(json.dumps))


@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                   HealthCheck.too_slow])
@given(path=PATHS, value=VALUES)
@example(path="creators[-1].family", value="C")
@example(path="provenance", value='{"catalogued_by": "Mallory"}')
@example(path="title", value="   ")
def test_edit_set_with_random_paths_and_values(shared_archive, path, value):
    root, _, record_id = shared_archive
    assume("\x00" not in path + value)  # an argument cannot hold NUL on any operating system
    before_files = snapshot_tree(root)
    before = open_archive(root).store.get(record_id)
    code, _, err = run("--root", root, "edit", record_id, f"--set={path}={value}")
    assert_clean_outcome(code, err)
    if code:
        assert snapshot_tree(root) == before_files
    after = open_archive(root).store.get(record_id)
    assert protected_view(after) == protected_view(before)
    if code == 0:
        assert after["revision"] == before["revision"] + 1
        assert after["title"] == after["title"].strip() and after["title"]


# ----- safe_basename and friends ------------------------------------------------------------------
NEVER_IN_A_NAME = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


@settings(max_examples=examples(200))
@given(name=st.one_of(nasty_text, st.text(max_size=300), huge_text,
                      st.builds(lambda a, b: a + " " + b, st.text(min_size=190, max_size=210),
                                st.text(max_size=20))))
@example(name="a" * 199 + " " + "b" * 10)
@example(name="..")
@example(name="-rf")
@example(name=". - name")
@example(name="../../catalog/records/000000.json")
@example(name="a\u2028b.txt")
def test_safe_basename_is_always_one_safe_component(name):
    safe = safe_basename(name)
    assert safe not in ("", ".", "..")
    assert not safe.startswith((".", "-"))
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not any(unicodedata.category(c) in NEVER_IN_A_NAME for c in safe)
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert safe == safe.strip()
    assert safe_basename(safe) == safe  # idempotent
    assert is_safe_basename(safe)


@pytest.mark.parametrize(("name", "safe"), [
    ("story.txt", "story.txt"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\story.txt", "story.txt"),
    ("..", "file"),
    ("...hidden", "hidden"),
    ("--force", "force"),
    ("a\u2028b\u0085c\u202e.txt", "abc.txt"),
    ("  spaced.txt  ", "spaced.txt"),
    ("e\u0301.txt", "\u00e9.txt"),  # NFC
])
def test_safe_basename_examples(name, safe):
    assert safe_basename(name) == safe


def test_safe_basename_keeps_the_extension_when_it_shortens():
    safe = safe_basename("a" * 400 + ".txt")
    assert safe.endswith(".txt") and len(safe.encode("utf-8")) == MAX_NAME_BYTES


def test_safe_basename_of_a_huge_name_is_quick():
    """A hostile record.json can name a file with a megabyte of text; cutting it is linear (about
    10 ms of CPU; a quadratic cut would take hours). Measured in this thread's CPU time, not by
    the clock: on a loaded machine the thread may wait seconds for a core."""
    started = time.thread_time()
    assert len(safe_basename("\u00e9" * 1_000_000 + ".txt").encode("utf-8")) <= MAX_NAME_BYTES
    assert time.thread_time() - started < 2.0


@pytest.mark.parametrize(("name", "ok"), [
    ("story.txt", True), ("", False), (".hidden", False), ("-x", False), ("a/b", False),
    ("a\nb", False), (" padded", False), (None, False), (5, False), ("x" * 201, False),
])
def test_is_safe_basename(name, ok):
    assert is_safe_basename(name) is ok


def test_path_inside_refuses_every_way_out(tmp_path):
    folder = tmp_path / "target"
    (folder / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (folder / "link").symlink_to(tmp_path / "outside")
    assert path_inside(folder, "sub", "file.txt") == folder / "sub" / "file.txt"
    for parts in (("..", "x"), ("/etc/passwd",), ("link", "x"), (".",), ("sub", "..", "..", "y")):
        with pytest.raises(UnsafePathError, match="outside"):
            path_inside(folder, *parts)


def test_depth_counts_without_recursion():
    assert depth("x") == 0 and depth([]) == 0 and depth({"a": [1]}) == 2
    assert depth(nested(10)) == 10
    assert depth(nested(100_000)) == MAX_DEPTH + 1  # stops counting, never exhausts the stack


def test_protected_problems_names_each_protected_field():
    assert protected_problems({"title": "x", "provenance": {"notes": "y"}}) == []
    assert protected_problems({"status": "x", "bags": [], "provenance": {"catalogued_by": "m"}}) == [
        "bags: is set by the archive and cannot be given",
        "status: is set by the archive and cannot be given",
        "provenance.catalogued_by: is set by the archive and cannot be given",
    ]
    assert protected_problems({"provenance": "not an object"}) == []  # the schema names that one


def test_a_refused_add_through_the_library_changes_nothing(shared_archive):
    root, source, _ = shared_archive
    before = snapshot_tree(root)
    with pytest.raises(ArchiveError):
        catalog.add_article(open_archive(root), NewArticle(path=source, fields={"status": "bagged"},
                                                           allow_duplicate=True))
    assert snapshot_tree(root) == before
