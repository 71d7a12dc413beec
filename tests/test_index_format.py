"""An index written by an older version is rebuilt, never read with fields missing."""

from __future__ import annotations

import json
from pathlib import Path


def _index_files(root: Path) -> list[Path]:
    return sorted((root / "catalog" / "index").glob("*.json"))


def test_an_index_of_an_older_format_is_rebuilt_with_every_field(seeded_root: Path, cli):
    assert cli("--root", seeded_root, "bag", "--all").code == 0
    assert cli("--root", seeded_root, "verify", "--fast").code == 0
    for path in _index_files(seeded_root):  # as the version before fixity modes wrote it
        data = json.loads(path.read_bytes())
        data.pop("format", None)
        for row in data["rows"].values():
            for name in ("fixity_mode", "fixity_full_at", "serial"):
                row.pop(name, None)
        path.write_text(json.dumps(data))

    listed = cli("--root", seeded_root, "list", "--json")
    assert listed.code == 0, listed
    [row] = json.loads(listed.out)
    assert row["fixity_mode"] == "fast", row
    assert "fast" in cli("--root", seeded_root, "list").out
    rebuilt = [json.loads(p.read_bytes()) for p in _index_files(seeded_root)]
    assert all(d.get("format") == 2 for d in rebuilt)
