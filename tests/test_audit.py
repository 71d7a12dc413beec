"""``archive audit``: oldest checks first, within a limit and a time budget, one summary line."""

from __future__ import annotations

import json
from pathlib import Path


def fixity_of(cli, root: Path) -> dict[str, str]:
    rows = json.loads(cli("--root", root, "list", "--json").out)
    out = {}
    for row in rows:
        record = json.loads(cli("--root", root, "show", row["id"], "--json").out)
        out[row["id"]] = (record["bags"][0].get("last_fixity") or {}).get("at", "")
    return out


def test_audit_takes_never_checked_then_oldest_first(cli, three_bagged):
    env1 = {"SOURCE_DATE_EPOCH": "1700000000"}
    result = cli("--root", three_bagged, "audit", "--limit", "2", env=env1)
    assert result.code == 0, result
    assert result.out.count("\n") == 1 and result.out.startswith("all well: 2 of 2 bags checked")
    checked = fixity_of(cli, three_bagged)
    assert sorted(checked.values()) == ["", "2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z"]
    never = next(i for i, at in checked.items() if not at)
    later = {"SOURCE_DATE_EPOCH": "1800000000"}
    assert cli("--root", three_bagged, "audit", "--limit", "1", env=later).code == 0
    assert fixity_of(cli, three_bagged)[never] != ""


def test_older_than_skips_recent_checks(cli, three_bagged):
    now = {"SOURCE_DATE_EPOCH": "1700000000"}
    assert cli("--root", three_bagged, "verify", env=now).code == 0
    result = cli("--root", three_bagged, "audit", "--older-than", "90d", env=now)
    assert result.code == 0 and result.out.startswith("all well: 0 of 0 bags checked")
    later = {"SOURCE_DATE_EPOCH": str(1700000000 + 91 * 86400)}
    result = cli("--root", three_bagged, "audit", "--older-than", "90d", "--json", env=later)
    assert json.loads(result.out)["totals"]["checked"] == 3


def test_a_spent_budget_stops_between_bags(cli, three_bagged):
    result = cli("--root", three_bagged, "audit", "--budget", "0s", "--jobs", "1")
    assert "verify stopped early: 1 of 3 bags checked" in result.out


def test_audit_fails_on_damage_for_cron(cli, three_bagged):
    bag = sorted((three_bagged / "bags").glob("*/v1"))[0]
    (bag / "data" / "metadata" / "citation.ris").write_text("tampered")
    result = cli("--root", three_bagged, "audit")
    assert result.code == 1 and "PROBLEMS FOUND" in result.out


def test_bad_duration_is_a_usage_error(cli, three_bagged):
    result = cli("--root", three_bagged, "audit", "--older-than", "soon")
    assert result.code == 2 and "error: argument --older-than: cannot read duration" in result.err


def test_finding_the_bags_due_reads_no_summary_row(three_bagged):
    """The audit plans from each record's id alone: parsing every summary row of the index (every
    field of 100,000 records, which the planning never reads) was 131 MB of the 100,000-bag
    audit's peak, beside the records and tasks it needs. The ids come in the same order."""
    from archive.fixity.audit import due_bags
    from archive.layout import open_archive

    arc = open_archive(three_bagged)
    assert len(arc.store) == 3
    due = due_bags(arc)
    assert [record_id for record_id, _ in due] and {v for _, v in due} == {1}
    parsed = [shard for shard, index in arc.store._index.items() if index._rows is not None]
    assert parsed == [], "due_bags parsed the summary rows of shards " + str(parsed)
    assert arc.store.ids() == [row["id"] for row in open_archive(three_bagged).store.summaries()]


def test_an_audit_plans_a_page_at_a_time_and_lets_checked_tasks_go(three_bagged, monkeypatch):
    """Like a whole-archive verify, an audit plans its bags a page at a time as the checking needs
    them, each page's working copies after its bags, and lets each task go once its result is taken:
    holding every record's task to the end was most of a 100,000-bag audit's peak memory. The same
    bags are checked, oldest first, and each working copy once."""
    from archive.fixity import audit as audit_module
    from archive.fixity import verify
    from archive.fixity.crosscheck import BagTask
    from archive.layout import open_archive

    monkeypatch.setattr(audit_module, "PAGE", 1)
    monkeypatch.setattr(verify, "RELEASE", 1)
    checked: list[tuple[str, str]] = []
    real_check = verify.check_task

    def check_task(task):  # type: ignore[no-untyped-def]
        checked.append(("bag" if isinstance(task, BagTask) else "source", task.record_id))
        return real_check(task)

    plans: list[object] = []
    real_init = verify._Plan.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        plans.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(verify, "check_task", check_task)
    monkeypatch.setattr(verify._Plan, "__init__", init)
    arc = open_archive(three_bagged)
    due = [record_id for record_id, _ in audit_module.due_bags(arc)]
    report = audit_module.audit(arc, jobs=1)
    assert report.ok and report.totals()["checked"] == 3 and report.planned == 3
    assert checked == [(kind, record_id) for record_id in due for kind in ("bag", "source")]
    [plan] = plans
    assert plan.planned == 6 and plan._tasks == []
