"""The Library of Congress BagIt conformance suite, run through ``archive validate-bag``.

The folder a case sits in is its expected result: valid (exit 0), invalid and linux-only (exit 1),
warning (exit 0 and at least one warning); windows-only cases do not apply on Linux. 54 cases apply.

Upstream, v0.97/warning/special-system-files lists data/.DS_Store in its manifest but the file is
not in the repository (git and many copy tools drop it), so as shipped that bag is genuinely invalid.
The test checks exactly that, then restores the empty .DS_Store in a copy (the suite itself is
read-only) and expects the warning the case was written for.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import REPO

SUITE = Path(os.environ.get("BAGIT_CONFORMANCE_SUITE", REPO.parent / "shared" / "bagit-conformance-suite"))
EXPECTED = {"valid": "valid", "invalid": "invalid", "linux-only": "invalid", "warning": "warning"}
UPSTREAM_GAP = "v0.97/warning/special-system-files"
VALID_WITH_WARNING = {"bag-with-leading-dot-slash-in-manifest"}
"""Valid cases that also earn a warning: './' paths are legal but the suite's relative-path case
expects a warning for the same construct, so the warning is given everywhere (the suite's harness
accepts warnings on valid bags)."""


def _cases() -> list[tuple[str, str]]:
    if not SUITE.is_dir():
        return []
    found = []
    for version in sorted(SUITE.glob("v*")):
        for category in sorted(p for p in version.iterdir() if p.is_dir()):
            if category.name == "windows-only":
                continue
            for case in sorted(p for p in category.iterdir() if p.is_dir()):
                found.append((str(case.relative_to(SUITE)), EXPECTED[category.name]))
    return found


CASES = _cases()


def _require_suite() -> None:
    if SUITE.is_dir():
        return
    message = f"BagIt conformance suite not found at {SUITE} (set BAGIT_CONFORMANCE_SUITE)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def test_the_suite_is_there_and_has_54_linux_cases():
    _require_suite()
    assert len(CASES) == 54


def _validate(cli, bag: Path) -> tuple[int, dict]:
    result = cli("validate-bag", "--json", bag)
    assert result.err == "", result
    assert "Traceback" not in result.out
    return result.code, json.loads(result.out)


@pytest.mark.parametrize(("case", "expected"), CASES or [("<suite missing>", "")])
def test_case_is_classified_by_its_folder(cli, tmp_path, case, expected):
    _require_suite()
    bag = SUITE / case
    if case == UPSTREAM_GAP:
        bag = tmp_path / "bag"
        shutil.copytree(SUITE / case, bag)
        os.chmod(bag / "data", 0o755)
        (bag / "data" / ".DS_Store").write_bytes(b"")
    code, report = _validate(cli, bag)
    if expected == "invalid":
        assert code == 1 and report["outcome"] == "failure", report
        assert report["errors"], report
    elif expected == "warning":
        assert code == 0 and report["outcome"] == "warning", report
        assert report["warnings"], report
    else:
        assert code == 0 and not report["errors"], report
        if Path(case).name not in VALID_WITH_WARNING:
            assert report["outcome"] == "success", report


def test_special_system_files_as_shipped_is_invalid_for_the_missing_ds_store(cli):
    _require_suite()
    code, report = _validate(cli, SUITE / UPSTREAM_GAP)
    assert code == 1
    assert {(e["kind"], e["path"]) for e in report["errors"]} >= {("missing", "data/.DS_Store")}
    assert any(w["code"] == "system-file" for w in report["warnings"])


def test_changed_data_file_is_named_not_only_an_oxum_mismatch(cli):
    _require_suite()
    code, report = _validate(cli, SUITE / "v0.97/invalid/corrupt-data-file")
    assert code == 1
    assert [(e["kind"], e["path"]) for e in report["errors"] if e["kind"] == "changed"] == [
        ("changed", "data/bare-filename")]


def test_text_output_names_the_verdict(cli):
    _require_suite()
    result = cli("validate-bag", SUITE / "v0.97/warning/made-with-md5sum-tools")
    assert result.code == 0
    assert "valid, with warnings" in result.out
    assert "md5sum-binary-marker" in result.out
