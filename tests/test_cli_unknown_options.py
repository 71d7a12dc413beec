"""An option the CLI does not know is named back, its value never: it may be a secret.

The replica commands take no credentials on the command line (issue 11: they come from the AWS
environment and profiles, ssh-agent and ~/.ssh), so a user who tries one gets a usage error. argparse's
own message repeats every unrecognised word, which would print the secret back to the terminal, into
scrollback and into any log capturing it.
"""

from __future__ import annotations

import pytest

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("words", [
    ["--aws-secret-access-key", SECRET],
    [f"--aws-secret-access-key={SECRET}"],
    ["--password", SECRET, "--verbose-extra"],
])
def test_an_unknown_option_is_named_and_its_value_is_not_echoed(cli, tmp_path, words):
    result = cli("replica", "add", "box", "s3://bucket/prefix", *words, cwd=tmp_path)
    assert result.code == 2
    assert SECRET not in result.out + result.err
    option = words[0].split("=")[0]
    assert option in result.err
    assert "unrecognized arguments" in result.err
    assert "1 value not shown" in result.err


def test_a_stray_word_with_no_option_before_it_is_still_named(cli, tmp_path):
    result = cli("list", "stray-word", cwd=tmp_path)
    assert result.code == 2
    assert "unrecognized arguments: stray-word" in result.err
