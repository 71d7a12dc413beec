"""``archive list --json`` gives every record's copies place by place, as ``show --json`` does.

Issue 11: "``list --json``, ``show`` and the TUI show how many good copies each record has and when
each was last checked". ``list --json`` gave the count (``good_on``, ``good_copies``,
``copies_short``) but not when each copy was last checked; a script watching a whole archive had to
run ``show`` per record. Driven through the CLI on a real archive and a real folder replica, after
``replicate`` and ``verify --replica``.
"""

from __future__ import annotations

import json

from test_replicate import NAME, make_archive


def listed(cli, root) -> dict[str, dict]:
    done = cli("--root", root, "list", "--json")
    assert done.code == 0, done
    return {row["id"]: row for row in json.loads(done.out)}


def shown_copies(cli, root, record_id: str) -> dict:
    done = cli("--root", root, "show", record_id, "--json")
    assert done.code == 0, done
    return json.loads(done.out)["copies"]


def test_list_json_gives_each_copy_and_its_last_check_after_replicate_and_verify(cli, archive_root,
                                                                                  tmp_path):
    ids = make_archive(cli, archive_root, tmp_path, count=2)
    added = cli("--root", archive_root, "replica", "add", NAME, tmp_path / "nas")
    assert added.code == 0, added

    before = listed(cli, archive_root)
    for record_id in ids:
        places = {p["where"]: p for p in before[record_id]["copies"]["places"]}
        assert set(places) == {"local", NAME}
        nas = places[NAME]
        assert (nas["good"], nas["versions"], nas["last_checked"]) == (False, 0, "")

    assert cli("--root", archive_root, "replicate").code == 0
    verified = cli("--root", archive_root, "verify", "--replica", NAME)
    assert verified.code == 0, verified

    after = listed(cli, archive_root)
    for record_id in ids:
        row = after[record_id]
        copies = row["copies"]
        assert copies == shown_copies(cli, archive_root, record_id)  # the same fields as show's
        places = {p["where"]: p for p in copies["places"]}
        nas = places[NAME]
        assert (nas["good"], nas["versions"], nas["of"], nas["outcome"], nas["fast"]) == \
            (True, 1, 1, "success", False)
        assert nas["last_checked"] >= nas["replicated_at"] > ""
        assert (copies["good"], copies["short"]) == (2, 0)
        assert (row["good_copies"], row["copies_short"], row["good_on"]) == (2, 0, ["local", NAME])


def test_list_json_copies_of_a_record_never_bagged(cli, seeded_root, tmp_path):
    assert cli("--root", seeded_root, "replica", "add", NAME, tmp_path / "nas").code == 0
    [row] = listed(cli, seeded_root).values()
    assert row["copies"]["good"] == 0 and row["copies"]["short"] == 0
    assert [(p["where"], p["good"], p["versions"], p["of"]) for p in row["copies"]["places"]] == \
        [("local", False, 0, 0), (NAME, False, 0, 0)]


def test_a_copy_as_json_holds_every_field_of_the_copy():
    """``Copy.as_json`` is written out for speed: it must stay every field, by name."""
    from dataclasses import asdict

    from archive.replicas.status import Copy

    copy = Copy("nas", True, 2, 2, "2026-11-29T10:00:00Z", "2026-11-30T10:00:00Z", "success", True)
    assert copy.as_json() == asdict(copy)
