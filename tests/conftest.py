"""Shared fixtures: real archives on disk, and the CLI driven as a subprocess."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fixtures_servers import aws_env, moto_private, moto_server, sshd_private, sshd_server  # noqa: F401
from helpers import RECORDS, SEED, Result, run_cli
from replica_targets import replica_target  # noqa: F401


@pytest.fixture
def cli():
    """``cli(*args, cwd=...)`` returns a Result with code, out and err.

    A run that fails on an "unexpected" exception (exit 70) fails the test unless
    ``expect_unexpected=True`` is passed.
    """

    def call(*args, expect_unexpected: bool = False, **kwargs) -> Result:
        return Result(run_cli(*args, **kwargs), expect_unexpected=expect_unexpected)

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


# Hypothesis: CI runs a fixed, derandomised set of examples, so a failure replays exactly;
# HYPOTHESIS_PROFILE=nightly runs many more (see bench/README.md).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", derandomize=True, max_examples=200, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "nightly", max_examples=5000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def bagged_root(seeded_root: Path, cli) -> Path:
    """The seeded archive with its record bagged (v1)."""
    result = cli("--root", seeded_root, "bag", "--all")
    assert result.code == 0, result
    return seeded_root
