"""The demo archive: the sample collection in records/, catalogued, bagged and verified.

It is what the README's first command opens, so a newcomer sees every feature on real data
within seconds, and it is rebuilt from scratch each time so it always shows a clean state.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive import catalog
from archive.errors import ArchiveError
from archive.layout import Archive, init_archive

MARKER = ".article-archive-demo"
_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass
class DemoSummary:
    """What the demo build did, for the CLI to print."""

    archive: Archive
    imported: int
    bagged: int
    verified: int
    failures: int


def sample_records_dir() -> Path:
    """records/ from a checkout, or the copy the wheel carries as archive/sample_records."""
    for candidate in (_PACKAGE_DIR.parent / "records", _PACKAGE_DIR / "sample_records"):
        if candidate.is_dir() and any(candidate.glob("*.txt")):
            return candidate
    raise ArchiveError("the sample collection (records/) is missing from this installation")


def _clear_previous(folder: Path) -> None:
    """Only a folder this code made as a demo (it carries the marker) is ever removed."""
    if not folder.exists():
        return
    if (folder / MARKER).is_file():
        shutil.rmtree(folder)
        return
    if folder.is_dir() and not any(folder.iterdir()):
        return
    raise ArchiveError(f"{folder} exists and is not a demo archive; choose another --dir")


def build_demo(folder: Path, *, step: Callable[[str], None] = lambda _: None) -> DemoSummary:
    """Build the demo archive in ``folder``: import records/, bag every record, verify the bags."""
    from archive.bagging import bag_records
    from archive.fixity.verify import verify_archive

    folder = folder.expanduser().resolve()
    _clear_previous(folder)
    arc = init_archive(folder, organization="article-archive demo", contact_name="Demo Archivist",
                       contact_email="archivist@example.org", id_prefix="ART")
    (folder / MARKER).write_text("made by `archive demo`; deleted and rebuilt by it\n")
    step(f"importing {sample_records_dir()}")
    report = catalog.import_folder(arc, sample_records_dir())
    if report.failed:
        raise ArchiveError("the sample collection did not import: " + report.failed[0][1])
    ids = [record_id for _, record_id in report.added]
    step(f"bagging {len(ids)} record(s)")
    bagged = [r for r in bag_records(arc, ids) if r.outcome == "bagged"]
    step("verifying the bags")
    totals = verify_archive(arc, ids).totals()
    return DemoSummary(archive=arc, imported=len(ids), bagged=len(bagged),
                       verified=totals["checked"], failures=totals["failure"])
