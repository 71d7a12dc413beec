"""Fixtures for driving the Textual app headless on real archives in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archive.layout import open_archive

RECORDS = Path(__file__).resolve().parents[2] / "records"

FIXED_EPOCH = "1700000000"
FIXED_UUID = "6f1c1a52-4c3e-4e43-9d4b-1f0a7c2e5b10"


@pytest.fixture
def article(tmp_path: Path) -> Path:
    """A new article file outside any archive, to add through the app."""
    path = tmp_path / "incoming" / "harbour-strike.txt"
    path.parent.mkdir()
    path.write_text("Dock workers in the harbour walked out this morning over pay.\n", encoding="utf-8")
    return path


@pytest.fixture
def fixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reproducible ids, timestamps and user names for snapshots."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    monkeypatch.setenv("LOGNAME", "archivist")
    monkeypatch.setenv("USER", "archivist")
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


def _snap_archive(root: Path, cli) -> None:
    """The seed record imported with fixed time and user, then given a fixed uuid."""
    assert cli("init", root, "--org", "Test Archive", "--contact-name", "Ada Archivist",
               "--contact-email", "ada@example.org").code == 0
    folder = root.parent / "records"
    folder.mkdir()
    for name in ("ankara-ambassador-shooting.txt", "ankara-ambassador-shooting.json"):
        shutil.copyfile(RECORDS / name, folder / name)
    assert cli("--root", root, "import", folder).code == 0
    arc = open_archive(root)
    record_id = arc.store.ids()[0]
    with arc.store.transaction() as tx:
        record = tx.get(record_id)
        record["uuid"] = FIXED_UUID
        record["provenance"]["catalogued_by"] = "archivist"
        tx.update(record)


@pytest.fixture
def snap_root(fixed_env: None, tmp_path: Path, archive_templates) -> Path:
    """The seed record imported with fixed time and user, and a fixed uuid, for snapshots: a copy
    of the archive built once per worker (before: two CLI runs in each of the 19 tests, about
    0.2 CPU-s of child processes each as measured under load); the templates are keyed by the
    environment, so it is built under ``fixed_env``."""
    return archive_templates.made("snapshot-seed", _snap_archive, tmp_path / "arc")
