"""Property-based tests over ingest (issue 9): random record.json fields, member names, manifests,
and tar and zip layouts, each thrown at ``archive.deposit.ingest.ingest`` in-process for speed.

Whatever is drawn, these hold:
- nothing is written outside the archive: a sibling ``outside/`` folder, the folder holding the
  example, the package itself and every absolute path named in the input are unchanged;
- the only failure is an ``ArchiveError`` (the CLI prints it as one line): never another exception,
  so never a traceback or an "unexpected ..." line;
- a refused input leaves the archive byte-identical (``helpers.snapshot_tree``) and staging empty;
- an accepted one lands as one listed record whose files are all inside its own folders.

Sizes: see ``EXAMPLES`` (160 examples, about a minute); CI runs them derandomised (the "ci"
profile in conftest.py), and ``HYPOTHESIS_PROFILE=nightly`` runs 25 times as many, at random.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from helpers import RECORDS, run_cli, snapshot_tree
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from archive.bagit_format.paths import payload_name
from archive.deposit.ingest import ingest
from archive.errors import ArchiveError
from archive.layout import open_archive

EXAMPLES = {"record": 60, "members": 60, "manifests": 40}
"""Examples per test in the CI profile; together about a minute on a loaded 2-core machine."""


def examples(test: str) -> int:
    """The CI count, scaled up by a profile that asks for more (nightly: 5,000 / 200 = 25 times)."""
    return EXAMPLES[test] * max(1, settings.default.max_examples // 200)

RECORD_JSON = "data/metadata/record.json"
OUTSIDE_MARK = "@OUTSIDE@"
"""Stands for the example's own ``outside/`` folder in drawn names, so absolute paths aim at it."""

NASTY_NAMES = [
    "..", ".", "../x.txt", "../../catalog/records/000000.json", "../../../../outside/pwn.txt",
    f"{OUTSIDE_MARK}/abs.txt", "/etc/passwd", "a/b.txt", "./x.txt", "x\x00y.txt", "a\u2028b.txt",
    "a\u2029b.txt", "a\x85b.txt", "\u202egnp.txt", ".hidden", "-rf", "x" * 300 + ".txt", "", " ",
    "a\\b.txt", "%2e%2e", "ok.txt", "ankara-ambassador-shooting.txt", "record.json", "C:x.txt",
    "line\nbreak.txt", "tab\there.txt",
]

names = st.one_of(st.sampled_from(NASTY_NAMES), st.text(max_size=30))
ids = st.one_of(
    st.sampled_from(["ART-2026-000000", "ART-2026-000001", "ART-2026-000002", "ART-2026-999999",
                     "ZZZ-1999-000001", "../../x", "", "ART-2026-00000", "ART-2026--00001"]),
    st.from_regex(r"\A[A-Z]{1,4}-[0-9]{4}-[0-9]{6}\Z"),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2, max_value=2**63),
                    st.text(max_size=20), names)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=8), scalars,
                                                                          max_size=3))
FIELDS = ["source.filename", "source.text_filename", "id", "uuid", "revision", "title", "status",
          "bags", "created_at", "source.sha256", "source.size", "provenance.catalogued_by",
          "deaccession", "extra_field", "creators"]


# --- the bag and the archive every example starts from ------------------------------------------


def rebag(bag: Path) -> None:
    """Manifests, Payload-Oxum and tag manifests rewritten so an edited bag is valid BagIt."""
    payload = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    for algorithm in ("sha256", "sha512"):
        (bag / f"manifest-{algorithm}.txt").write_bytes("".join(
            f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bag).as_posix()}\n"
            for p in payload).encode("utf-8", "surrogateescape"))
    info = bag / "bag-info.txt"
    oxum = f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"
    lines = [f"Payload-Oxum: {oxum}" if ln.startswith("Payload-Oxum:") else ln
             for ln in info.read_text(encoding="utf-8").splitlines()]
    info.write_text("\n".join(lines) + "\n", encoding="utf-8")
    retag(bag)


