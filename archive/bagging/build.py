"""One record version as a bag, made by ``bagit.make_bag`` in a worker process.

``build_bag`` stages the payload (the source file as received, record.json and the citations) in
a new folder under staging, lets ``bagit.make_bag`` turn that folder into a bag, and then closes
the gaps where bagit 1.9.0 falls short of RFC 8493 (see ``conform``). It runs only in worker
processes, because ``make_bag`` calls ``os.chdir`` for the whole process; it takes and returns
plain picklable values and touches nothing but its staging folder; the catalogue is updated by
the caller.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from archive import __version__
from archive.bagit_format import taginfo
from archive.bagit_format.manifest import render_manifest_line, split_manifest_line
from archive.bagit_format.paths import decode_path, payload_name
from archive.bagit_format.payload import BAGIT_TXT, DATA, METADATA_FILES, METADATA_FOLDER, SOURCE_FOLDER
from archive.errors import PayloadError
from archive.store.catalog_store import now_utc

PROFILE_ID = "https://article-archive.invalid/schemas/profiles/article-archive.json"
COPY_CHUNK = 64 << 20


@dataclass
class BagSummary:
    """What was written: per payload path (relative to data/) its digests, the Payload-Oxum, the
    bag's size and the digests of its tag manifests."""

    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    payload_octets: int = 0
    payload_streams: int = 0
    size: int = 0
    tagmanifest: dict[str, str] = field(default_factory=dict)

    @property
    def payload_oxum(self) -> str:
        return f"{self.payload_octets}.{self.payload_streams}"


@dataclass
class BagJob:
    """Everything a worker needs to bag one record version, as plain values."""

    record: dict
    version: int
    source_dir: str
    target: str
    organization: str = ""
    contact_name: str = ""
    contact_email: str = ""
    algorithms: tuple[str, ...] = ("sha256", "sha512")
    durable: bool = True


@dataclass
class BagOutcome:
    """What a worker made: the staged folder and its summary, or the one-line reason it could not."""

    record_id: str
    version: int
    target: str
    error: str = ""
    summary: BagSummary = field(default_factory=BagSummary)
    bagged_at: str = ""


# --- what goes into the bag -------------------------------------------------------------------


def cited_record(record: dict, version: int) -> dict:
    """The record as its citation should see it: preserved in the bag being written."""
    view = dict(record)
    view["bags"] = [*(record.get("bags") or []), {"version": version}]
    return view


def creator_label(creator: dict) -> str:
    if "literal" in creator:
        return creator["literal"]
    return ", ".join(p for p in (creator.get("family"), creator.get("given")) if p)


def bag_labels(job: BagJob, bagged_at: str, citation: str) -> list[tuple[str, object]]:
    """bag-info.txt labels in reading order; Payload-Oxum and Bag-Size are added by ``conform``."""
    record = job.record
    labels: list[tuple[str, object]] = [
        ("BagIt-Profile-Identifier", PROFILE_ID),
        ("Source-Organization", job.organization),
        ("Contact-Name", job.contact_name),
        ("Contact-Email", job.contact_email),
        ("External-Identifier", record["id"]),
        ("External-Description", record.get("abstract") or record["title"]),
        ("Internal-Sender-Identifier", record["uuid"]),
        ("Bag-Group-Identifier", record["id"]),
        ("Bag-Version", job.version),
        ("Bagging-Date", bagged_at[:10]),
        ("Bag-Software-Agent", f"article-archive {__version__}"),
        ("Title", record["title"]),
    ]
    labels += [("Creator", creator_label(c)) for c in record.get("creators") or []]
    labels += [
        ("Date-Published", record.get("issued", "")),
        ("Source-URL", record.get("url", "")),
        ("Citation", citation),
    ]
    return labels


def metadata_files(job: BagJob) -> dict[str, bytes]:
    """data/metadata/: the record and its citation in CSL-JSON, BibTeX and RIS."""
    from archive.citation import to_bibtex, to_csl_json, to_ris

    record = job.record
    cited = cited_record(record, job.version)
    org = job.organization or None
    contents = (
        orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n",
        orjson.dumps([to_csl_json(cited, archive_name=org)], option=orjson.OPT_INDENT_2) + b"\n",
        to_bibtex(cited, archive_name=org).encode("utf-8"),
        to_ris(cited, archive_name=org).encode("utf-8"),
    )
    return dict(zip(METADATA_FILES, contents, strict=True))  # record.json, citation.json, .bib, .ris


def source_files(record: dict) -> list[str]:
    """The file names under sources/<id>/ that go into data/source/ as received."""
    source = record["source"]
    names = [source["filename"]]
    if source.get("text_filename"):
        names.append(source["text_filename"])
    return names


