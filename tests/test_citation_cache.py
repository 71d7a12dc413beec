"""The citation cache (archive/citation/entry_cache.py) hands back citeproc-js's own earlier strings:
a hit is character for character what the engine gives, a changed input is formatted again, and a
cache that cannot be used only means the engine runs."""

from __future__ import annotations

import sqlite3

import pytest
from test_citation_golden import ARCHIVE, EXPECTED, RECORDS

from archive.bagging.contents import cited_record
from archive.citation import entry_cache, formatted
from archive.citation.formatted import format_bibliography, format_each

RECORD_LIST = list(RECORDS.values())


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ARCHIVE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def engine_calls(monkeypatch):
    """Every call that reaches citeproc-js, with the number of items it was given."""
    calls: list[int] = []
    real = formatted._engine_call

    def counting(style, call):
        class Counting:
            def __init__(self, cite):
                self.cite = cite

            def each(self, key, lang, force, items):
                calls.append(len(items))
                return self.cite.each(key, lang, force, items)

            def bibliography(self, key, lang, force, items):
                calls.append(len(items))
                return self.cite.bibliography(key, lang, force, items)

        return real(style, lambda cite, key: call(Counting(cite), key))

    monkeypatch.setattr(formatted, "_engine_call", counting)
    return calls


@pytest.mark.parametrize("style", ["apa", "mla"])
def test_a_second_call_reads_the_engines_strings_back(cache_dir, engine_calls, style):
    fresh = format_each(RECORD_LIST, style, archive_name=ARCHIVE)
    first = format_each(RECORD_LIST, style, archive_name=ARCHIVE, cached=True)
    second = format_each(RECORD_LIST, style, archive_name=ARCHIVE, cached=True)
    assert first == second == fresh
    assert engine_calls == [len(RECORD_LIST), len(RECORD_LIST)]  # uncached, then filling the cache
    golden = {
        e["record"]: e["text"] for e in EXPECTED["entries"] if (e["style"], e["locale"]) == (style, "en-US")
    }
    assert second == [golden[r["id"]] for r in RECORD_LIST]


def test_only_an_edited_record_goes_to_the_engine_again(cache_dir, engine_calls):
    format_each(RECORD_LIST[:5], "apa", archive_name=ARCHIVE, cached=True)
    edited = {**RECORD_LIST[2], "title": "A headline edited since"}
    texts = format_each(
        [*RECORD_LIST[:2], edited, *RECORD_LIST[3:5]], "apa", archive_name=ARCHIVE, cached=True
    )
    assert engine_calls == [5, 1]
    assert texts[2] == format_each([edited], "apa", archive_name=ARCHIVE)[0]
    assert "A headline edited since" in texts[2]
    assert texts[:2] + texts[3:] == format_each(
        RECORD_LIST[:2] + RECORD_LIST[3:5], "apa", archive_name=ARCHIVE
    )


def test_style_locale_and_archive_name_are_part_of_the_key(cache_dir):
    record = [cited_record(RECORD_LIST[0], 1)]  # in a bag, so the archive's name is printed
    results = {
        (style, locale, name): format_each(record, style, locale=locale, archive_name=name, cached=True)
        for style in ("apa", "chicago-author-date")
        for locale in ("en-US", "de-DE")
        for name in ("Test Archive", "Another Archive")
    }
    for (style, locale, name), texts in results.items():
        assert texts == format_each(record, style, locale=locale, archive_name=name), (style, locale, name)
    assert len(set(map(tuple, results.values()))) == len(results)


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_a_bibliography_is_remembered_whole_and_recomputed_when_the_selection_changes(
    cache_dir, engine_calls, style
):
    [bibliography] = [b for b in EXPECTED["bibliographies"] if (b["style"], b["locale"]) == (style, "en-US")]
    records = [RECORDS[item["id"]] for item in EXPECTED["csl"]]  # the order the golden run was given
    for _ in range(2):
        assert format_bibliography(records, style, archive_name=ARCHIVE, cached=True) == bibliography["texts"]
    assert engine_calls == [len(records)]
    smaller = format_bibliography(records[1:], style, archive_name=ARCHIVE, cached=True)
    assert engine_calls == [len(records), len(records) - 1]
    assert smaller == format_bibliography(records[1:], style, archive_name=ARCHIVE)


def test_a_cache_that_cannot_be_written_only_means_the_engine_runs(tmp_path, monkeypatch, engine_calls):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("ARCHIVE_CACHE_DIR", str(blocker))
    for _ in range(2):
        assert format_each(RECORD_LIST[:3], "apa", archive_name=ARCHIVE, cached=True) == format_each(
            RECORD_LIST[:3], "apa", archive_name=ARCHIVE
        )
    assert engine_calls == [3, 3, 3, 3]


def test_a_damaged_row_is_formatted_again(cache_dir, engine_calls):
    format_bibliography(RECORD_LIST[:4], "apa", archive_name=ARCHIVE, cached=True)
    with sqlite3.connect(entry_cache.cache_path()) as db:
        db.execute("UPDATE entries SET text = 'not json ['")
    db.close()
    again = format_bibliography(RECORD_LIST[:4], "apa", archive_name=ARCHIVE, cached=True)
    assert again == format_bibliography(RECORD_LIST[:4], "apa", archive_name=ARCHIVE)
    assert engine_calls == [4, 4, 4]


def test_a_row_that_is_not_text_is_formatted_again(cache_dir, engine_calls):
    format_each(RECORD_LIST[:2], "apa", archive_name=ARCHIVE, cached=True)
    with sqlite3.connect(entry_cache.cache_path()) as db:
        db.execute("UPDATE entries SET text = X'00ff'")
    db.close()
    again = format_each(RECORD_LIST[:2], "apa", archive_name=ARCHIVE, cached=True)
    assert again == format_each(RECORD_LIST[:2], "apa", archive_name=ARCHIVE)
    assert engine_calls == [2, 2, 2]


def test_an_export_twice_gives_the_same_text_from_the_cache(cli, seeded_root, cache_dir):
    first = cli("--root", seeded_root, "export", "--all", "--format", "text")
    second = cli("--root", seeded_root, "export", "--all", "--format", "text")
    assert first.code == second.code == 0
    assert first.out == second.out and first.out.strip()
    with sqlite3.connect(cache_dir / entry_cache.FILE_NAME) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
    db.close()


def test_a_cache_past_its_size_bound_starts_again(cache_dir, monkeypatch, engine_calls):
    format_each(RECORD_LIST[:2], "apa", archive_name=ARCHIVE, cached=True)
    monkeypatch.setattr(entry_cache, "MAX_BYTES", 0)
    format_each(RECORD_LIST[2:3], "apa", archive_name=ARCHIVE, cached=True)  # empties, then stores one
    with sqlite3.connect(entry_cache.cache_path()) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
    db.close()
    monkeypatch.setattr(entry_cache, "MAX_BYTES", 1 << 30)
    assert format_each(RECORD_LIST[:3], "apa", archive_name=ARCHIVE, cached=True) == format_each(
        RECORD_LIST[:3], "apa", archive_name=ARCHIVE
    )
    assert engine_calls == [2, 1, 2, 3]  # the first two were forgotten, the third was not
