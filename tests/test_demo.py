"""The README's first command builds this: the sample collection, bagged and verified."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import SEED


def test_demo_builds_a_bagged_and_verified_archive(tmp_path: Path, cli):
    target = tmp_path / "demo"
    result = cli("demo", "--dir", target, "--no-tui")
    assert result.code == 0, result
    assert "1 record(s) imported, 1 bagged, 1 verified, 0 failed" in result.out
    [row] = json.loads(cli("--root", target, "list", "--json").out)
    assert row["status"] == "bagged"
    assert row["fixity_outcome"] == "success"
    record = json.loads(cli("--root", target, "show", row["id"], "--json").out)
    bag = target / record["bags"][0]["path"]
    assert (bag / "data" / "source" / SEED.name).read_bytes() == SEED.read_bytes()
    assert (bag / "bagit.txt").read_text().startswith("BagIt-Version: 1.0")


def test_demo_rebuilds_its_own_folder_but_never_a_stranger(tmp_path: Path, cli):
    target = tmp_path / "demo"
    assert cli("demo", "--dir", target, "--no-tui").code == 0
    assert cli("demo", "--dir", target, "--no-tui").code == 0  # rebuilt, not refused
    assert len(json.loads(cli("--root", target, "list", "--json").out)) == 1
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    refused = cli("demo", "--dir", precious, "--no-tui")
    assert refused.code == 1 and "not a demo archive" in refused.err
    assert (precious / "thesis.txt").read_text() == "do not delete"


def test_the_tui_needs_a_terminal_and_says_so(tmp_path: Path, cli):
    target = tmp_path / "demo"
    result = cli("demo", "--dir", target)
    assert result.code == 1
    assert "needs a terminal" in result.err
