"""Fixtures for the replica tests: moto's S3 server and an OpenSSH sshd, real, on 127.0.0.1.

Each server fixture starts its server and stops it. When a server cannot run here (sshd or moto
not installed) the fixture skips on a developer's machine but FAILS under CI (the CI variable is
set), so CI never passes by skipping a server test. The client environment (dummy AWS
credentials, a throwaway HOME with the test's ~/.ssh, no ssh-agent) is set per test with
monkeypatch and never leaks out of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_servers import DUMMY_AWS, MotoServer, Sshd, moto_available, sshd_available


def _unavailable(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing and CI is set: server tests may not be skipped in CI")
    pytest.skip(f"{what} is not installed here (CI installs it; see .ci/run)")


def _moto() -> Iterator[MotoServer]:
    if not moto_available():
        _unavailable("moto[server]")
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto S3 server for the session; tests use their own buckets."""
    yield from _moto()


@pytest.fixture
def moto_private() -> Iterator[MotoServer]:
    """A moto server of this test's own, which the test may stop and restart."""
    yield from _moto()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Dummy credentials in the AWS environment, and no reading of the user's ~/.aws."""
    for name, value in DUMMY_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return dict(DUMMY_AWS)


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """One sshd for the session, with throwaway host and user keys."""
    if not sshd_available():
        _unavailable("OpenSSH sshd (package openssh-server)")
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


@pytest.fixture
def sshd_private(tmp_path: Path) -> Iterator[Sshd]:
    """An sshd of this test's own, which the test may stop and restart."""
    if not sshd_available():
        _unavailable("OpenSSH sshd (package openssh-server)")
    server = Sshd(tmp_path / "sshd").start()
    yield server
    server.stop()


def use_ssh_home(monkeypatch: pytest.MonkeyPatch, server: Sshd) -> None:
    """Point HOME at the server's throwaway home and hide any ssh-agent."""
    monkeypatch.setenv("HOME", str(server.home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
