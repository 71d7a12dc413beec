"""``repair`` cancelled between bags (the TUI's Escape, through the library's ``cancel``): what was
put right before stays put right and recorded, nothing after is touched, and the next repair
finishes the job.

Two local bags are damaged, the first and the last the repair walks; the cancel predicate turns
true once the first bag is done (a progress step, never a clock), so the run stops before the last.
"""

from __future__ import annotations

from pathlib import Path

from test_repair import PAYLOAD, damage
from test_replicate import NAME, make_archive

from archive.layout import open_archive
from archive.progress import Step
from archive.replicas.repair import repair


def bag_folder(root: Path, record_id: str) -> Path:
    return root / open_archive(root).store.get(record_id)["bags"][-1]["path"]


def recovered(root: Path) -> list[str]:
    events = open_archive(root).store.iter_events()
    return [e["record_id"] for e in events if e["type"]["label"] == "recovery"]


def test_a_cancelled_repair_keeps_what_it_put_right_and_touches_nothing_after(cli, archive_root, tmp_path):
    ids = make_archive(cli, archive_root, tmp_path, count=3)
    assert cli("--root", archive_root, "replica", "add", NAME, tmp_path / "nas").code == 0
    assert cli("--root", archive_root, "replicate").code == 0
    first, last = ids[0], ids[-1]
    good_first = damage(bag_folder(archive_root, first) / PAYLOAD)
    damage(bag_folder(archive_root, last) / PAYLOAD)
    damaged_last = (bag_folder(archive_root, last) / PAYLOAD).read_bytes()

    steps: list[Step] = []
    result = repair(open_archive(archive_root), progress=steps.append,
                    cancel=lambda: bool(steps) and steps[-1].done >= 1)
    assert result.cancelled
    assert [s.done for s in steps] == [0, 1]  # stopped after the first bag: the cancel was honoured
    assert (bag_folder(archive_root, first) / PAYLOAD).read_bytes() == good_first
    assert (bag_folder(archive_root, last) / PAYLOAD).read_bytes() == damaged_last  # not touched
    assert recovered(archive_root) == [first]
    assert [f.repaired for f in result.files] == [True]
    assert cli("--root", archive_root, "verify", first).code == 0

    again = cli("--root", archive_root, "repair")
    assert again.code == 0, again
    assert sorted(recovered(archive_root)) == sorted([first, last])
    assert cli("--root", archive_root, "verify").code == 0
