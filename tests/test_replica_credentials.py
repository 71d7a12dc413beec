"""Issue 11: "Credentials come from the standard places: the AWS environment, config and profiles;
ssh-agent and ~/.ssh/config with key files. They never come from archive.toml or the command line."

Each standard place is proven against a real server on 127.0.0.1 with nothing else to fall back on:
- S3: a named profile in a shared credentials file, its region in the config file, and no key in
  the environment. moto accepts any key, so the requests are signed through a recording relay
  (tests/s3_request_log.py) that notes each request's access key id and region: they must be the
  profile's. With no credentials anywhere, one clear line.
- SFTP: the user key held only by a real ssh-agent (its key files deleted from the throwaway
  ~/.ssh). Once the agent is gone, and with neither agent nor key, one clear line. (The
  ~/.ssh/config alias is tested in test_storage_remote.py.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import fixtures_servers
import pytest
from fixtures_servers import AwsProfile, SshAgent, ssh_home_copy
from s3_request_log import RecordingProxy

from archive.layout import open_archive

# This module's fixtures (tests/conftest.py, not owned here, imports only the servers').
aws_profile = fixtures_servers.aws_profile
aws_nowhere = fixtures_servers.aws_nowhere
ssh_agent = fixtures_servers.ssh_agent


def errors(result) -> list[str]:
    return [line for line in result.err.splitlines() if line.startswith("archive: error:")]


def one_clear_line(result) -> str:
    """The run failed with exactly one ``archive: error`` line and nothing else on stderr."""
    assert result.code == 1, result
    assert result.err.strip().splitlines() == errors(result) and len(errors(result)) == 1, result
    return errors(result)[0]


def everything_written(root: Path) -> str:
    """The catalogue, its events and every log, as text: where a secret must never land."""
    arc = open_archive(root)
    events = json.dumps(list(arc.store.iter_events()))
    logs = "".join(p.read_text(errors="replace") for p in (root / "logs").rglob("*") if p.is_file()) \
        if (root / "logs").is_dir() else ""
    return events + logs + (root / "archive.toml").read_text()


def make_bucket_with_own_keys(endpoint: str, name: str) -> None:
    """The bucket made by an administrator's client with keys of its own, in a session of its own
    (boto3's default session keeps the environment of whichever test made it first)."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="AKIAADMIN0000000001", aws_secret_access_key="admin",
                                    region_name="us-east-1")
    admin = session.client("s3", endpoint_url=endpoint)
    admin.create_bucket(Bucket=name)


# -- S3 -----------------------------------------------------------------------------------------


def test_s3_credentials_and_region_come_from_a_named_profile(cli, bagged_root, moto_server,
                                                             aws_profile: AwsProfile):
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} & set(os.environ)
    bucket = f"profile-replica-{os.getpid()}"
    make_bucket_with_own_keys(moto_server.endpoint, bucket)
    relay = RecordingProxy(moto_server.endpoint)
    try:
        added = cli("--root", bagged_root, "replica", "add", "cloud", f"s3://{bucket}/archive",
                    "--endpoint-url", relay.endpoint)  # no --region: the profile's config gives it
        replicated = cli("--root", bagged_root, "replicate", "cloud")
        checked = cli("--root", bagged_root, "verify", "--replica", "cloud")
    finally:
        relay.stop()
    for result in (added, replicated, checked):
        assert result.code == 0, result
    assert "all well" in checked.out, checked
    assert relay.signers, "no signed request went through the relay"
    assert set(relay.signers) == {(aws_profile.access_key, aws_profile.region)}  # every one of them
    assert ("PUT", f"/{bucket}/archive/replica.json") in relay.requests
    settings = (bagged_root / "archive.toml").read_text()
    assert "region" not in settings.split("[replicas.cloud]")[1]  # taken from the profile, not saved
    written = everything_written(bagged_root)
    for secret in (aws_profile.secret_key, aws_profile.access_key):
        assert secret not in written
        for result in (added, replicated, checked):
            assert secret not in result.out + result.err


def test_s3_credentials_from_the_aws_environment(cli, bagged_root, moto_server, aws_env):
    bucket = f"environment-replica-{os.getpid()}"
    make_bucket_with_own_keys(moto_server.endpoint, bucket)
    relay = RecordingProxy(moto_server.endpoint)
    try:
        added = cli("--root", bagged_root, "replica", "add", "cloud", f"s3://{bucket}/archive",
                    "--endpoint-url", relay.endpoint, "--region", "us-east-1")
        replicated = cli("--root", bagged_root, "replicate", "cloud")
    finally:
        relay.stop()
    assert added.code == 0 and replicated.code == 0, (added, replicated)
    assert relay.signers and set(relay.signers) == {(aws_env["AWS_ACCESS_KEY_ID"], "us-east-1")}


