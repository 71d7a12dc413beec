"""Formatted citations through citeproc-py, pinned exactly for the seed and a full news record."""

from __future__ import annotations

import pytest
from helpers import RECORDS
from test_citation_formats import NEWS

from archive.citation import STYLES, format_bibliography, format_citation
from archive.errors import ArchiveError

EPOCH = {"SOURCE_DATE_EPOCH": "1577836800"}  # 2020-01-01: ids are ART-2020-…

SEED_TEXT = {
    "apa": "Russia's ambassador to Turkey shot dead at an Ankara art gallery. (2016, December 19).",
    "chicago-author-date":
        "“Russia's Ambassador to Turkey Shot Dead at an Ankara Art Gallery”. 2016. December 19.",
    "mla": "“Russia's Ambassador to Turkey Shot Dead at an Ankara Art Gallery”. 19 Dec. 2016.",
    "harvard": "“Russia's ambassador to Turkey shot dead at an Ankara art gallery” (2016).",
}
ARCHIVED = "Archived at https://web.archive.example/2019/courier/harbour."
NEWS_TEXT = {
    "apa": "Marsh, E., & Coastal Desk. (2019, March 14). Harbour wall gives way: Six boats lost in "
           "overnight storm. The Coastal Courier, A1–A3. Test Archive (ART-2019-000007, bag v2). "
           f"https://doi.org/10.5555/x.1 {ARCHIVED}",
    "chicago-author-date": "Marsh, E., and Coastal Desk. 2019. “Harbour Wall Gives Way: Six Boats Lost in "
           "Overnight Storm”. Local. The Coastal Courier, March 14. ART-2019-000007, bag v2, A1–A3. "
           f"Test Archive. https://doi.org/10.5555/x.1. {ARCHIVED}",
    "mla": "Marsh, E., and Coastal Desk. “Harbour Wall Gives Way: Six Boats Lost in Overnight Storm”. "
           "The Coastal Courier, edited by T. Reed, 14 Mar. 2019, Test Archive, ART-2019-000007, bag v2, "
           f"pp. A1–A3, https://doi.org/10.5555/x.1. Local. {ARCHIVED}",
    "harvard": "Marsh, E. and Coastal Desk (2019) “Harbour wall gives way: Six boats lost in overnight "
           "storm”, The Coastal Courier. Edited by T. Reed, 14 March, pp. A1–A3. Available at: "
           f"https://doi.org/10.5555/x.1. {ARCHIVED} Preserved copy: Test Archive, ART-2019-000007, bag v2.",
}  # fmt: skip


@pytest.fixture
def pinned_root(tmp_path, cli):
    root = tmp_path / "arc"
    assert cli("init", root, "--org", "Test Archive", env=EPOCH).code == 0
    imported = cli("--root", root, "import", RECORDS, env=EPOCH)
    assert imported.code == 0, imported
    assert "ART-2020-000001" in imported.out
    return root


@pytest.mark.parametrize("style", sorted(SEED_TEXT))
def test_seed_in_each_style_from_the_cli(pinned_root, cli, style):
    result = cli("--root", pinned_root, "export", "ART-2020-000001", "--format", "text", "--style", style,
                 env=EPOCH)
    assert result.code == 0, result
    assert result.out == SEED_TEXT[style] + "\n"


def test_text_defaults_to_apa(pinned_root, cli):
    result = cli("--root", pinned_root, "export", "--all", "--format", "text", env=EPOCH)
    assert result.out == SEED_TEXT["apa"] + "\n"


@pytest.mark.parametrize("style", sorted(NEWS_TEXT))
def test_full_news_record_in_each_style_carries_the_archived_copy(style):
    assert format_citation(NEWS, style, archive_name="Test Archive") == NEWS_TEXT[style]


@pytest.mark.parametrize("style", sorted(STYLES))
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
    with pytest.raises(ArchiveError, match="unknown citation style 'vancouver'"):
        format_citation(NEWS, "vancouver")
