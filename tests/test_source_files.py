"""Issue 10, a source as a set of files with roles: what the schema and the door for outside records
accept and refuse, and how an old record's set is derived (no test here writes to disk)."""

from __future__ import annotations

import copy
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive import schema
from archive.errors import ValidationError
from archive.source_files import ORIGINAL, TEXT, files_of, reading_file, set_problems
from archive.untrusted import record_from_outside

HTML = b"<html><body><p>Hello</p></body></html>\n"
WARC = b"\x1f\x8b\x08\x00binary warc bytes\x00\xff"


def entry(role: str, name: str, data: bytes, media_type: str = "text/plain") -> dict:
    return {"role": role, "filename": name, "media_type": media_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}


def record_with_files() -> dict:
    original = entry(ORIGINAL, "page.html", HTML, "text/html")
    source = {k: v for k, v in original.items() if k != "role"}
    source["files"] = [original, entry(TEXT, "page.extracted.txt", b"Hello\n"),
                       entry("warc", "page.warc.gz", WARC, "application/warc")]
    return {"id": "ART-2026-000001", "uuid": "0b0e5b8e-3f8e-4c57-9a8f-1d2e3c4b5a69", "type": "webpage",
            "title": "A page", "status": "catalogued", "revision": 1, "created_at": "2026-11-30T00:00:00Z",
            "updated_at": "2026-11-30T00:00:00Z", "source": source}


def old_record() -> dict:
    record = record_with_files()
    del record["source"]["files"]
    record["source"]["text_filename"] = "page.extracted.txt"
    return record


def test_a_record_with_files_is_valid_and_lists_its_roles():
    record = record_with_files()
    assert schema.problems(record) == [] and set_problems(record["source"]) == []
    assert [(f.role, f.filename) for f in files_of(record)] == [
        ("original", "page.html"), ("text", "page.extracted.txt"), ("warc", "page.warc.gz")]
    assert files_of(record)[2].digests["sha256"] == hashlib.sha256(WARC).hexdigest()
    assert reading_file(record).filename == "page.extracted.txt"


def test_an_old_record_is_valid_unchanged_and_its_set_is_derived():
    record = old_record()
    assert schema.problems(record) == []
    files = files_of(record)
    assert [(f.role, f.filename) for f in files] == [("original", "page.html"),
                                                     ("text", "page.extracted.txt")]
    assert files[0].digests == {"sha256": record["source"]["sha256"], "sha512": record["source"]["sha512"]}
    assert files[1].digests == {} and files[1].size is None  # unknown: checked against the bag
    plain = old_record()
    del plain["source"]["text_filename"]
    assert [f.role for f in files_of(plain)] == ["original"] and reading_file(plain).role == "original"


@pytest.mark.parametrize(("change", "needle"), [
    (lambda f: f[2].update(role="thumbnail"), "source.files[2].role: must be one of"),
    (lambda f: f[2].update(filename="../../x"), "source.files[2].filename: must be a plain file name"),
    (lambda f: f[2].update(filename="a/b.warc.gz"), "source.files[2].filename: must be a plain file name"),
    (lambda f: f[2].update(filename=".hidden"), "source.files[2].filename: must be a plain file name"),
    (lambda f: f[2].update(sha256="ab" * 31), "source.files[2].sha256: must be 64 lower-case hex digits"),
    (lambda f: f[2].update(sha512="ab" * 32), "source.files[2].sha512: must be 128 lower-case hex digits"),
    (lambda f: f[2].pop("sha512"), "source.files[2].sha512: is required"),
    (lambda f: f[2].update(size=-1), "source.files[2].size: must be at least 0"),
    (lambda f: f[2].update(role="original"), "source.files: Too many items"),
    (lambda f: f.clear(), "source.files"),
])
def test_the_schema_refuses_a_bad_entry(change, needle):
    record = record_with_files()
    change(record["source"]["files"])
    found = schema.problems(record)
    assert any(line.startswith(needle) for line in found), found
    with pytest.raises(ValidationError):
        schema.validate(record)


@pytest.mark.parametrize(("change", "needle"), [
    (lambda s: s["files"][2].update(filename="PAGE.HTML"), "is already the name of files[0]"),
    (lambda s: s["files"][1].update(filename="page.warc.gz"), "is already the name of files[1]"),
    (lambda s: s["files"][0].update(role="requisite"), "exactly one file of role original, not 0"),
    (lambda s: s["files"][0].update(size=5), "its size differ(s) from source's own"),
    (lambda s: s.update(sha256="0" * 64), "its sha256 differ(s)"),
    (lambda s: s["files"][2].update(filename="page.warc.gz.partial"), "the mark of a half-copied file"),
    (lambda s: s.update(text_filename="other.txt"), "source.text_filename: 'other.txt' is not the file"),
])
def test_the_set_rules_the_schema_cannot_say(change, needle):
    record = record_with_files()
    change(record["source"])
    assert any(needle in line for line in set_problems(record["source"])), set_problems(record["source"])
    with pytest.raises(ValidationError) as raised:
        record_from_outside(record, "record.json")
    assert any(needle in line for line in raised.value.problems)


HOSTILE_NAMES = st.one_of(
    st.sampled_from(["..", "../x", "../../catalog/records/000000.json", "/etc/passwd", "a/../../b",
                     "\\\\srv\\x", ".x", "-rf", "a\u2028b", "a\u202eb.txt", "a\x00b", "a\nb",
                     " lead", "x" * 300]),
    st.text(min_size=1, max_size=40).map(lambda t: "../" + t),
    st.text(min_size=1, max_size=20).map(lambda t: t + "/" + t),
)


@given(name=HOSTILE_NAMES, index=st.integers(min_value=0, max_value=2))
def test_record_from_outside_refuses_every_unsafe_name_in_files(name, index):
    record = record_with_files()
    record["source"]["files"][index]["filename"] = name
    if index == 0:
        record["source"]["filename"] = name
    with pytest.raises(ValidationError) as raised:
        record_from_outside(record, "record.json")
    lines = raised.value.problems
    assert any(f"source.files[{index}]" in line or "source.filename" in line for line in lines)


@given(duplicate=st.integers(min_value=1, max_value=2), originals=st.integers(min_value=2, max_value=3),
       digest=st.sampled_from(["sha256", "sha512"]), length=st.integers(min_value=0, max_value=200))
def test_record_from_outside_refuses_duplicates_second_originals_and_bad_digests(duplicate, originals,
                                                                                  digest, length):
    base = record_with_files()
    same = copy.deepcopy(base)
    same["source"]["files"][duplicate]["filename"] = "page.html"
    two = copy.deepcopy(base)
    for i in range(1, originals):
        two["source"]["files"][i]["role"] = "original"
    wrong = copy.deepcopy(base)
    wrong["source"]["files"][2][digest] = "a" * length if length not in (64, 128) else "g" * length
    for record in (same, two, wrong):
        with pytest.raises(ValidationError):
            record_from_outside(record, "record.json")
    assert record_from_outside(base, "record.json")["source"] == base["source"]