def test_s3_with_no_credentials_anywhere_is_one_clear_line(cli, archive_root, moto_server, aws_nowhere):
    bucket = f"no-credentials-{os.getpid()}"
    make_bucket_with_own_keys(moto_server.endpoint, bucket)
    before = (archive_root / "archive.toml").read_text()
    added = cli("--root", archive_root, "replica", "add", "cloud", f"s3://{bucket}/archive",
                "--endpoint-url", moto_server.endpoint, "--region", "us-east-1")
    line = one_clear_line(added)
    assert f"s3://{bucket}/archive" in line and "Unable to locate credentials" in line, line
    assert "AWS environment" in line and "profile" in line, line  # where to put them
    assert (archive_root / "archive.toml").read_text() == before


def test_s3_profile_that_does_not_exist_is_one_clear_line(cli, archive_root, moto_server, aws_nowhere,
                                                          monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    added = cli("--root", archive_root, "replica", "add", "cloud", "s3://some-bucket/archive",
                "--endpoint-url", moto_server.endpoint, "--region", "us-east-1")
    line = one_clear_line(added)
    assert "no-such-profile" in line and "could not be found" in line, line


# -- SFTP ---------------------------------------------------------------------------------------


def sftp_url(server, folder: Path) -> str:
    return f"sftp://{server.user}@127.0.0.1:{server.port}{folder}"


def test_sftp_replicate_and_verify_through_ssh_agent(cli, bagged_root, sshd_server, ssh_agent: SshAgent,
                                                     tmp_path):
    ssh = Path(os.environ["HOME"]) / ".ssh"
    assert (ssh / "known_hosts").is_file() and not list(ssh.glob("id_*"))  # no key file to fall back on
    url = sftp_url(sshd_server, tmp_path / "sftp-replica")
    added = cli("--root", bagged_root, "replica", "add", "offsite", url)
    assert added.code == 0, added
    replicated = cli("--root", bagged_root, "replicate", "offsite", "--json")
    assert replicated.code == 0, replicated
    report = json.loads(replicated.out)["replicas"][0]
    assert report["bags_copied"] >= 1 and report["failures"] == []
    checked = cli("--root", bagged_root, "verify", "--replica", "offsite")
    assert checked.code == 0 and "all well" in checked.out, checked

    ssh_agent.stop()  # the agent was the only way in: without it the same check cannot log in
    refused = cli("--root", bagged_root, "verify", "--replica", "offsite")
    assert refused.code == 1, refused
    [line] = errors(refused)
    assert "ssh-agent" in line and "after 4 attempts" not in line, line


def test_sftp_key_file_named_by_ssh_config_identityfile(cli, bagged_root, sshd_server, monkeypatch, tmp_path):
    """A key under a name of the user's choosing, found only through its Host's IdentityFile."""
    home = ssh_home_copy(sshd_server, tmp_path / "home", keys=True)
    ssh = home / ".ssh"
    (ssh / "id_ed25519").rename(ssh / "offsite_key")
    (ssh / "id_ed25519.pub").unlink()
    (ssh / "config").write_text((ssh / "config").read_text() + "  IdentityFile ~/.ssh/offsite_key\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    url = f"sftp://replica-box{tmp_path / 'sftp-replica'}"  # user, host, port and key from the config
    added = cli("--root", bagged_root, "replica", "add", "offsite", url)
    assert added.code == 0, added
    replicated = cli("--root", bagged_root, "replicate", "offsite")
    assert replicated.code == 0, replicated
    assert (tmp_path / "sftp-replica" / "replica.json").is_file()
    assert "offsite_key" not in (bagged_root / "archive.toml").read_text()


def test_sftp_with_neither_agent_nor_key_is_one_clear_line(cli, archive_root, sshd_server, monkeypatch,
                                                           tmp_path):
    home = ssh_home_copy(sshd_server, tmp_path / "home", keys=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    before = (archive_root / "archive.toml").read_text()
    added = cli("--root", archive_root, "replica", "add", "offsite", sftp_url(sshd_server, tmp_path / "r"))
    line = one_clear_line(added)
    assert "ssh-agent" in line and "~/.ssh" in line, line  # where a key is looked for
    assert "after 4 attempts" not in line, line  # a missing key is not a network fault: not retried
    assert (archive_root / "archive.toml").read_text() == before
    assert not (tmp_path / "r").exists()


# -- never from archive.toml --------------------------------------------------------------------


@pytest.mark.parametrize("key", ["aws_secret_access_key", "password", "identity_file"])
def test_a_credential_in_archive_toml_is_refused_without_echoing_it(cli, archive_root, key):
    toml = archive_root / "archive.toml"
    toml.write_text(toml.read_text() + f'\n[replicas.cloud]\nurl = "s3://bucket/x"\n{key} = "Hunter2-Zz"\n')
    result = cli("--root", archive_root, "replica", "list")
    line = one_clear_line(result)
    assert f"replicas.cloud.{key}: unknown setting" in line and "Hunter2-Zz" not in result.out + result.err
