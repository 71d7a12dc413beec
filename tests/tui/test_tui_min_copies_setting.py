"""Issue 11: "a record with fewer good copies than the archive's min_copies setting (default 2)
stands out in the table". The default is tested in test_tui_replicas.py; here the setting itself
is changed in archive.toml and decides which records are marked."""

from __future__ import annotations

import re
from pathlib import Path

from test_tui_replicas import T1, mark_copies, table_lines, two_bagged, with_replicas
from tui_helpers import make_app, settle


def set_min_copies(root: Path, value: int) -> None:
    toml = root / "archive.toml"
    before = toml.read_text(encoding="utf-8")
    text, found = re.subn(r"(?m)^min_copies = \d+$", f"min_copies = {value}", before)
    assert found == 1
    toml.write_text(text, encoding="utf-8")


async def marks(root: Path) -> dict[str, str]:
    app = make_app(root)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        return table_lines(app)


async def test_the_min_copies_setting_decides_which_records_stand_out(seeded_root, article):
    first, second = two_bagged(seeded_root, article)
    with_replicas(seeded_root, "nas")
    mark_copies(seeded_root, first, nas={"replicated_at": T1})  # first: 2 good copies, second: 1

    set_min_copies(seeded_root, 3)
    lines = await marks(seeded_root)
    assert "! 2/3" in lines[first] and "! 1/3" in lines[second], lines

    set_min_copies(seeded_root, 1)
    lines = await marks(seeded_root)
    assert " 2/1 " in lines[first] and " 1/1 " in lines[second], lines
    assert not any("!" in line.split("bagged")[1] for line in lines.values()), lines