# --- staging the payload ----------------------------------------------------------------------


def kernel_copy(source: Path, target: Path) -> int:
    """Copy ``source`` into the new file ``target`` inside the kernel (copy_file_range), no reads
    into Python; falls back to ``shutil.copyfileobj`` where the kernel cannot. Returns the size."""
    with open(source, "rb") as src, open(target, "xb") as out:
        size = os.fstat(src.fileno()).st_size
        done = 0
        try:
            while done < size:
                sent = os.copy_file_range(src.fileno(), out.fileno(), min(COPY_CHUNK, size - done))
                if sent == 0:
                    break
                done += sent
        except OSError:  # another file system, an old kernel: copy through user space
            src.seek(done)
            out.seek(done)
            out.truncate()
            shutil.copyfileobj(src, out, 4 << 20)
            done = out.tell()
        else:
            if done < size or src.read(1):  # the file grew or shrank while being copied
                raise PayloadError(f"{source.name} changed while it was being copied")
    return done


def resolve_links(folder: Path) -> None:
    """Leave no symlink in a payload folder: bagit 1.9.0's ``make_bag`` walks with ``os.walk``,
    which does not follow symlinked folders, so their files would be moved into data/ but left
    out of every manifest. A symlink to a file is replaced by a copy of the file's bytes; a
    symlink to a folder, or one that leads nowhere, is refused."""
    for entry in list(os.scandir(folder)):
        path = Path(entry.path)
        if entry.is_symlink():
            if not path.is_file() or path.resolve().is_dir():
                raise PayloadError(f"{path.name} is a symbolic link to a folder or to nothing; "
                                   "not bagged")
            real = path.resolve()
            path.unlink()
            kernel_copy(real, path)
        elif entry.is_dir(follow_symlinks=False):
            resolve_links(path)


def _sync_and_close(fd: int) -> None:
    """Flush a staged file through the descriptor it was opened with, wherever it has moved to.

    Only a head start: the batch's syncfs (``staging.flush_filesystem``) makes the bag durable
    before it is moved in, so a failure here is left for that call rather than printed."""
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


EARLY_SYNC = 8 << 20
"""Copies at least this large are flushed to disk on a thread while make_bag hashes them."""


