"""``archive validate-bag`` on bags written here by hand and by bagit-python: every fault named."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from helpers import SEED


def write_bag(root: Path, files: dict[str, bytes], *, version: str = "1.0",
              algorithms: tuple[str, ...] = ("sha256", "sha512"), oxum: str | None = None,
              extra_manifest_lines: dict[str, list[bytes]] | None = None,
              bag_info: bytes | None = None, tagmanifests: bool = True) -> Path:
    """A bag exactly as written: payload ``files`` (paths under data/), manifests listing them.

    ``extra_manifest_lines`` appends raw lines to a manifest, to make the hostile ones.
    """
    data = root / "data"
    data.mkdir(parents=True)
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    declaration = f"BagIt-Version: {version}\nTag-File-Character-Encoding: UTF-8\n"
    (root / "bagit.txt").write_bytes(declaration.encode())
    octets = sum(len(c) for c in files.values())
    if bag_info is None:
        bag_info = f"Payload-Oxum: {oxum or f'{octets}.{len(files)}'}\nSource-Organization: Test\n".encode()
    (root / "bag-info.txt").write_bytes(bag_info)
    extra = extra_manifest_lines or {}
    for alg in algorithms:
        lines = [f"{hashlib.new(alg, c).hexdigest()}  {rel}\n".encode() for rel, c in files.items()]
        lines += [line + b"\n" for line in extra.get(f"manifest-{alg}.txt", [])]
        (root / f"manifest-{alg}.txt").write_bytes(b"".join(lines))
    if tagmanifests:
        tags = ["bagit.txt", "bag-info.txt", *(f"manifest-{a}.txt" for a in algorithms)]
        for alg in algorithms:
            lines = [f"{hashlib.new(alg, (root / t).read_bytes()).hexdigest()}  {t}\n" for t in tags]
            (root / f"tagmanifest-{alg}.txt").write_text("".join(lines))
    return root


def run_json(cli, bag: Path, *args: str) -> tuple[int, dict]:
    result = cli("validate-bag", "--json", *args, bag, timeout=60)
    assert "Traceback" not in result.out + result.err, result
    return result.code, json.loads(result.out) if result.out.strip() else {}


def codes(report: dict) -> set[tuple[str, str, str]]:
    return {(e["kind"], e["code"], e["path"]) for e in report["errors"]}


def test_a_good_bag_is_valid(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", {"data/a.txt": b"alpha\n", "data/sub/b.txt": b"beta\n"})
    code, report = run_json(cli, bag)
    assert code == 0 and report["outcome"] == "success", report
    assert report["payload_files"] == 2 and report["counts"]["changed"] == 0


def test_every_fault_is_named_and_the_check_goes_on(cli, tmp_path):
    files = {f"data/f{i}.txt": f"file {i}\n".encode() for i in range(5)}
    bag = write_bag(tmp_path / "bag", files)
    (bag / "data/f1.txt").write_bytes(b"file 1\n".replace(b"1", b"7"))  # same size, new bytes
    (bag / "data/f2.txt").unlink()
    (bag / "data/new.txt").write_bytes(b"x")
    (bag / "bag-info.txt").write_bytes((bag / "bag-info.txt").read_bytes() + b"Note: edited\n")
    code, report = run_json(cli, bag)
    assert code == 1
    found = codes(report)
    assert ("changed", "changed", "data/f1.txt") in found
    assert ("missing", "missing", "data/f2.txt") in found
    assert ("untracked", "untracked", "data/new.txt") in found
    assert ("changed", "changed", "bag-info.txt") in found
    assert report["counts"] == {"changed": 2, "missing": 1, "untracked": 1, "unsafe": 0, "unreadable": 0}


def test_text_report_lists_each_failure(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", {"data/a.txt": b"alpha\n"})
    (bag / "data/a.txt").write_bytes(b"alphA\n")
    result = cli("validate-bag", bag)
    assert result.code == 1
    assert "changed [changed] data/a.txt: content differs from manifest-sha256.txt, manifest-sha512.txt" \
        in result.out
    assert "INVALID" in result.out


def test_every_payload_file_in_every_manifest_in_bagit_1_0(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", {"data/a.txt": b"a", "data/b.txt": b"b"})
    manifest = bag / "manifest-sha512.txt"
    manifest.write_bytes(b"".join(line + b"\n" for line in manifest.read_bytes().splitlines()
                                  if b"b.txt" not in line))
    code, report = run_json(cli, bag)
    assert code == 1
    assert ("untracked", "not-in-every-manifest", "data/b.txt") in codes(report)


def test_fast_checks_completeness_and_oxum_only_and_says_so(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", {"data/a.txt": b"alpha\n"})
    (bag / "data/a.txt").write_bytes(b"ALPHA\n")
    code, report = run_json(cli, bag, "--fast")
    assert code == 0 and report["fast"] is True and report["hashed_bytes"] == 0
    (bag / "data/a.txt").write_bytes(b"ALPHA!\n")
    code, report = run_json(cli, bag, "--fast")
    assert code == 1 and ("invalid", "oxum-mismatch", "bag-info.txt") in codes(report)
    assert "fast: completeness and Payload-Oxum only" in cli("validate-bag", "--fast", bag).out


def test_percent_encoded_names_in_bagit_1_0(cli, tmp_path):
    bag = write_bag(tmp_path / "bag", {"data/100%.txt": b"full\n"})
    for manifest in bag.glob("manifest-*.txt"):
        manifest.write_bytes(manifest.read_bytes().replace(b"100%", b"100%25"))
    code, report = run_json(cli, bag, "--fast")
    assert code == 0, report


def test_a_bag_made_by_bagit_python(cli, tmp_path):
    bag = tmp_path / "made"
    bag.mkdir()
    (bag / SEED.name).write_bytes(SEED.read_bytes())
    script = "import bagit, sys; bagit.make_bag(sys.argv[1], checksums=['sha256', 'sha512'])"
    subprocess.run([sys.executable, "-c", script, str(bag)], check=True, timeout=60)
    code, report = run_json(cli, bag)
    assert code == 0 and report["bagit_version"] == "0.97", report
    (bag / "data" / SEED.name).write_bytes(SEED.read_bytes().replace(b"the", b"THE", 1))
    code, report = run_json(cli, bag)
    assert code == 1 and ("changed", "changed", f"data/{SEED.name}") in codes(report)


def test_no_such_folder_is_a_one_line_error(cli, tmp_path):
    result = cli("validate-bag", tmp_path / "nothing")
    assert result.code == 1
    assert result.err.startswith("archive: error: ") and result.err.count("\n") == 1
