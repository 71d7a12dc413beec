"""The bag check reads a plain manifest (every line ``digest  path\\n`` as this archive writes it)
in one pass instead of line by line. Whatever a manifest holds, the one-pass reading must give
exactly what the line-by-line reading gives: the same problems, entries and digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.fixity import bagcheck
from archive.fixity.bagcheck import check_bag_folder

FILES = {"data/a.txt": b"alpha\n", "data/sub/b.txt": b"beta\n", "data/.hidden": b"dot\n",
         "data/sp ace.txt": b"space\n", "data/pct%41.txt": b"percent\n"}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _make_bag(root: Path, manifest: bytes, files: dict[str, bytes] = FILES) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    size = sum(len(d) for d in files.values())
    (root / "bag-info.txt").write_bytes(f"Payload-Oxum: {size}.{len(files)}\n".encode())
    (root / "manifest-sha256.txt").write_bytes(manifest)
    tags = ("bag-info.txt", "bagit.txt", "manifest-sha256.txt")
    (root / "tagmanifest-sha256.txt").write_bytes(
        "".join(f"{_sha256((root / n).read_bytes())}  {n}\n" for n in tags).encode())
    return root


def _both_ways(bag: Path, monkeypatch) -> tuple[object, object, bool]:
    used = []
    plain = bagcheck._BagCheck._read_plain_manifest

    def spy(self, manifest):
        taken = plain(self, manifest)
        used.append(taken)
        return taken

    monkeypatch.setattr(bagcheck._BagCheck, "_read_plain_manifest", spy)
    fast, _ = check_bag_folder(bag)
    monkeypatch.setattr(bagcheck._BagCheck, "_read_plain_manifest", lambda self, manifest: False)
    slow, _ = check_bag_folder(bag)
    return fast, slow, used[0]


def _line(rel: str) -> str:
    return f"{_sha256(FILES[rel])}  {rel}"


GOOD = "".join(_line(r) + "\n" for r in ("data/a.txt", "data/sub/b.txt", "data/.hidden", "data/sp ace.txt"))
GOOD += f"{_sha256(FILES['data/pct%41.txt'])}  data/pct%2541.txt\n"


@pytest.mark.parametrize("manifest, plain", [
    (GOOD.replace("  data/pct%2541.txt", "  data/pct%41.txt"), False),  # '%': decoded line by line
    ("".join(_line(r) + "\n" for r in ("data/a.txt", "data/sub/b.txt")), True),  # untracked files named
    (GOOD, False),
    (GOOD.replace("\n", "\r\n"), False),
    (GOOD.upper(), False),
    (GOOD + _line("data/a.txt") + "\n", False),  # listed twice
    (GOOD.replace("  data/a.txt", " data/a.txt"), False),
    (GOOD.replace("  data/a.txt", "  ./data/a.txt"), False),
    (GOOD.replace("  data/a.txt", "  data//a.txt"), False),
    (GOOD.replace("  data/a.txt", "  data/gone.txt"), False),  # missing
    (GOOD.replace("  data/a.txt", "  bagit.txt"), False),  # outside the payload
    (GOOD.replace("  data/a.txt", "  data/../a.txt"), False),
    (GOOD.replace("  data/a.txt", "  *data/a.txt"), False),
    (GOOD.rstrip("\n"), False),
    ("\n" + GOOD, False),
    ("\ufeff" + GOOD, False),
    (GOOD.replace(_sha256(FILES["data/a.txt"]), "0" * 64), False),  # changed: found by hashing
    ("", True),
])
def test_each_manifest_reads_the_same_both_ways(tmp_path: Path, monkeypatch, manifest: str, plain: bool):
    bag = _make_bag(tmp_path / "bag", manifest.encode("utf-8"))
    fast, slow, taken = _both_ways(bag, monkeypatch)
    assert fast.to_dict() == slow.to_dict()
    assert (fast.digests, fast.tag_digests) == (slow.digests, slow.tag_digests)
    assert taken is plain


def test_a_plain_manifest_is_read_in_one_pass_and_an_odd_one_line_by_line(tmp_path: Path, monkeypatch):
    files = {rel: data for rel, data in FILES.items() if "%" not in rel and "/." not in rel}
    plain = "".join(_line(r) + "\n" for r in files)
    fast, slow, taken = _both_ways(_make_bag(tmp_path / "plain", plain.encode(), files), monkeypatch)
    assert taken is True and fast.outcome == "success"
    assert fast.to_dict() == slow.to_dict() and fast.digests == slow.digests
    fast, slow, taken = _both_ways(_make_bag(tmp_path / "odd", GOOD.encode()), monkeypatch)
    assert taken is False and fast.outcome == "success"  # a '%' to decode: line by line
    assert fast.to_dict() == slow.to_dict()


LINE_PARTS = st.sampled_from(["  ", " ", "\t", "  *", "  ./", "  /", "  ~", "  \\"])
PATHS = st.sampled_from([*FILES, "data/pct%2541.txt", "data/gone.txt", "bagit.txt", "data//a.txt",
                         "data/sub/", "data/../x", "data/\u00e9.txt", "data/a.txt "])
DIGESTS = st.sampled_from(["good", "upper", "short", "zero"])
ENDS = st.sampled_from(["\n", "\r\n", "\r", ""])


@given(st.lists(st.tuples(DIGESTS, LINE_PARTS, PATHS, ENDS), max_size=8))
def test_any_manifest_reads_the_same_both_ways(tmp_path_factory, lines):
    with pytest.MonkeyPatch.context() as monkeypatch:
        text = ""
        for digest_kind, separator, path, end in lines:
            data = FILES.get(path.replace("%25", "%"), b"")
            digest = {"good": _sha256(data), "upper": _sha256(data).upper(), "short": _sha256(data)[:10],
                      "zero": "0" * 64}[digest_kind]
            text += f"{digest}{separator}{path}{end}"
        bag = _make_bag(tmp_path_factory.mktemp("bag"), text.encode("utf-8"))
        fast, slow, _ = _both_ways(bag, monkeypatch)
        assert fast.to_dict() == slow.to_dict()
        assert (fast.digests, fast.tag_digests) == (slow.digests, slow.tag_digests)
