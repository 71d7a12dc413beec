"""Fixtures for the replica tests: moto's S3 server and an OpenSSH sshd, real, on 127.0.0.1.

Each server fixture starts its server and stops it. When a server cannot run here (sshd or moto
not installed) the fixture skips on a developer's machine but FAILS under CI (the CI variable is
set), so CI never passes by skipping a server test. The client environment (dummy AWS
credentials, a throwaway HOME with the test's ~/.ssh, no ssh-agent) is set per test with
monkeypatch and never leaks out of it. For the tests of the standard places credentials come from:
``aws_profile`` (a named profile in a shared credentials file, no key in the environment),
``aws_nowhere`` (no AWS credentials at all) and ``ssh_agent`` (a real ssh-agent of the test's own
holding the user key, whose key files are gone from the throwaway ~/.ssh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from remote_servers import DUMMY_AWS, MotoServer, Sshd, moto_available, sshd_available

SSH_AGENT = shutil.which("ssh-agent") or "/usr/bin/ssh-agent"
SSH_ADD = shutil.which("ssh-add") or "/usr/bin/ssh-add"


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


# -- credentials from the standard places, and from none ---------------------------------------


@dataclass(frozen=True)
class AwsProfile:
    """A named profile in a throwaway shared credentials file, its region in a throwaway config."""

    name: str
    access_key: str
    secret_key: str
    region: str


def _no_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS_* variable at all (keys, profile, container or web-identity credentials), the
    user's ~/.aws files out of reach and no instance metadata: credentials only where a test puts
    them."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AwsProfile:
    """Credentials as an AWS user keeps them: a named profile in a shared credentials file
    (AWS_SHARED_CREDENTIALS_FILE), its region in the config file (AWS_CONFIG_FILE), chosen by
    AWS_PROFILE; no key in the environment."""
    profile = AwsProfile("archive-offsite", "AKIAPROFILEKEY000042", "profile-SECRET-Vb7Tq2", "eu-west-3")
    _no_aws_environment(monkeypatch, tmp_path)
    credentials = tmp_path / "aws" / "credentials"
    credentials.parent.mkdir()
    credentials.write_text(f"[default]\naws_access_key_id = AKIANOTTHEPROFILE001\n"
                           f"aws_secret_access_key = not-the-profile\n\n[{profile.name}]\n"
                           f"aws_access_key_id = {profile.access_key}\n"
                           f"aws_secret_access_key = {profile.secret_key}\n")
    config = tmp_path / "aws" / "config"
    config.write_text(f"[default]\nregion = us-west-1\n\n"
                      f"[profile {profile.name}]\nregion = {profile.region}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", profile.name)
    return profile


@pytest.fixture
def aws_nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials anywhere: not in the environment, no files, no metadata service."""
    _no_aws_environment(monkeypatch, tmp_path)


def ssh_home_copy(server: Sshd, home: Path, *, keys: bool) -> Path:
    """A throwaway HOME of the test's own holding the server's ~/.ssh (known_hosts, config), with
    the user key files or without them; the session server's shared home is never changed."""
    shutil.copytree(server.home / ".ssh", home / ".ssh")
    if not keys:
        for key in (home / ".ssh").glob("id_*"):
            key.unlink()
    return home


class SshAgent:
    """A real ssh-agent of the test's own, on a socket under the test's folder."""

    def __init__(self, socket_path: Path) -> None:
        self.socket = socket_path
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [SSH_AGENT, "-D", "-a", str(socket_path)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()  # -D prints SSH_AUTH_SOCK=... once the socket listens
        if b"SSH_AUTH_SOCK=" not in ready:
            self.stop()
            raise RuntimeError(f"ssh-agent did not start: {ready!r}")

    def add(self, key: Path) -> None:
        done = subprocess.run([SSH_ADD, str(key)], env={**os.environ, "SSH_AUTH_SOCK": str(self.socket)},
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"ssh-add failed: {done.stderr.strip()}")

    def stop(self) -> None:
        """Kill this agent (by its own pid) and wait for it."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait(10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self.proc = None


@pytest.fixture
def ssh_agent(sshd_server: Sshd, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SshAgent]:
    """The user key held only by a running ssh-agent: HOME is a throwaway copy of the server's home
    with its key files removed after ``ssh-add``, and SSH_AUTH_SOCK names the agent's socket."""
    if not (Path(SSH_AGENT).is_file() and Path(SSH_ADD).is_file()):
        _unavailable("ssh-agent and ssh-add (package openssh-client)")
    home = ssh_home_copy(sshd_server, tmp_path / "agent-home", keys=True)
    sock = tmp_path / "agent.sock"
    if len(str(sock)) > 100:  # a Unix socket's path must fit in sun_path (108 bytes)
        sock = Path(tempfile.mkdtemp(prefix="agent-", dir="/tmp")) / "agent.sock"
    agent = SshAgent(sock)
    try:
        agent.add(home / ".ssh" / "id_ed25519")
        for key in (home / ".ssh").glob("id_*"):
            key.unlink()  # the key is now in the agent only
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield agent
    finally:
        agent.stop()