def retag(bag: Path) -> None:
    tags = [t for t in ("bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt")
            if (bag / t).is_file()]
    for algorithm in ("sha256", "sha512"):
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(
            f"{hashlib.new(algorithm, (bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tags),
            encoding="utf-8")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """A sender's bag of the seed article, and a receiving archive already holding one record."""
    top = tmp_path_factory.mktemp("hyp")
    sender = top / "sender"
    assert run_cli("init", sender, "--org", "Sender", "--contact-name", "Ada",
                   "--contact-email", "ada@example.org").returncode == 0
    assert run_cli("--root", sender, "import", RECORDS).returncode == 0
    assert run_cli("--root", sender, "bag", "--all").returncode == 0
    (bag,) = (sender / "bags").glob("*/v1")
    receiver = top / "receiver"
    assert run_cli("init", receiver, "--org", "Receiver").returncode == 0
    held = top / "held.txt"
    held.write_text("An article the receiving archive already holds.\n", encoding="utf-8")
    assert run_cli("--root", receiver, "add", held, "--title", "Held").returncode == 0
    examples = top / "examples"
    examples.mkdir()
    return {"bag": bag, "archive": receiver, "examples": examples}


class Example:
    """One example's folders: ``arc`` (a fresh copy of the receiving archive), ``outside`` (must
    never change) and ``incoming`` (the package); all removed afterwards."""

    def __init__(self, base: dict):
        self.parent = base["examples"]
        self.folder = Path(tempfile.mkdtemp(dir=self.parent))
        self.arc = self.folder / "arc"
        shutil.copytree(base["archive"], self.arc)
        open_archive(self.arc)  # a copied shard has a new stamp: let its index be rebuilt now
        self.outside = self.folder / "outside"
        self.outside.mkdir()
        (self.outside / "sentinel.txt").write_text("must stay as it is", encoding="utf-8")
        self.incoming = self.folder / "incoming"
        self.bag = self.incoming / "bag"
        shutil.copytree(base["bag"], self.bag)

    def name(self, drawn: str) -> str:
        return drawn.replace(OUTSIDE_MARK, str(self.outside))

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def absolute_paths(texts: list[str]) -> list[Path]:
    """Every absolute path named in the input, which must not exist afterwards (if it did not)."""
    found = []
    for text in texts:
        if isinstance(text, str) and text.startswith("/") and "\x00" not in text:
            found.append(Path(text))
    return found


def run_ingest(ex: Example, package: Path, named: list[str]) -> dict | None:
    """Ingest ``package`` and check every invariant; returns the record when it was accepted."""
    arc = open_archive(ex.arc)
    before_arc = snapshot_tree(ex.arc)
    before_outside = snapshot_tree(ex.outside)
    before_package = snapshot_tree(ex.incoming)
    siblings = sorted(os.listdir(ex.parent))
    watched = [p for p in absolute_paths(named) if not os.path.lexists(p)]
    record = None
    try:
        record = ingest(arc, package)
        event("accepted")
    except ArchiveError as exc:
        event("refused")
        assert "Traceback" not in str(exc)
        assert snapshot_tree(ex.arc) == before_arc, f"refused ({exc}) but the archive changed"
    assert snapshot_tree(ex.outside) == before_outside
    assert snapshot_tree(ex.incoming) == before_package
    assert sorted(os.listdir(ex.parent)) == siblings
    assert sorted(os.listdir(ex.folder)) == ["arc", "incoming", "outside"]
    assert not [p for p in watched if os.path.lexists(p)]
    assert not any((ex.arc / "staging").iterdir())
    shards = sorted(p.name for p in (ex.arc / "catalog" / "records").iterdir())
    assert all(n[:6].isdigit() for n in shards), shards
    if record is not None:
        check_accepted(ex, record)
    return record


def check_accepted(ex: Example, record: dict) -> None:
    arc = open_archive(ex.arc)
    assert record["id"] in arc.store.ids()
    folder = ex.arc / "sources" / record["id"]
    names = {record["source"]["filename"], record["source"].get("text_filename")} - {None}
    assert {p.name for p in folder.iterdir()} == names
    for path in ex.arc.rglob("*"):
        assert os.path.realpath(path).startswith(str(ex.arc.resolve()) + os.sep)
    assert (ex.arc / record["bags"][0]["path"] / "bagit.txt").is_file()


# --- packaging ---------------------------------------------------------------------------------


def bag_members(bag: Path, top: str) -> list[tuple[str, bytes | None]]:
    members: list[tuple[str, bytes | None]] = []
    for path in sorted(bag.rglob("*")):
        rel = top + path.relative_to(bag).as_posix()
        members.append((rel, None) if path.is_dir() else (rel, path.read_bytes()))
    return members


