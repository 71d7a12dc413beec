"""``archive verify``: every bag of a real archive checked, failures named by kind, events logged."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import only_bag


def verify_json(cli, root: Path, *args) -> tuple[int, dict]:
    result = cli("--root", root, "verify", "--json", *args)
    assert "Traceback" not in result.err, result
    return result.code, json.loads(result.out)


def failures(report: dict) -> set[tuple[str, str, str]]:
    return {(f["kind"], f["code"], f["path"]) for bag in report["bags"] for f in bag["failures"]}


def test_a_clean_archive_verifies_and_logs_a_fix_event(cli, bagged_root):
    result = cli("--root", bagged_root, "verify")
    assert result.code == 0, result
    assert result.out.startswith("all well: 1 of 1 bags checked, 1 ok")
    assert result.err == ""  # piped: no progress bar
    record_id = only_bag(bagged_root).parent.name
    history = cli("--root", bagged_root, "history", record_id)
    assert "fixity check" in history.out and "all files intact" in history.out
    shown = json.loads(cli("--root", bagged_root, "show", record_id, "--json").out)
    fixity = shown["bags"][0]["last_fixity"]
    assert fixity["outcome"] == "success" and fixity["fast"] is False


def test_changed_missing_and_untracked_files_are_each_named(cli, bagged_root):
    bag = only_bag(bagged_root)
    bib = bag / "data/metadata/citation.bib"
    bib.write_bytes(bib.read_bytes().replace(b"@", b"!", 1))
    (bag / "data/metadata/citation.ris").unlink()
    (bag / "data/extra.txt").write_text("slipped in")
    code, report = verify_json(cli, bagged_root)
    assert code == 1
    found = failures(report)
    assert ("changed", "changed", "data/metadata/citation.bib") in found
    assert ("missing", "missing", "data/metadata/citation.ris") in found
    assert ("untracked", "untracked", "data/extra.txt") in found
    totals = report["totals"]
    assert (totals["changed"], totals["missing"], totals["untracked"], totals["failure"]) == (1, 1, 1, 1)
    history = cli("--root", bagged_root, "history", bag.parent.name, "--json")
    fix = [e for e in json.loads(history.out) if e["type"]["label"] == "fixity check"][-1]
    assert fix["outcome"]["label"] == "failure"
    assert (fix["outcome_detail"]["changed"], fix["outcome_detail"]["missing"],
            fix["outcome_detail"]["untracked"]) == (1, 1, 1)


def test_a_consistently_rewritten_bag_is_caught_by_the_catalogue(cli, bagged_root):
    """record.json edited and every manifest rewritten to match: valid BagIt, not the bag recorded."""
    bag = only_bag(bagged_root)
    record = json.loads((bag / "data/metadata/record.json").read_text())
    record["title"] = "A different title"
    (bag / "data/metadata/record.json").write_text(json.dumps(record))
    script = ("import bagit, sys; b = bagit.Bag(sys.argv[1]); "
              "b.save(manifests=True)")
    subprocess.run([sys.executable, "-c", script, str(bag)], check=True, timeout=60)
    assert cli("validate-bag", bag).code == 0  # a fine bag, as BagIt goes
    code, report = verify_json(cli, bagged_root)
    assert code == 1
    kinds = {(k, c) for k, c, _ in failures(report)}
    assert ("mismatch", "record-json-differs") in kinds
    assert ("mismatch", "tagmanifest-differs") in kinds


def test_missing_bag_folder_and_orphans(cli, bagged_root):
    bag = only_bag(bagged_root)
    orphan = bagged_root / "bags" / "ART-1999-000042" / "v1"
    shutil.copytree(bag, orphan)
    shutil.rmtree(bag)
    code, report = verify_json(cli, bagged_root)
    assert code == 1
    assert ("missing", "missing-bag", f"bags/{bag.parent.name}/v1") in failures(report)
    assert report["orphans"] == ["bags/ART-1999-000042/v1"]
    text = cli("--root", bagged_root, "verify")
    assert "ORPHAN bags/ART-1999-000042/v1" in text.out and "1 orphan bag folders" in text.out


def test_fast_mode_says_so_and_skips_contents(cli, bagged_root):
    bag = only_bag(bagged_root)
    bib = bag / "data/metadata/citation.bib"
    bib.write_bytes(bib.read_bytes().replace(b"@", b"!", 1))  # same size
    result = cli("--root", bagged_root, "verify", "--fast")
    assert result.code == 0 and "fast check (completeness and Payload-Oxum only)" in result.out
    record_id = bag.parent.name
    shown = json.loads(cli("--root", bagged_root, "show", record_id, "--json").out)
    assert shown["bags"][0]["last_fixity"]["fast"] is True
    assert cli("--root", bagged_root, "verify").code == 1


def test_report_file_and_ids(cli, bagged_root, tmp_path):
    record_id = only_bag(bagged_root).parent.name
    out = tmp_path / "reports" / "verify.json"
    result = cli("--root", bagged_root, "verify", record_id, "--jobs", "1", "--report", out)
    assert result.code == 0, result
    report = json.loads(out.read_text())
    assert report["ok"] is True and report["totals"]["checked"] == 1
    assert report["bags"][0]["record_id"] == record_id and report["bags"][0]["outcome"] == "success"


def test_unknown_id_is_a_one_line_error(cli, bagged_root):
    result = cli("--root", bagged_root, "verify", "ART-1900-000009")
    assert result.code == 1 and result.err.startswith("archive: error: ") and result.err.count("\n") == 1


def test_bad_jobs_is_a_usage_error(cli, bagged_root):
    assert cli("--root", bagged_root, "verify", "--jobs", "0").code == 2


def test_verify_from_a_thread_with_progress_and_cancel(bagged_root):
    import threading

    from archive.fixity.verify import verify_archive
    from archive.layout import open_archive

    arc = open_archive(bagged_root)
    seen: list[tuple[int, int]] = []
    stop = threading.Event()
    holder = {}

    def work() -> None:
        holder["report"] = verify_archive(arc, progress=lambda step: seen.append((step.done, step.total)),
                                           cancel=stop.is_set)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(300)  # only a guard against a hang: a fork server may start first, slow under load
    assert not thread.is_alive(), "verify_archive did not return within 300 s"
    report = holder["report"]
    assert report.ok and seen[0] == (0, 1) and seen[-1] == (1, 1)
    assert json.loads(json.dumps(report.to_dict()))["totals"]["success"] == 1
    stop.set()
    cancelled = verify_archive(arc, cancel=stop.is_set)
    assert cancelled.totals()["checked"] <= 1
