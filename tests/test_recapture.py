"""`archive recapture` and `archive diff`: a page fetched again is an event when its text is the
same, and a new capture linked to the first when it changed or was taken down (404/410); the
diff shows the words that changed with both capture times. The citation of a capture carries
`accessed` and the archive's bag. Pages come from a real server on 127.0.0.1; the CLI runs as a
subprocess."""

from __future__ import annotations

import json
import re
import time

import pytest
from helpers import snapshot_tree
from servers.http_pages import ARTICLE, serve_pages
from test_capture_cli import assert_warcio_accepts, capture, only_id, record

EDITED = ARTICLE.replace("show the coast moving inland", "show the coast moving slowly seaward")


@pytest.fixture(scope="module")
def pages():
    with serve_pages() as server:
        yield server


def recapture(cli, root, *args, **kwargs):
    return cli("--root", root, "recapture", "--allow-private", *map(str, args), **kwargs)


def history(cli, root, record_id) -> list[dict]:
    result = cli("--root", root, "history", record_id, "--json")
    assert result.code == 0, result
    return json.loads(result.out)


def captured(cli, root, pages, name) -> str:
    result = capture(cli, root, pages.url(f"/mutable/{name}"), "--allow-duplicate")
    assert result.code == 0, result
    return only_id(result)


def test_an_unchanged_text_is_an_event_and_nothing_more(cli, archive_root, pages):
    first = captured(cli, archive_root, pages, "same")
    before = snapshot_tree(archive_root / "sources")
    result = recapture(cli, archive_root, first)
    assert result.code == 0, result
    assert result.out.splitlines()[0] == f"{first}  unchanged"
    assert snapshot_tree(archive_root / "sources") == before
    assert not (archive_root / "staging" / "captures").exists()
    assert cli("--root", archive_root, "list", "--json").out.count('"id"') == 1
    event = history(cli, archive_root, first)[-1]
    assert event["type"]["label"] == "capture" and "unchanged" in event["detail"]
    assert event["outcome_detail"]["unchanged"] is True
    diff = cli("--root", archive_root, "diff", first)
    assert diff.code == 1 and "has no recapture" in diff.err, diff


def test_a_stealth_edit_is_a_new_capture_linked_to_the_first_and_diffed(cli, archive_root, pages):
    first = captured(cli, archive_root, pages, "edited")
    pages.mutable["edited"] = (200, EDITED.encode("utf-8"), "text/html; charset=utf-8")
    result = recapture(cli, archive_root, first, "--json")
    assert result.code == 0, result
    done = json.loads(result.out)["recaptured"][0]
    assert done["outcome"] == "changed" and done["new_id"] and done["new_id"] != first
    second = done["new_id"]
    new = record(cli, archive_root, second)
    assert new["url"] == pages.url("/mutable/edited")
    assert f"recapture of {first}" in new["provenance"]["acquisition"]
    assert history(cli, archive_root, second)[0]["outcome_detail"]["recapture_of"] == first
    assert history(cli, archive_root, first)[-1]["outcome_detail"]["recaptured_as"] == second
    warc = archive_root / "sources" / second / next(
        f["filename"] for f in new["source"]["files"] if f["role"] == "warc")
    assert_warcio_accepts(warc)

    for asked in (first, second):
        diff = cli("--root", archive_root, "diff", asked)
        assert diff.code == 0, diff
        lines = diff.out.splitlines()
        assert lines[0].startswith(f"--- {first}  captured 20")
        assert lines[1].startswith(f"+++ {second}  captured 20")
        assert "[-inland-]{+slowly seaward+}" in diff.out, diff
    as_json = json.loads(cli("--root", archive_root, "diff", first, "--json").out)
    assert ["-", "inland"] in as_json["ops"] and ["+", "slowly seaward"] in as_json["ops"]
    assert as_json["old"]["captured"] < as_json["new"]["captured"]

    again = recapture(cli, archive_root, first)  # compared with the newest capture of the chain
    assert again.code == 0 and again.out.splitlines()[0] == f"{first}  unchanged (compared with {second})"