def write_package(out: Path, fmt: str, members: list[tuple[str, str, bytes | None]]) -> Path:
    """``members`` as (kind, name, data): kind is file, dir, symlink or hardlink (tar only)."""
    if fmt == "zip":
        with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            warnings.simplefilter("ignore")
            for kind, name, data in members:
                if kind == "dir":
                    archive.writestr(name.rstrip("/") + "/", b"")
                elif kind == "symlink":
                    info = zipfile.ZipInfo(name)
                    info.create_system, info.external_attr = 3, 0o120777 << 16
                    archive.writestr(info, b"/etc/passwd")
                else:
                    archive.writestr(name, data or b"")
        return out
    with tarfile.open(out, "w:gz" if fmt == "tar.gz" else "w", format=tarfile.PAX_FORMAT) as tar:
        for kind, name, data in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = "/etc/passwd"
                tar.addfile(info)
            else:
                info.size = len(data or b"")
                tar.addfile(info, io.BytesIO(data or b""))
    return out


def package(ex: Example, fmt: str, top: str = "bag/",
            extra: list[tuple[str, str, bytes | None]] = ()) -> Path:
    if fmt == "folder":
        return ex.bag
    members = [("dir" if data is None else "file", name, data) for name, data in bag_members(ex.bag, top)]
    members += list(extra)
    out = ex.incoming / f"package.{fmt}"
    try:
        write_package(out, fmt, members)
    except (ValueError, UnicodeError, tarfile.TarError, OSError):
        with contextlib.suppress(OSError):
            out.unlink()
        assume(False)  # a layout the writing library itself cannot express
    return out


# --- record.json ------------------------------------------------------------------------------


def set_path(record: dict, dotted: str, value) -> None:
    head, _, rest = dotted.partition(".")
    if rest:
        if not isinstance(record.get(head), dict):
            record[head] = {}
        record[head][rest] = value
    else:
        record[head] = value


@settings(max_examples=examples("record"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.sampled_from(FIELDS), st.one_of(names, ids, values)), max_size=4),
       plant=st.booleans(), planted=st.binary(max_size=64),
       fmt=st.sampled_from(["folder", "tar", "tar.gz", "zip"]))
def test_record_json_fields_from_outside(base, changes, plant, planted, fmt):
    ex = Example(base)
    try:
        record = json.loads((ex.bag / RECORD_JSON).read_text(encoding="utf-8"))
        named = []
        for field, value in changes:
            value = ex.name(value) if isinstance(value, str) else value
            named.append(value)
            set_path(record, field, value)
            if plant and field in ("source.filename", "source.text_filename") and isinstance(value, str):
                # Put a payload file where the name would land in data/source/, so the only thing
                # between the name and a write is the archive's own checks, not a missing file.
                with contextlib.suppress(OSError, ValueError):
                    (ex.bag / "data" / "source" / payload_name(value)).write_bytes(planted)
        (ex.bag / RECORD_JSON).write_text(json.dumps(record), encoding="utf-8")
        rebag(ex.bag)
        run_ingest(ex, package(ex, fmt), named)
    finally:
        ex.close()


# --- member names and layouts -----------------------------------------------------------------


member_names = st.one_of(
    st.sampled_from([
        "../x.txt", "../../../../outside/pwn.txt", f"{OUTSIDE_MARK}/abs.txt", "./", ".", "",
        "bag/data/source/ankara-ambassador-shooting.txt", "bag/data", "bag/data/x/y.txt", "bag/data/x",
        "bag/bagit.txt", "bag/" + "d/" * 40 + "deep.txt", "bag/data/" + "n" * 300, "bag/../bag/x",
        "bag/data/a\u2028b.txt", "bag//data//double.txt", "./bag/data/dot.txt", "bag\\data\\w.txt",
        "bag/data/nul\x00.txt", "C:/x.txt",
    ]),
    st.builds(lambda parts: "bag/data/" + "/".join(parts),
              st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4)),
)


@settings(max_examples=examples("members"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["tar", "tar.gz", "zip"]),
       top=st.sampled_from(["bag/", "./bag/", "", "deep/er/bag/"]),
       extra=st.lists(st.tuples(st.sampled_from(["file", "file", "dir", "symlink", "hardlink"]),
                                member_names, st.binary(max_size=32)), max_size=4))
