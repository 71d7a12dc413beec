"""Bad input never crashes or loses data: one clear line, exit 1, and the archive unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import snapshot_tree


def assert_refused(result, root: Path, before: dict, *, says: str) -> None:
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("archive: error: ") and says in lines[0], lines[0]
    assert "Traceback" not in result.err
    assert snapshot_tree(root) == before


@pytest.fixture
def before(seeded_root: Path) -> dict:
    return snapshot_tree(seeded_root)


def test_non_utf8_text(seeded_root, before, cli, tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("Caf\xe9 au lait".encode("latin-1"))
    assert_refused(cli("--root", seeded_root, "add", f), seeded_root, before, says="not UTF-8")


def test_binary_file(seeded_root, before, cli, tmp_path):
    f = tmp_path / "image.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert_refused(cli("--root", seeded_root, "add", f), seeded_root, before, says="binary")


def test_empty_file(seeded_root, before, cli, tmp_path):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    assert_refused(cli("--root", seeded_root, "add", f), seeded_root, before, says="empty")


def test_missing_file(seeded_root, before, cli, tmp_path):
    result = cli("--root", seeded_root, "add", tmp_path / "nope.txt")
    assert_refused(result, seeded_root, before, says="cannot read")


@pytest.mark.parametrize("title", ["Line one\nline two", "Bell\x07", "Tab\tinside", "CR\rhere"])
def test_title_with_newline_or_control_characters(seeded_root, before, cli, tmp_path, title):
    f = tmp_path / "ok.txt"
    f.write_text("Fine text.")
    result = cli("--root", seeded_root, "add", f, "--title", title)
    assert_refused(result, seeded_root, before, says="title: must be a single line")


def test_field_of_the_wrong_type(seeded_root, before, cli, tmp_path):
    f = tmp_path / "ok.txt"
    f.write_text("Fine text.")
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"title": 12}))
    result = cli("--root", seeded_root, "add", f, "--meta", meta)
    assert_refused(result, seeded_root, before, says="title: expected a string")


def test_unknown_field(seeded_root, before, cli, tmp_path):
    f = tmp_path / "ok.txt"
    f.write_text("Fine text.")
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"titel": "Typo"}))
    result = cli("--root", seeded_root, "add", f, "--meta", meta)
    assert_refused(result, seeded_root, before, says="titel: unknown field")


def test_every_problem_is_named_on_its_own_line(seeded_root, before, cli, tmp_path):
    f = tmp_path / "ok.txt"
    f.write_text("Fine text.")
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({
        "issued": "2016-02-30", "url": "not a url", "language": "english!",
        "rights": {"statement_uri": "https://example.org/rights"},
        "provenance": {"contact_email": "nobody"}, "creators": [{"given": "Only"}],
    }))
    result = cli("--root", seeded_root, "add", f, "--meta", meta)
    assert result.code == 1
    assert result.err.splitlines() == [
        "archive: error: creators[0]: needs a family name or a literal name",
        "archive: error: issued: not a valid date (use YYYY, YYYY-MM or YYYY-MM-DD)",
        "archive: error: language: not a valid BCP 47 language tag (such as en, fr or pt-BR)",
        "archive: error: provenance.contact_email: not a valid e-mail address",
        "archive: error: rights.statement_uri: not a rightsstatements.org URI "
        "(such as http://rightsstatements.org/vocab/InC/1.0/)",
        "archive: error: url: not a valid absolute URI (such as https://example.org/page)",
    ]
    assert snapshot_tree(seeded_root) == before


def test_malformed_meta_json(seeded_root, before, cli, tmp_path):
    f = tmp_path / "ok.txt"
    f.write_text("Fine text.")
    meta = tmp_path / "meta.json"
    meta.write_text("{not json")
    assert_refused(cli("--root", seeded_root, "add", f, "--meta", meta), seeded_root, before,
                   says="not valid JSON")


def test_path_traversal_in_a_file_name_stays_inside_the_archive(archive_root, cli, tmp_path):
    inner = tmp_path / "x" / "y"
    inner.mkdir(parents=True)
    f = inner / "article.txt"
    f.write_text("Text reached through dot-dot.")
    result = cli("--root", archive_root, "add", inner / ".." / "y" / "article.txt")
    assert result.code == 0, result
    record_id = result.out.strip()
    record = json.loads(cli("--root", archive_root, "show", record_id, "--json").out)
    assert record["source"]["filename"] == "article.txt"
    stored = list((archive_root / "sources").rglob("*.txt"))
    assert stored == [archive_root / "sources" / record_id / "article.txt"]


def test_root_that_is_not_an_archive(tmp_path, cli):
    result = cli("--root", tmp_path, "list")
    assert result.code == 1
    assert result.err.strip() == (
        f"archive: error: {tmp_path} is not an archive (no archive.toml); "
        f"create one with: archive init {tmp_path}"
    )
    assert list(tmp_path.iterdir()) == []


def test_corrupted_catalogue_is_reported_and_never_overwritten(seeded_root, cli, tmp_path):
    shard = next((seeded_root / "catalog" / "records").glob("*.json"))
    damaged = shard.read_bytes()[: len(shard.read_bytes()) // 2]
    shard.write_bytes(damaged)
    before = snapshot_tree(seeded_root)
    f = tmp_path / "new.txt"
    f.write_text("A new article.")
    for args in (["list"], ["add", f], ["edit", "ART-2000-000001", "--set", "section=X"]):
        result = cli("--root", seeded_root, *args)
        assert result.code == 1, (args, result)
        assert "is damaged" in result.err and "restore it from a backup" in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert shard.read_bytes() == damaged
    assert snapshot_tree(seeded_root) == before


def _run_limited(args: list[str], max_file_bytes: int) -> subprocess.CompletedProcess:
    """Run the CLI with a file-size limit: every write past it fails as on a full disk (EFBIG)."""
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({max_file_bytes}, {max_file_bytes}))\n"
        "from archive.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


def test_disk_full_while_copying_the_text(seeded_root, before, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 100_000)  # 500 KB, over the 64 KB limit below
    result = _run_limited(["--root", str(seeded_root), "add", str(big)], 64 * 1024)
    assert result.returncode == 1, result
    assert "nothing was added" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert snapshot_tree(seeded_root) == before


def test_disk_full_while_writing_the_catalogue(seeded_root, before):
    record_id = "ART-" + next((seeded_root / "sources").iterdir()).name.split("-", 1)[1]
    shard_size = max(p.stat().st_size for p in (seeded_root / "catalog" / "records").iterdir())
    result = _run_limited(["--root", str(seeded_root), "edit", record_id, "--set", "section=World"],
                          shard_size // 2)
    assert result.returncode == 1, result
    assert "disk full" in result.stderr and "nothing was changed" in result.stderr
    assert snapshot_tree(seeded_root) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_really_full_disk(tmp_path, cli):
    """A real ENOSPC on a 2 MB tmpfs, where the machine allows mounting one."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        root = mount / "arc"
        assert cli("init", root).code == 0
        f = tmp_path / "a.txt"
        f.write_text("A small article.")
        assert cli("--root", root, "add", f).code == 0
        filler = mount / "filler"
        with open(filler, "wb") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError:
                pass
        before = snapshot_tree(root)
        g = tmp_path / "b.txt"
        g.write_text("Another article " * 2000)
        result = cli("--root", root, "add", g)
        assert result.code == 1 and "nothing was added" in result.err
        assert snapshot_tree(root) == before
        filler.unlink()
        assert cli("--root", root, "list").code == 0
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_big_file_is_streamed_not_read_whole(archive_root, tmp_path):
    """Streaming shown by memory that does not grow with the file: one process adds a small file
    (imports, caches and buffers all warm), then a 64 MiB one; its peak RSS may grow by less than
    half the file, where reading it whole would grow by at least all of it. (64 MiB proves what
    200 MiB did, for a third of the disk writes.)"""
    line = ("All the news that fits, and then some more words to fill a line. " * 4 + "\n").encode()
    small, big = tmp_path / "small.txt", tmp_path / "huge.txt"
    small.write_bytes(line * 10)
    big_mb = 64
    with open(big, "wb") as out:
        block = line * 1000
        for _ in range(big_mb * 1024 * 1024 // len(block)):
            out.write(block)
    # VmHWM is this process's own peak; ru_maxrss can carry the forking pytest worker's size
    # across exec, which made the absolute bound fail on a worker that had grown.
    code = (
        "import resource, sys\n"
        "from archive.cli import main\n"
        "def peak():\n"
        "    try:\n"
        "        with open('/proc/self/status') as f:\n"
        "            return next(int(l.split()[1]) for l in f if l.startswith('VmHWM:')) // 1024\n"
        "    except OSError:\n"
        "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        "root, small, big = sys.argv[1:]\n"
        "if main(['--root', root, 'add', small]) != 0:\n"
        "    sys.exit('adding the small file failed')\n"
        "warm = peak()\n"
        "rc = main(['--root', root, 'add', big])\n"
        "print(warm, peak(), file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(archive_root), str(small), str(big)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    warm_mb, peak_mb = map(int, result.stderr.strip().splitlines()[-1].split())
    assert peak_mb - warm_mb < big_mb // 2, f"peak memory grew {warm_mb} -> {peak_mb} MB for {big_mb} MB"
    assert peak_mb < 150, f"peak memory {peak_mb} MB"
    record_id = result.stdout.strip().splitlines()[-1]
    copy = archive_root / "sources" / record_id / "huge.txt"
    assert copy.stat().st_size == big.stat().st_size


def test_the_size_limit_is_documented_and_enforced(archive_root, cli, tmp_path):
    from archive.sources import MAX_SOURCE_BYTES

    sparse = tmp_path / "sparse.txt"
    with open(sparse, "wb") as out:
        out.truncate(MAX_SOURCE_BYTES + 1)
    before = snapshot_tree(archive_root)
    result = cli("--root", archive_root, "add", sparse)
    assert_refused(result, archive_root, before, says="over the 1,073,741,824-byte limit")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "1 GiB" in readme



@pytest.mark.parametrize("data", [b"Caf\xe9", b"\xe9t\xe9 " * 10, b"ok " * 500_000 + b"\xc3"],
                         ids=["last-byte", "first-byte", "lead-byte-after-a-megabyte"])
def test_a_bad_byte_anywhere_names_its_offset(seeded_root, before, cli, tmp_path, data):
    """Including a lone lead byte at the very end, which the decoder only reports at the end."""
    f = tmp_path / "legacy.txt"
    f.write_bytes(data)
    first_bad = next(i for i in range(len(data)) if data[i] >= 0x80)
    result = cli("--root", seeded_root, "add", f)
    assert_refused(result, seeded_root, before,
                   says=f"undecodable byte 0x{data[first_bad]:02x} at offset {first_bad}")