@pytest.mark.parametrize(("status", "body", "kind", "expect"), [
    (410, b"", "text/plain", "HTTP/1.1 410 Gone"),  # nothing but the status: kept as the headers
    (404, b"<html><head><title>Not found</title></head><body><p>No such story here.</p></body></html>",
     "text/html; charset=utf-8", "No such story here."),
])
def test_a_takedown_is_recorded_as_a_new_capture(cli, archive_root, pages, status, body, kind, expect):
    name = f"gone-{status}"
    first = captured(cli, archive_root, pages, name)
    pages.mutable[name] = (status, body, kind)
    result = recapture(cli, archive_root, first)
    assert result.code == 0, result
    assert f"{first}  gone {status} -> " in result.out, result
    second = result.out.split("-> ")[1].split()[0]
    new = record(cli, archive_root, second)
    assert new["title"] == "Tidal Archives of the North Sea"  # the first record's, not the error page's
    assert f"answered {status}" in new["provenance"]["notes"]
    original = archive_root / "sources" / second / new["source"]["filename"]
    text = original.read_text(encoding="utf-8")
    assert expect in text
    if body:
        assert original.read_bytes() == body  # as received
    diff = cli("--root", archive_root, "diff", second)
    assert diff.code == 0 and "[-" in diff.out, diff


def test_a_server_error_on_recapture_changes_nothing(cli, archive_root, pages):
    first = captured(cli, archive_root, pages, "broken")
    pages.mutable["broken"] = (500, b"oops", "text/plain")
    before = snapshot_tree(archive_root)
    result = recapture(cli, archive_root, first)
    assert result.code == 1 and "answered 500" in result.err, result
    assert snapshot_tree(archive_root) == before


def test_a_record_not_captured_from_the_web_is_refused(cli, seeded_root):
    result = cli("--root", seeded_root, "recapture", "--all")
    assert result.code == 0 and "recaptured 0" in result.out, result
    ids = json.loads(cli("--root", seeded_root, "list", "--json").out)
    result = cli("--root", seeded_root, "recapture", ids[0]["id"])
    assert result.code == 1 and "was not captured from the web" in result.err, result


def test_recapture_all_older_than_is_a_cron_job(cli, archive_root, pages):
    ids = [captured(cli, archive_root, pages, name) for name in ("cron-a", "cron-b")]
    result = recapture(cli, archive_root, "--all", "--older-than", "30d")
    assert result.code == 0 and result.out.strip() == "recaptured 0: 0 unchanged, 0 changed, 0 gone; 0 failed"
    later = {"SOURCE_DATE_EPOCH": str(int(time.time()) + 31 * 86400)}
    result = recapture(cli, archive_root, "--all", "--older-than", "30d", env=later)
    assert result.code == 0, result
    assert [line.split()[:2] for line in result.out.splitlines()[:-1]] == [[i, "unchanged"] for i in ids]
    pages.mutable["cron-b"] = (410, b"", "text/plain")
    result = recapture(cli, archive_root, "--all", "--older-than", "30d",
                       env={"SOURCE_DATE_EPOCH": str(int(time.time()) + 62 * 86400)})
    assert result.code == 0 and "1 unchanged, 0 changed, 1 gone" in result.out, result
    bad = recapture(cli, archive_root, "--all", "--older-than", "soon")
    assert bad.code == 2, bad
    assert recapture(cli, archive_root, ids[0], "--older-than", "3d").code == 2


def test_the_citation_of_a_capture_gives_accessed_and_the_archive_copy(cli, archive_root, pages):
    record_id = captured(cli, archive_root, pages, "cited")
    assert cli("--root", archive_root, "bag", record_id).code == 0
    rec = record(cli, archive_root, record_id)
    csl = json.loads(cli("--root", archive_root, "export", record_id, "--format", "csl-json").out)[0]
    day = [int(part) for part in rec["accessed"].split("-")]
    assert csl["accessed"] == {"date-parts": [day]}
    assert csl["URL"] == pages.url("/mutable/cited")
    assert csl["archive"] == "Test Archive" and csl["archive_location"] == f"{record_id}, bag v1"
    bib = cli("--root", archive_root, "export", record_id, "--format", "bibtex").out
    assert re.search(r"urldate\s*=\s*\{" + rec["accessed"] + r"\}", bib), bib
    assert f"Preserved copy: Test Archive, {record_id}, bag v1" in bib
    ris = cli("--root", archive_root, "export", record_id, "--format", "ris").out
    assert "Y2  - " in ris
    bag = archive_root / "bags" / record_id / "v1"
    in_bag = [p for p in bag.rglob("citation.json")]
    assert len(in_bag) == 1 and json.loads(in_bag[0].read_text())[0]["accessed"] == csl["accessed"]