def stage_payload(job: BagJob, folder: Path) -> list[threading.Thread]:
    """Write the payload into ``folder`` (new), as the layout puts it under data/.

    For a durable bag, a large copy starts going to disk at once, on a thread, while make_bag
    reads it back from the page cache to hash it; the caller joins the returned threads. The
    parent's one syncfs per batch then finds little left to write. The thread is handed a file
    descriptor opened here, before it starts: make_bag moves the file into data/ at once, and a
    thread that opened it by name could find it gone (``FileNotFoundError`` on stderr).
    """
    record = job.record
    source_dir = Path(job.source_dir)
    (folder / SOURCE_FOLDER).mkdir(parents=True)
    syncing: list[threading.Thread] = []
    for name in source_files(record):
        copy = folder / SOURCE_FOLDER / payload_name(name)
        if kernel_copy(source_dir / name, copy) >= EARLY_SYNC and job.durable:
            fd = os.open(copy, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            thread = threading.Thread(target=_sync_and_close, args=(fd,), name="bag-sync", daemon=True)
            try:
                thread.start()
            except BaseException:
                os.close(fd)
                raise
            syncing.append(thread)
    (folder / METADATA_FOLDER).mkdir()
    for name, content in metadata_files(job).items():
        with open(folder / METADATA_FOLDER / name, "xb") as out:
            out.write(content)
    resolve_links(folder)
    return syncing


# --- bagit.make_bag and the gaps it leaves ----------------------------------------------------


def _manifest_lines(filename: str, algorithms=("sha256", "sha512")) -> list[tuple]:
    """Stand-in for ``bagit.generate_manifest_lines`` in worker processes: the same result, but
    from ``archive.hashing.hash_file``, which reads a file once and, for a large one, runs sha512
    on a second thread while sha256 runs on this one (bagit updates both in turn on one core)."""
    import bagit

    from archive.hashing import hash_file

    names = list(algorithms)
    digests, size = hash_file(Path(filename), names)
    decoded = bagit._decode_filename(filename)
    _HASHED[decoded[5:] if decoded.startswith("data/") else decoded] = size
    return [(name, digests[name], decoded, size) for name in names]


_HASHED: dict[str, int] = {}
"""Payload path -> size, as ``_manifest_lines`` hashed it during the current ``make_bag``."""


def _hashed_sizes() -> dict[str, int] | None:
    import bagit

    return dict(_HASHED) if bagit.generate_manifest_lines is _manifest_lines else None


def _prepare_bagit() -> None:
    """Quiet bagit's per-file INFO logging and give it the two-thread hashing (worker only)."""
    import bagit

    logging.getLogger("bagit").setLevel(logging.WARNING)
    bagit.generate_manifest_lines = _manifest_lines


def worker_init(owner: int | None = None) -> None:
    """Process-pool initializer: end with ``owner``, the process that made the pool (see
    ``archive.processes``), then import and prepare everything a bag needs once per worker."""
    from archive.processes import die_with_parent

    die_with_parent(owner)
    _prepare_bagit()
    import archive.citation  # noqa: F401 - imported once per worker, not per bag


def _read_manifest(text: str, name: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        parsed = split_manifest_line(line)
        if parsed is None:
            raise PayloadError(f"{name} holds a line that is not 'checksum path': {line[:80]!r}")
        digest, written, _ = parsed
        if "%" in written.replace("%25", "").replace("%0D", "").replace("%0A", ""):
            raise PayloadError(f"{name} holds a '%' that is not percent-encoded: {written!r}")
        path = decode_path(written)
        if not path.startswith(f"{DATA}/"):
            raise PayloadError(f"{name} lists {path!r}, outside data/")
        entries[path[len(DATA) + 1:]] = digest
    return entries


def payload_on_disk(data: Path) -> dict[str, int]:
    """Every payload file under ``data`` with its size; any symlink or special file is refused."""
    found: dict[str, int] = {}
    pending = [(str(data), "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_symlink():
                    raise PayloadError(f"{rel} is a symbolic link; not bagged")
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    found[rel] = entry.stat(follow_symlinks=False).st_size
                else:
                    raise PayloadError(f"{rel} is not a regular file; not bagged")
    return found


def conform(bag: Path, labels: list[tuple[str, object]], algorithms: tuple[str, ...]) -> BagSummary:
    """Turn what ``bagit.make_bag`` wrote into an RFC 8493 1.0 bag and summarise it.

    - bagit.txt says ``BagIt-Version: 1.0`` (make_bag writes 0.97);
    - every payload file is in every payload manifest and every manifest entry is a payload file
      (RFC 8493 §3 for 1.0; make_bag does not check);
    - no manifest path holds a bare ``%`` (RFC 8493 §2.1.3): payload names never contain one (see
      ``paths.payload_name``), so a bare ``%`` here means a name that slipped past, and is refused;
    - bag-info.txt is written again with the labels in reading order, safe and folded
      (``taginfo.render``; make_bag sorts labels and writes values as they come);
    - the tag manifests are made again, since bagit.txt and bag-info.txt changed.
    """
    on_disk = payload_on_disk(bag / DATA)
    summary = BagSummary()
    manifests: dict[str, bytes] = {}
    for algorithm in algorithms:
        name = f"manifest-{algorithm}.txt"
        raw = (bag / name).read_bytes()
        entries = _read_manifest(raw.decode("utf-8"), name)
        missing = sorted(set(on_disk) - set(entries))
        extra = sorted(set(entries) - set(on_disk))
        if missing or extra:
            raise PayloadError(f"{name} does not list every payload file exactly: "
                               f"missing {missing}, unknown {extra}")
        for path, digest in entries.items():
            summary.digests.setdefault(path, {})[algorithm] = digest
        manifests[name] = raw
    summary.payload_octets = sum(on_disk.values())
    summary.payload_streams = len(on_disk)
    hashed = _hashed_sizes()
    if hashed is not None and hashed != on_disk:
        raise PayloadError("the payload changed while it was being bagged")
    tag_files: dict[str, bytes] = {"bagit.txt": BAGIT_TXT, **manifests}
    info = [*labels, ("Payload-Oxum", summary.payload_oxum)]
    approx = summary.payload_octets + sum(len(v) for v in tag_files.values())
    info.append(("Bag-Size", taginfo.human_size(approx)))
    tag_files["bag-info.txt"] = taginfo.render(info).encode("utf-8")
    for name in ("bagit.txt", "bag-info.txt"):
        (bag / name).write_bytes(tag_files[name])
    listed = sorted(tag_files.items())  # every tag file but the tag manifests themselves
    for algorithm in algorithms:
        lines = [render_manifest_line(hashlib.new(algorithm, content).hexdigest(), name)
                 for name, content in listed]
        text = "".join(lines).encode("utf-8")
        (bag / f"tagmanifest-{algorithm}.txt").write_bytes(text)
        summary.tagmanifest[algorithm] = hashlib.new(algorithm, text).hexdigest()
        tag_files[f"tagmanifest-{algorithm}.txt"] = text
    for stray in bag.glob("tagmanifest-*.txt"):  # make_bag's, for algorithms no longer wanted
        if stray.name not in tag_files:
            stray.unlink()
    summary.size = summary.payload_octets + sum(len(v) for v in tag_files.values())
    return summary


class _Unopened:
    """Stands in for ``bagit.Bag`` while ``make_bag`` runs in a worker: make_bag ends by opening
    the bag it made (``return Bag(bag_dir)``), which re-reads every tag file and realpath()s every
    manifest entry, about 4 ms a bag, only to be thrown away here; ``conform`` reads and checks
    the manifests itself."""

    def __init__(self, path: str) -> None:
        self.path = path


def _skip(*_args: object, **_kwargs: object) -> None:
    """Stands in for bagit's writers of the tag files that ``conform`` writes again."""


def make_bag(folder: Path, labels: list[tuple[str, object]], algorithms: tuple[str, ...]) -> BagSummary:
    """``bagit.make_bag`` on ``folder`` (the staged payload), then ``conform``. Worker only.

    bagit lays out data/, hashes the payload and writes bagit.txt and the payload manifests.
    Speed-ups in the worker, none changing the finished bag: its per-file hashing is
    ``_manifest_lines`` (one read, sha512 on a second thread for large files); bag-info.txt and
    the tag manifests are not written by bagit, because ``conform`` must write them anyway (labels
    in reading order and folded; tag manifests after bagit.txt says 1.0) and creating a file costs
    more than hashing a small one here; and the ``Bag`` it opens on return is ``_Unopened``.
    """
    import bagit

    if multiprocessing.parent_process() is None:
        raise RuntimeError("bagit.make_bag changes the working directory of the whole process; "
                           "call it in a worker process (archive.bagging.bag_records does)")
    _prepare_bagit()
    bag_info: dict[str, object] = {}
    for label, value in labels:
        text = taginfo.clean_value(value)
        if text:
            bag_info.setdefault(label, []).append(text)  # type: ignore[union-attr]
    _HASHED.clear()
    saved = bagit.Bag, bagit._make_tag_file, bagit._make_tagmanifest_file
    bagit.Bag, bagit._make_tag_file, bagit._make_tagmanifest_file = _Unopened, _skip, _skip
    try:
        bagit.make_bag(str(folder), bag_info=bag_info, checksums=list(algorithms))
    finally:
        bagit.Bag, bagit._make_tag_file, bagit._make_tagmanifest_file = saved
    return conform(folder, labels, algorithms)


def _check_source(record: dict, summary: BagSummary) -> str:
    """The copy in the bag must be the bytes catalogued; a damaged source is never bagged."""
    source = record["source"]
    got = summary.digests.get(f"source/{payload_name(source['filename'])}", {})
    for algorithm in ("sha256", "sha512"):
        if algorithm in got and got[algorithm] != source.get(algorithm):
            return (f"{record['id']}: the source file no longer matches its recorded {algorithm} "
                    "(the copy in sources/ is damaged); not bagged")
    return ""


def citation_label(record: dict, organization: str) -> str:
    """The one-line Citation label (``archive.citation.plain``): a CSL engine would cost more per
    bag than ``bagit.make_bag`` itself, and data/metadata/citation.json serves every style."""
    from archive.citation.plain import plain_citation

    return plain_citation(record, archive_name=organization or None)


def build_bag(job: BagJob) -> BagOutcome:
    """Make one bag in ``job.target`` (a new folder in staging); never raises for a bad record."""

    record = job.record
    outcome = BagOutcome(record["id"], job.version, job.target, bagged_at=now_utc())
    if not record.get("source"):
        outcome.error = f"{record['id']}: has no source file to preserve"
        return outcome
    target = Path(job.target)
    syncing: list[threading.Thread] = []
    try:
        syncing = stage_payload(job, target)
        citation = citation_label(cited_record(record, job.version), job.organization)
        outcome.summary = make_bag(target, bag_labels(job, outcome.bagged_at, citation), job.algorithms)
    except FileNotFoundError as exc:
        outcome.error = f"{record['id']}: source file missing ({Path(exc.filename or '?').name}); not bagged"
    except PayloadError as exc:
        outcome.error = f"{record['id']}: {exc}"
    except OSError as exc:
        outcome.error = f"{record['id']}: cannot write the bag ({exc.strerror or exc})"
    except Exception as exc:  # bagit raises BagError/RuntimeError with a message of its own
        outcome.error = f"{record['id']}: bagit could not make the bag ({str(exc).splitlines()[0][:200]})"
    else:
        outcome.error = _check_source(record, outcome.summary)
    finally:
        for thread in syncing:
            thread.join()
    return outcome
