"""bag-info's Citation is citeproc-js's APA entry of the bag being written (issue 12: every formatted
citation is the reference processor's), and it stays one bag-info line whatever the title holds."""

from __future__ import annotations

import json
from pathlib import Path

from test_citation_engine import add_golden

from archive.bagging.contents import BagJob, bag_labels, cited_record, fill_citations
from archive.bagit_format import taginfo
from archive.citation import format_citation


def bag_info(root: Path, record_id: str, version: int) -> tuple[str, dict[str, str]]:
    text = (root / "bags" / record_id / f"v{version}" / "bag-info.txt").read_text(encoding="utf-8")
    return text, dict(taginfo.parse_lenient(text))


def shown(cli, root: Path, record_id: str) -> dict:
    result = cli("--root", root, "show", record_id, "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def test_a_new_bags_citation_is_the_reference_processors_apa_entry(cli, archive_root, tmp_path):
    record_id = add_golden(cli, archive_root, tmp_path, "ART-2020-000002")
    before = shown(cli, archive_root, record_id)
    assert cli("--root", archive_root, "bag", record_id).code == 0
    _, info = bag_info(archive_root, record_id, 1)
    expected = format_citation(cited_record(before, 1), "apa", archive_name="Test Archive")
    assert info["Citation"] == expected
    assert expected.startswith("Doe, J., & Smith, J. (2016") and f"{record_id}, bag v1" in expected


def test_many_bags_in_one_run_each_carry_their_own_entry(cli, archive_root, tmp_path):
    """One engine call formats a whole batch (``format_each``): no entry leaks into another's."""
    ids = [
        add_golden(cli, archive_root, tmp_path, rid)
        for rid in ("ART-2020-000001", "ART-2020-000002", "ART-2020-000004", "ART-2020-000003")
    ]
    records = {rid: shown(cli, archive_root, rid) for rid in ids}
    assert cli("--root", archive_root, "bag", *ids).code == 0
    for rid in ids:
        expected = format_citation(cited_record(records[rid], 1), "apa", archive_name="Test Archive")
        assert bag_info(archive_root, rid, 1)[1]["Citation"] == expected, rid


def test_a_non_ascii_title_stays_one_bag_info_line(cli, archive_root, tmp_path):
    meta = {
        "title": "Première ligne — “quoted” ğ",
        "creators": [{"family": "Çelik", "given": "Ayşe"}],
        "container_title": "Le Monde",
        "issued": "2021-03-04",
        "type": "article-newspaper",
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "body.txt").write_text("Body.\n", encoding="utf-8")
    added = cli("--root", archive_root, "add", tmp_path / "body.txt", "--meta", tmp_path / "meta.json")
    assert added.code == 0, added
    record_id = added.out.strip().splitlines()[-1]
    record = shown(cli, archive_root, record_id)
    assert cli("--root", archive_root, "bag", record_id).code == 0
    text, info = bag_info(archive_root, record_id, 1)
    engine = format_citation(cited_record(record, 1), "apa", archive_name="Test Archive")
    assert info["Citation"] == taginfo.clean_value(engine)
    assert "Çelik, A." in info["Citation"] and "ğ" in info["Citation"]
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Citation:"))
    rest = [line for line in lines[start + 1 :] if not line.startswith((" ", "\t"))]
    assert all(":" in line for line in rest)  # every later line starts a label: no stray title line


def test_a_newline_in_a_title_stays_inside_the_one_citation_line(tmp_path):
    """The catalogue refuses such a title, but a record from before that rule can still hold one:
    the label is the engine's entry with its white space folded, never a second bag-info line."""
    record = {
        "id": "ART-2020-000009",
        "uuid": "0" * 32,
        "type": "article-newspaper",
        "title": "First line\nsecond\u2028third",
        "creators": [{"family": "Doe", "given": "Jane"}],
        "container_title": "The Daily Planet",
        "issued": "2016-12-19",
    }
    job = BagJob(
        record=record,
        version=1,
        source_dir=str(tmp_path),
        target=str(tmp_path / "bag"),
        organization="Test Archive",
    )
    fill_citations([job])
    engine = format_citation(cited_record(record, 1), "apa", archive_name="Test Archive")
    assert "\n" in engine and job.citation == engine
    text = taginfo.render(bag_labels(job, "2026-11-30T10:00:00Z", job.citation))
    [(_, value)] = [(k, v) for k, v in taginfo.parse_lenient(text) if k == "Citation"]
    assert value == taginfo.clean_value(engine) and "First line second third" in value
    assert sum(line.startswith("Citation:") for line in text.splitlines()) == 1
    assert not any(line.startswith(("second", "third")) for line in text.splitlines())