def test_member_names_and_layouts(base, fmt, top, extra):
    ex = Example(base)
    try:
        extra = [(kind, ex.name(name), data) for kind, name, data in extra]
        result = run_ingest(ex, package(ex, fmt, top, extra), [name for _, name, _ in extra])
        if result is not None:
            # Accepted: every extra member must have been harmless and inside the bag.
            assert all(kind in ("file", "dir") for kind, _, _ in extra)
    finally:
        ex.close()


# --- manifests --------------------------------------------------------------------------------


DAMAGES = ["wrong-digest", "missing-line", "extra-line", "climbing-line", "duplicate-line",
           "garbage", "drop-manifest", "absolute-line"]


def damage(bag: Path, kind: str, which: str, line_no: int) -> None:
    manifest = bag / f"manifest-{which}.txt"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    index = line_no % len(lines)
    digest, _, name = lines[index].partition("  ")
    if kind == "wrong-digest":
        lines[index] = ("0" if digest[0] != "0" else "1") + digest[1:] + "  " + name
    elif kind == "missing-line":
        del lines[index]
    elif kind == "extra-line":
        lines.append(f"{digest}  data/source/not-there.txt")
    elif kind == "climbing-line":
        lines.append(f"{digest}  data/../../../../outside/sentinel.txt")
    elif kind == "absolute-line":
        lines.append(f"{digest}  /etc/passwd")
    elif kind == "duplicate-line":
        lines.append(("f" * len(digest)) + "  " + name)
    elif kind == "garbage":
        lines.append("not a manifest line")
    if kind == "drop-manifest":
        manifest.unlink()
    else:
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")


@settings(max_examples=examples("manifests"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=3),
       which=st.sampled_from(["sha256", "sha512"]), line_no=st.integers(0, 10),
       fix_tags=st.booleans(), fmt=st.sampled_from(["folder", "tar", "zip"]))
def test_damaged_manifests(base, kinds, which, line_no, fix_tags, fmt):
    ex = Example(base)
    try:
        for kind in kinds:
            if not (ex.bag / f"manifest-{which}.txt").is_file():
                break
            damage(ex.bag, kind, which, line_no)
        if fix_tags:
            retag(ex.bag)  # so the tag manifests cannot give the damage away
        record = run_ingest(ex, package(ex, fmt), [])
        definite = {"wrong-digest", "missing-line", "extra-line", "climbing-line", "absolute-line",
                    "duplicate-line", "garbage"}
        if kinds[0] in definite:
            assert record is None, f"{kinds} in manifest-{which}.txt was accepted"
    finally:
        ex.close()


# --- a handful through the CLI: one line per problem, never a traceback -----------------------


@pytest.mark.parametrize("extra", [
    [("file", "bag/data/nul\x00.txt", b"x"), ("file", "bag/data/a\u2028b.txt", b"y")],
    [("file", "bag/" + "d/" * 40 + "deep.txt", b"x"),
     ("dir", "bag/data/source/ankara-ambassador-shooting.txt", None)],
    [("hardlink", "bag/data/h", None), ("file", "../../escape.txt", b"x"), ("file", "bag/data/x", b"1"),
     ("file", "bag/data/x", b"2")],
])
@pytest.mark.parametrize("fmt", ["tar", "zip"])
def test_hostile_layouts_through_the_cli(base, cli, fmt, extra):
    ex = Example(base)
    try:
        members = [("dir" if d is None else "file", n, d) for n, d in bag_members(ex.bag, "bag/")]
        try:
            out = write_package(ex.incoming / f"p.{fmt}", fmt, members + extra)
        except (ValueError, UnicodeError):
            pytest.skip(f"{fmt} cannot hold these names")
        before = snapshot_tree(ex.arc)
        result = cli("--root", ex.arc, "ingest", out)
        assert result.code == 1, result
        assert "Traceback" not in result.err and "unexpected" not in result.err, result
        assert all(line.startswith("archive: error: ") for line in result.err.splitlines()), result
        assert snapshot_tree(ex.arc) == before
        assert not (ex.folder.parent / "escape.txt").exists()
    finally:
        ex.close()
