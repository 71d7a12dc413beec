"""Shared fixtures: real archives on disk, and the CLI driven as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RECORDS = REPO / "records"
SEED = RECORDS / "ankara-ambassador-shooting.txt"
SEED_SHA256 = "eff65e91b0346dca113151de1ee4ce7dc1f6e332a2eedbdbdf80ad82695e7547"
SHARED = REPO.parent / "shared"
ARCHIVE_BIN = Path(sys.executable).with_name("archive")


def run_cli(*args: str | os.PathLike, cwd: Path | None = None, env: dict | None = None,
            input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``archive ARGS`` as a user would, capturing text output."""
    full_env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", **(env or {})}
    full_env.pop("ARCHIVE_ROOT", None) if env is None or "ARCHIVE_ROOT" not in env else None
    return subprocess.run(
        [str(ARCHIVE_BIN), *map(str, args)], cwd=cwd, env=full_env, input=input,
        capture_output=True, timeout=timeout,
    )


class Result:
    """A finished CLI run with decoded output."""

    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace")
        self.err = proc.stderr.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<exit {self.code}\nout: {self.out[-2000:]}\nerr: {self.err[-2000:]}>"


@pytest.fixture
def cli():
    """``cli(*args, cwd=...)`` returns a Result with code, out and err."""

    def call(*args, **kwargs) -> Result:
        return Result(run_cli(*args, **kwargs))

    return call


@pytest.fixture
def archive_root(tmp_path: Path, cli) -> Path:
    """An empty archive made by ``archive init``."""
    root = tmp_path / "arc"
    result = cli("init", root, "--org", "Test Archive", "--contact-name", "Ada Archivist",
                 "--contact-email", "ada@example.org")
    assert result.code == 0, result
    return root


@pytest.fixture
def seeded_root(archive_root: Path, cli) -> Path:
    """An archive holding the seed article with its sidecar metadata (ART-….-000001)."""
    result = cli("--root", archive_root, "import", RECORDS)
    assert result.code == 0, result
    return archive_root


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "in" / SEED.name
    target.parent.mkdir()
    shutil.copyfile(SEED, target)
    return target


def snapshot_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, to prove an operation changed nothing."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }
