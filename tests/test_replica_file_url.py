"""Issue 11: a folder replica named "as a path or file://". The path form is every folder test's;
here the file:// form goes through the CLI end to end, and its refusals are usage errors."""

from __future__ import annotations

import json
from urllib.parse import quote


def test_a_file_url_replica_is_the_folder_it_names(cli, bagged_root, tmp_path):
    folder = tmp_path / "nas drive"  # a space, as a URL carries it: %20
    url = "file://" + quote(str(folder))
    added = cli("--root", bagged_root, "replica", "add", "nas", url)
    assert added.code == 0, added
    assert json.loads((folder / "replica.json").read_text())["format"] == "article-archive-replica/1"
    replicated = cli("--root", bagged_root, "replicate", "nas", "--json")
    assert replicated.code == 0, replicated
    assert json.loads(replicated.out)["replicas"][0]["bags_copied"] >= 1
    assert list((folder / "bags").glob("*/v1/bagit.txt"))
    checked = cli("--root", bagged_root, "verify", "--replica", "nas")
    assert checked.code == 0 and "all well" in checked.out, checked


def test_a_file_url_that_names_no_local_folder_is_a_usage_error(cli, bagged_root):
    for url in ("file://elsewhere.example.org/srv/copy", "file://relative/path"):
        result = cli("--root", bagged_root, "replica", "add", "nas", url)
        assert result.code == 2 and "file://" in result.err, (url, result)
