"""Formatted citations of the seed from the CLI, and the rules every style keeps.

Since citeproc-js replaced citeproc-py (issue 12) the exact strings are citeproc-js's own, kept in
tests/fixtures/citations/expected.json; the record that cites like the seed is taken from there.
The archived copy is no longer appended after the style's text: a formatted citation is now
exactly what the reference processor writes (bag-info's plain Citation still carries it)."""

from __future__ import annotations

import pytest
from helpers import RECORDS, Result, made_archive, run_cli
from test_citation_engine import golden
from test_citation_formats import NEWS

from archive.citation import STYLES, format_bibliography, format_citation
from archive.errors import ArchiveError

EPOCH = {"SOURCE_DATE_EPOCH": "1577836800"}  # 2020-01-01: ids are ART-2020-…
SEED_LIKE = "ART-2020-000003"
"""The golden record citing like the seed: same type, title, date and language."""


def _pinned(root, cli) -> None:
    assert run_cli("init", root, "--org", "Test Archive", env=EPOCH).returncode == 0
    imported = Result(run_cli("--root", root, "import", RECORDS, env=EPOCH))
    assert imported.code == 0, imported
    assert "ART-2020-000001" in imported.out


@pytest.fixture
def pinned_root(tmp_path):
    """The sample records imported in 2020, by ``archive init`` and ``archive import`` run once per
    worker (a copy per test: the tests here are about ``export``)."""
    return made_archive(tmp_path / "arc", "citation-styles.pinned", _pinned)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_seed_in_each_style_from_the_cli(pinned_root, cli, style):
    result = cli("--root", pinned_root, "export", "ART-2020-000001", "--format", "text", "--style", style,
                 env=EPOCH)
    assert result.code == 0, result
    expected = golden(SEED_LIKE, style)
    assert result.out == (expected + "\n" if expected else "")
    if not expected:  # Chicago notes-bibliography leaves an authorless, placeless item out
        assert "leaves" in result.err and "out of its bibliography" in result.err


def test_text_defaults_to_apa(pinned_root, cli):
    result = cli("--root", pinned_root, "export", "--all", "--format", "text", env=EPOCH)
    assert result.out == golden(SEED_LIKE, "apa") + "\n"


@pytest.mark.parametrize("style", ["apa", "chicago-author-date", "mla", "harvard", "ieee"])
def test_an_authorless_title_is_printed_once(style):
    record = {"id": "ART-2016-000001", "type": "webpage", "title": "Unique Heading Words", "issued": "2016"}
    assert format_citation(record, style).lower().count("unique heading words") == 1


def test_no_stray_edition_label_in_chicago():
    assert "Edition" not in format_citation({**NEWS, "type": "article-newspaper"}, "chicago-author-date")


def test_bibliography_is_sorted_by_the_style():
    later = {**NEWS, "id": "ART-2019-000008", "creators": [{"family": "Abbott", "given": "Ann"}]}
    entries = format_bibliography([NEWS, later], "apa")
    assert entries[0].startswith("Abbott, A.") and entries[1].startswith("Marsh, E.")


def test_unknown_style_is_an_archive_error():
    with pytest.raises(ArchiveError, match="unknown citation style 'no-such-style'"):
        format_citation(NEWS, "no-such-style")
