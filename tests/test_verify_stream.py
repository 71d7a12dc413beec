"""A whole-archive verify plans a page of records at a time and hands each page's checks to the
pool as it is planned, so the workers start before the catalogue is read to the end; what it
finds, records and reports is the same as a verify that planned everything first."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from archive.fixity import verify
from archive.layout import open_archive
from archive.source_files import files_of


@pytest.fixture
def paged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A page per record and a pool even for three bags; the order of planning and submitting."""
    order: list[str] = []
    monkeypatch.setattr(verify, "PLAN_PAGE", 1)
    monkeypatch.setattr(verify, "INLINE_BELOW", 1)
    real_page, real_submit = verify._Plan.next_page, ProcessPoolExecutor.submit

    def next_page(self):  # type: ignore[no-untyped-def]
        page = real_page(self)
        order.append(f"page of {len(page)}")
        return page

    def submit(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        if fn is verify.check_chunk:
            order.append("submit")
        return real_submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(verify._Plan, "next_page", next_page)
    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit)
    return order


def test_checks_are_submitted_before_the_last_page_is_planned(three_bagged: Path, paged: list[str]):
    report = verify.verify_archive(open_archive(three_bagged), jobs=2)
    assert report.ok and report.totals()["checked"] == 3 and report.planned == 3
    assert len(report.sources) == 3 and report.orphans == []
    pages = [i for i, step in enumerate(paged) if step.startswith("page of") and step != "page of 0"]
    assert len(pages) == 3
    assert paged.index("submit") < pages[-1], paged
    arc = open_archive(three_bagged)
    for record_id in arc.store.ids():  # every result recorded, once
        assert [e["type"]["label"] for e in arc.store.events(record_id)].count("fixity check") == 1


def test_orphans_and_totals_of_a_cancelled_paged_run_cover_every_record(three_bagged: Path,
                                                                        paged: list[str]):
    (three_bagged / "bags" / "ART-1999-000001" / "v1").mkdir(parents=True)
    seen: list[int] = []
    report = verify.verify_archive(open_archive(three_bagged), jobs=2, cancel=lambda: bool(seen[1:]),
                                   progress=lambda step: seen.append(step.done))
    assert report.cancelled and report.planned == 3
    assert report.orphans == ["bags/ART-1999-000001/v1"]


def test_an_unknown_id_among_many_pages_records_nothing(three_bagged: Path, paged: list[str]):
    from archive.errors import RecordNotFoundError

    arc = open_archive(three_bagged)
    ids = arc.store.ids()
    with pytest.raises(RecordNotFoundError, match="ART-1999-000009"):
        verify.verify_archive(arc, [*ids, "ART-1999-000009"], jobs=2)
    assert paged == []
    assert all(not any(e["type"]["label"] == "fixity check" for e in arc.store.events(i)) for i in ids)


@pytest.mark.parametrize("source", [
    {"filename": "a.txt", "media_type": "text/plain", "size": 3, "sha256": "0" * 64, "sha512": "1" * 128,
     "encoding": "utf-8", "word_count": 9,
     "files": [{"role": "original", "filename": "a.txt", "media_type": "text/plain", "size": 3,
                "sha256": "0" * 64, "sha512": "1" * 128},
               {"role": "warc", "filename": "a.warc.gz", "size": 7, "sha256": "2" * 64}]},
    {"filename": "b.html", "media_type": "text/html", "size": 5, "text_filename": "b.txt"},
    {"filename": "c.txt", "files": "not a list"},
    {"title": "no file"},
])
def test_a_task_s_compact_source_names_the_same_files(source: dict):
    assert files_of({"source": verify.compact_source(source)}) == files_of({"source": source})


def test_bags_listed_by_scandir_as_through_the_storage_seam(three_bagged: Path, tmp_path: Path):
    bags = three_bagged / "bags"
    (bags / "ART-1999-000001" / "v3").mkdir(parents=True)
    (bags / "ART-1999-000001" / "stray.txt").write_text("x")
    (bags / "loose-file").write_text("x")
    (tmp_path / "elsewhere").mkdir()
    (bags / "a-link").symlink_to(tmp_path / "elsewhere")
    arc = open_archive(three_bagged)
    scanned = verify._scanned_bag_folders(str(arc.bags_dir))
    assert scanned == verify._stored_bag_folders(arc)
    assert ("bags/a-link", False) in scanned and ("bags/ART-1999-000001/stray.txt", True) in scanned
    assert verify.bag_folders(arc) == scanned
