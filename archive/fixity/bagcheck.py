"""A complete RFC 8493 bag check for any bag on disk, made here or anywhere else.

It never stops at the first fault: every file that is changed, missing, untracked, unsafe or
unreadable is named with its kind, because an archivist repairing a bag needs the whole list.
bagit-python (1.9.0) reports a changed payload file only as a Payload-Oxum mismatch, lets some
traversals through, and does not require every payload file in every manifest; this module closes
those gaps. Nothing here changes the working directory or opens a path taken from a tag file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from archive.bagit_format.manifest import ManifestLine
from archive.errors import ArchiveError
from archive.fixity import paths as pathrules
from archive.fixity.inventory import Inventory, NotTheSameFile, hash_checked, walk, why
from archive.fixity.problems import (
    CHANGED,
    ERROR,
    FAILURE,
    FILE_KINDS,
    INVALID,
    MISSING,
    UNREADABLE,
    UNSAFE,
    UNTRACKED,
    WARNING,
    Problem,
    count_kinds,
    error,
    outcome_of,
    warning,
)
from archive.fixity.tagfiles import (
    MAX_SMALL_TAG_FILE,
    UTF8_BOM,
    FetchLine,
    decode_tag_text,
    iter_manifest,
    md5sum_warning,
    parse_bag_info,
    parse_fetch,
    read_declaration,
    read_whole,
)
from archive.storage.base import Storage, StorageError
from archive.storage.local import LocalStorage

DIGEST_HEX = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
WEAK = {"md5", "sha1"}
SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini", ".directory"}
_MANIFEST_NAME = re.compile(r"(tag)?manifest-([A-Za-z0-9]+)\.txt")
_OXUM = re.compile(r"([0-9]+)\.([0-9]+)")



@dataclass(slots=True)
class BagCheckResult:
    """The outcome of one bag check; ``to_dict`` is the JSON form reports carry."""

    path: str
    fast: bool
    version: str | None = None
    problems: list[Problem] = field(default_factory=list)
    payload_files: int = 0
    payload_bytes: int = 0
    hashed_bytes: int = 0
    digests: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    """Payload path -> {algorithm: digest} as the manifests state them, for catalogue cross-checks."""
    tag_digests: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    """Tag file -> {algorithm: digest} as computed, for files that matched every manifest."""

    @property
    def outcome(self) -> str:
        return outcome_of(self.problems)

    @property
    def valid(self) -> bool:
        return self.outcome != FAILURE

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    def counts(self) -> dict[str, int]:
        """Failing files per kind (changed, missing, untracked, unsafe, unreadable)."""
        return count_kinds(self.problems, FILE_KINDS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "outcome": self.outcome,
            "fast": self.fast,
            "bagit_version": self.version,
            "payload_files": self.payload_files,
            "payload_bytes": self.payload_bytes,
            "hashed_bytes": self.hashed_bytes,
            "counts": self.counts(),
            "errors": [p.to_dict() for p in self.errors()],
            "warnings": [p.to_dict() for p in self.warnings()],
        }


@dataclass(slots=True)
class _Manifest:
    rel: str
    algorithm: str
    tag: bool
    entries: dict[str, str] = field(default_factory=dict)
    """Inventory key -> expected digest."""
    named: set[str] = field(default_factory=set)
    """Every path the manifest names, whether or not the bag holds it."""


class _BagCheck:
    """One pass over one bag; the steps share the inventory and the problem list."""

    def __init__(self, storage: Storage, fast: bool, keep: frozenset[str] = frozenset()):
        self.fast = fast
        self.inv: Inventory = walk(storage, keep)
        self.root = self.inv.root
        self.problems: list[Problem] = list(self.inv.problems)
        self.version: tuple[int, int] = (1, 0)  # the strictest rules when bagit.txt is unreadable
        self.declared = False
        self.encoding = "utf-8"
        self.info: dict[str, list[str]] = {}
        self.fetch: dict[str, FetchLine] = {}
        self.manifests: list[_Manifest] = []
        self.hashed = 0
        self.tag_digests: dict[str, dict[str, str]] = {}
        self.absent: dict[str, list[tuple[str, int, bool]]] = {}
        self._nfc: dict[str, str] | None = None
        self.payload = self.inv.payload()
        """The payload files, taken once: the walk is over, so completeness, oxum and the result
        all see the same ones."""

    def run(self) -> BagCheckResult:
        decl = read_declaration(self.inv)
        self.problems += decl.problems
        if decl.version is not None:
            self.version = decl.version
            self.declared = True
        self.encoding = decl.encoding
        if "data" not in self.inv.folders:
            self.problems.append(error(MISSING, "missing-payload-folder", "data",
                                       "the bag has no data/ folder"))
        self._read_bag_info()
        self._read_fetch()
        self._read_manifests()
        self._check_fetch_listed()
        self._check_unlisted_tag_files()
        self._check_tag_manifest_algorithms()
        self._check_completeness()
        self._check_oxum()
        if not self.fast:
            self._check_digests()
        payload = self.payload
        result = BagCheckResult(
            path=self.root, fast=self.fast,
            version=f"{decl.version[0]}.{decl.version[1]}" if decl.version else None,
            problems=_one_per_file(self.problems), payload_files=len(payload),
            payload_bytes=sum(s.size for s in payload.values()), hashed_bytes=self.hashed,
        )
        for manifest in self.manifests:
            if not manifest.tag:
                for key, digest in manifest.entries.items():
                    result.digests.setdefault(key, {})[manifest.algorithm] = digest
        result.tag_digests = self.tag_digests
        return result

    # ----- tag files ---------------------------------------------------------------------------
    def _text_of(self, rel: str, limit: int) -> str | None:
        data, problem = read_whole(self.inv, rel, limit)
        if problem:
            self.problems.append(problem)
            return None
        assert data is not None
        text, problems = decode_tag_text(data, self.encoding, rel)
        self.problems += problems
        return text

    def _read_bag_info(self) -> None:
        rel = "package-info.txt" if self.version < (0, 96) else "bag-info.txt"
        if rel not in self.inv.files:
            return
        text = self._text_of(rel, 1 << 20)
        if text is not None:
            self.info, problems = parse_bag_info(text, rel)
            self.problems += problems

    def _read_fetch(self) -> None:
        if "fetch.txt" not in self.inv.files:
            return
        text = self._text_of("fetch.txt", 64 << 20)
        if text is None:
            return
        items, problems = parse_fetch(text, "fetch.txt")
        self.problems += problems
        for item in items:
            where = f"fetch.txt line {item.number}"
            path, problems = pathrules.check_path(item.path, self.version, where)
            self.problems += problems
            if path is None:
                continue
            if not path.startswith("data/"):
                self.problems.append(error(UNSAFE, "fetch-outside-payload", path,
                                           f"{where}: fetch.txt may only name files in data/"))
                continue
            self.fetch[path] = item

    def _read_manifests(self) -> None:
        # A manifest sits in the bag's top folder: a name holding "/" cannot match _MANIFEST_NAME,
        # so the payload files (most of a bag) are not matched against it one by one.
        for rel in sorted(rel for rel in self.inv.files if "/" not in rel):
            match = _MANIFEST_NAME.fullmatch(rel)
            if not match:
                continue
            algorithm = match.group(2).lower()
            if algorithm not in DIGEST_HEX:
                self.problems.append(warning(INVALID, "unsupported-algorithm", rel,
                                             f"cannot check {algorithm} digests; this manifest is not used"))
                continue
            if self.declared and self.version >= (1, 0) and algorithm in WEAK:
                self.problems.append(warning(INVALID, "weak-algorithm", rel,
                                             f"{algorithm} is too weak for fixity (RFC 8493 2.4)"))
            manifest = _Manifest(rel, algorithm, tag=bool(match.group(1)))
            self._read_manifest(manifest)
            self.manifests.append(manifest)
        self._report_absent()
        if not any(not m.tag for m in self.manifests) and "bagit.txt" in self.inv.files:
            self.problems.append(error(INVALID, "no-payload-manifest", "",
                                       "the bag has no payload manifest this tool can check"))

    def _nfc_map(self) -> dict[str, str]:
        if self._nfc is None:
            self._nfc = {pathrules.nfc_key(p): p for p in self.inv.files}
        return self._nfc

    def _read_manifest(self, manifest: _Manifest) -> None:
        if self._read_plain_manifest(manifest):
            return
        rel, hex_len = manifest.rel, DIGEST_HEX[manifest.algorithm]
        seen: dict[str, tuple[str, int]] = {}
        unresolved: list[tuple[ManifestLine, str]] = []
        starred = False
        for item in iter_manifest(self.inv, rel, self.encoding):
            if isinstance(item, Problem):
                self.problems.append(item)
                continue
            where = f"{rel} line {item.number}"
            if item.star and not starred:
                starred = True
                self.problems.append(md5sum_warning(rel, item.number))
            if len(item.digest) != hex_len:
                self.problems.append(error(INVALID, "malformed-manifest", rel,
                                           f"line {item.number}: a {manifest.algorithm} digest has {hex_len} "
                                           f"hex digits, not {len(item.digest)}"))
                continue
            path, problems = pathrules.check_path(item.path, self.version, where)
            self.problems += problems
            if path is None:
                continue
            if not manifest.tag and not path.startswith("data/"):
                self.problems.append(error(UNSAFE, "outside-payload", path,
                                           f"{where}: a payload manifest may only name files in data/"))
                continue
            if path in seen:
                self._duplicate(manifest, path, item, seen[path])
                continue
            seen[path] = (item.digest, item.number)
            manifest.named.add(path)
            key = self._resolve(path, where)
            if key is None:
                unresolved.append((item, path))
                continue
            if key in manifest.entries:
                self._duplicate(manifest, key, item, (manifest.entries[key], 0), by="normalization")
                continue
            manifest.entries[key] = item.digest
        folded = {pathrules.fold_key(k): k for k in manifest.entries} if unresolved else {}
        for item, path in unresolved:
            twin = folded.get(pathrules.fold_key(path))
            if twin is not None:
                self._duplicate(manifest, twin, item, (manifest.entries[twin], 0), by="case")
                continue
            self.absent.setdefault(path, []).append((rel, item.number, manifest.tag))

    def _read_plain_manifest(self, manifest: _Manifest) -> bool:
        """The common case in one pass: a small UTF-8 manifest whose every line is exactly
        ``<lower-case digest>  <plain path>\\n`` (what this archive and bagit-python write), each path
        once, each a file the walk found. Such a manifest holds nothing the line-by-line reading
        below would report, and gives it the same entries; anything else (a problem, an odd line,
        a name to decode or look up) returns False and is read line by line from the start."""
        rel, files = manifest.rel, self.inv.files
        if self.encoding != "utf-8" or rel not in files or files[rel].size > MAX_SMALL_TAG_FILE:
            return False
        data, problem = read_whole(self.inv, rel)
        if problem is not None or data is None or data.startswith(UTF8_BOM):
            return False
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        hex_len = DIGEST_HEX[manifest.algorithm]
        if _plain_manifest(hex_len, manifest.tag).fullmatch(text) is None:
            return False
        # Every line is now proved to be <hex_len hex digits>, two spaces, a plain path, LF; a
        # payload manifest's paths all start with data/ and no path starts with a dot (the
        # pattern's first character), so the path rules below are tests on the whole text: no
        # digest, separator or line end holds a "/", so "/." is a later name starting with a dot,
        # "//" an empty name and "/\n" a path ending in "/".
        if "/." in text or "//" in text or "/\n" in text:
            return False
        entries = {line[hex_len + 2:]: line[:hex_len] for line in text.split("\n")[:-1]}
        if len(entries) != text.count("\n") or not entries.keys() <= files.keys():
            return False  # a path listed twice, or one the walk did not find
        manifest.entries = entries
        manifest.named = set(entries)
        return True

    def _resolve(self, path: str, where: str) -> str | None:
        if path in self.inv.files:
            return path
        key = self._nfc_map().get(pathrules.nfc_key(path))
        if key is not None:
            self.problems.append(warning(INVALID, "unicode-normalization", path,
                                         f"{where}: the name on disk has another Unicode normalization"))
        return key

    def _duplicate(self, manifest: _Manifest, path: str, item: ManifestLine,
                   first: tuple[str, int], by: str = "") -> None:
        where = f"{manifest.rel} line {item.number}"
        spelled = f" (names differing only by {by})" if by else ""
        if item.digest != first[0]:
            self.problems.append(error(INVALID, "conflicting-entries", path,
                                       f"{where}: listed again with a different digest{spelled}"))
        elif self.version >= (1, 0) and not by:
            self.problems.append(error(INVALID, "duplicate-entry", path,
                                       f"{where}: listed twice (not allowed in BagIt 1.0)"))
        else:
            self.problems.append(warning(INVALID, "duplicate-entry", path, f"{where}: listed twice{spelled}"))

    def _report_absent(self) -> None:
        """A file gone is listed by every manifest of its type; a name only some manifests list
        means those manifests were altered, so they are named instead of a file that never was."""
        for path, where in self.absent.items():
            tag = where[0][2]
            kin = [m for m in self.manifests if m.tag == tag]
            listing = {rel for rel, _, _ in where}
            if len(kin) > 1 and len(listing) < len(kin) and path not in self.fetch \
                    and path not in self.inv.folders and path not in self.inv.refused:
                for rel, number, _ in where:
                    self.problems.append(error(CHANGED, "altered-manifest", rel,
                                               f"line {number} names {path}, which no other manifest "
                                               "lists and the bag does not hold"))
                continue
            rel, number, _ = where[0]
            self._missing(rel, number, path)

    def _missing(self, rel: str, number: int, path: str) -> None:
        where = f"{rel} line {number}"
        if path in self.inv.folders:
            self.problems.append(error(UNREADABLE, "names-folder", path,
                                       f"{where}: names a folder, not a file"))
        elif path in self.inv.refused:
            return  # already reported by the walk as unsafe or unreadable
        elif path in self.fetch:
            self.problems.append(error(MISSING, "not-fetched", path,
                                       f"{where}: listed in fetch.txt but not fetched yet"))
        else:
            self.problems.append(error(MISSING, "missing", path, f"{where}: listed but not in the bag"))

    def _check_fetch_listed(self) -> None:
        """RFC 8493 2.2.3: every file in fetch.txt must be listed in every payload manifest, or
        nothing says what the fetched bytes must be."""
        payload_manifests = [m for m in self.manifests if not m.tag]
        if not payload_manifests:
            return
        for path, item in sorted(self.fetch.items()):
            absent = [m.rel for m in payload_manifests if path not in m.named]
            if absent:
                self.problems.append(error(INVALID, "fetch-not-in-manifest", path,
                                           f"fetch.txt line {item.number}: not listed in {', '.join(absent)} "
                                           "(RFC 8493 2.2.3: every fetched file must be in every payload "
                                           "manifest)"))

    def _check_tag_manifest_algorithms(self) -> None:
        """RFC 8493 2.2.1: tag manifests SHOULD use the payload manifests' algorithms. A bag that
        has tag manifests but lacks one for a payload algorithm has most likely lost it: name it."""
        tag_algorithms = {m.algorithm for m in self.manifests if m.tag}
        if not tag_algorithms:
            return
        for algorithm in sorted({m.algorithm for m in self.manifests if not m.tag} - tag_algorithms):
            rel = f"tagmanifest-{algorithm}.txt"
            self.problems.append(warning(MISSING, "missing-tag-manifest", rel,
                                         f"the bag has manifest-{algorithm}.txt and other tag manifests, "
                                         f"but no {rel} (RFC 8493 2.2.1)"))

    def _check_unlisted_tag_files(self) -> None:
        """RFC 8493 allows tag files of any name, but one outside data/ that no tag manifest lists is
        protected by no checksum, and is how a file slips into a bag unseen: warn, naming it."""
        listed = set().union(*(m.named for m in self.manifests if m.tag))
        for rel in sorted(self.inv.files):
            if rel.startswith("data/") or rel in listed or _is_standard_tag_file(rel):
                continue
            self.problems.append(warning(UNTRACKED, "unlisted-tag-file", rel,
                                         "a file outside data/ that no tag manifest lists"))

    # ----- payload rules -----------------------------------------------------------------------
    def _check_completeness(self) -> None:
        payload_manifests = [m for m in self.manifests if not m.tag]
        if not payload_manifests:
            return
        for path in sorted(self.payload):
            absent = [m.rel for m in payload_manifests if path not in m.entries]
            if len(absent) == len(payload_manifests):
                self.problems.append(error(UNTRACKED, "untracked", path, "in the payload but in no manifest"))
            elif absent and self.version >= (1, 0):
                self.problems.append(error(UNTRACKED, "not-in-every-manifest", path,
                                           f"not listed in {', '.join(absent)} (RFC 8493 3)"))
            name = path.rsplit("/", 1)[-1]
            if name.lower() in SYSTEM_FILES or name.startswith("._"):
                self.problems.append(warning(INVALID, "system-file", path,
                                             "an operating system's hidden file"))

    def _check_oxum(self) -> None:
        values = self.info.get("payload-oxum")
        if not values:
            return
        match = _OXUM.fullmatch(values[-1])
        rel = "package-info.txt" if self.version < (0, 96) else "bag-info.txt"
        if match is None or len(set(values)) > 1:
            self.problems.append(error(INVALID, "malformed-oxum", rel,
                                       f"Payload-Oxum {values[-1]!r} is not OCTETS.STREAMS"))
            return
        payload = self.payload
        octets, streams = sum(s.size for s in payload.values()), len(payload)
        if (int(match.group(1)), int(match.group(2))) != (octets, streams):
            self.problems.append(error(INVALID, "oxum-mismatch", rel, f"Payload-Oxum says {match.group(0)}; "
                                       f"the payload holds {octets}.{streams}"))

    # ----- digests -----------------------------------------------------------------------------
    def _check_digests(self) -> None:
        wanted: dict[str, dict[str, tuple[str, str]]] = {}
        for manifest in self.manifests:
            for key, digest in manifest.entries.items():
                wanted.setdefault(key, {})[manifest.algorithm] = (digest, manifest.rel)
        for key in sorted(wanted):
            expected = wanted[key]
            try:
                digests, size = hash_checked(self.inv, key, list(expected))
            except NotTheSameFile as exc:
                self.problems.append(error(UNSAFE, "replaced-during-check", key, str(exc)))
                continue
            except (OSError, StorageError) as exc:
                self.problems.append(error(UNREADABLE, "unreadable", key, why(exc)))
                continue
            self.hashed += size
            bad = [rel for alg, (digest, rel) in expected.items() if digests[alg] != digest]
            if bad and len(bad) < len(expected):
                for rel in sorted(bad):
                    self.problems.append(error(CHANGED, "altered-manifest", rel,
                                               f"its digest for {key} is wrong, though the file matches "
                                               "every other manifest"))
            elif bad:
                self.problems.append(error(CHANGED, "changed", key,
                                           f"content differs from {', '.join(sorted(bad))}"))
            elif not key.startswith("data/"):
                self.tag_digests[key] = digests


_PLAIN_PATH = r"[^ \t*/~.\\%\x00-\x1f][^\\%\x00-\x1f]*"
"""A path that needs neither decoding nor checking beyond a few substring tests: no control
character, backslash or '%', no leading dot, and none of what a line's separator or a '*' marker
could absorb."""
_PLAIN_PAYLOAD_PATH = r"data/[^\\%\x00-\x1f]*"
"""The same for a payload manifest's path, which must be in data/."""


@cache
def _plain_manifest(hex_len: int, tag: bool) -> re.Pattern[str]:
    path = _PLAIN_PATH if tag else _PLAIN_PAYLOAD_PATH
    return re.compile(rf"(?:[0-9a-f]{{{hex_len}}}  {path}\n)*")


STANDARD_TAG_FILES = {"bagit.txt", "bag-info.txt", "package-info.txt", "fetch.txt"}


def _is_standard_tag_file(rel: str) -> bool:
    """The tag files RFC 8493 itself defines (and 0.9x's package-info.txt), listed or not."""
    return rel in STANDARD_TAG_FILES or bool(_MANIFEST_NAME.fullmatch(rel))


def _one_per_file(problems: list[Problem]) -> list[Problem]:
    """The same fault found through several manifests is one fault of one file."""
    seen: set[tuple[str, str, str, str]] = set()
    kept = []
    for problem in problems:
        key = (problem.severity, problem.kind, problem.code, problem.path)
        if problem.path and problem.kind in FILE_KINDS and key in seen:
            continue
        seen.add(key)
        kept.append(problem)
    return kept


def check_bag(storage: Storage, *, fast: bool = False,
              keep: frozenset[str] = frozenset()) -> tuple[BagCheckResult, Inventory]:
    """Check the bag whose root is ``storage``'s root, reading every file through it: the same
    checker for a bag on the local disk and for its copy on a replica. Also returns the inventory
    it walked, for callers that read more from the bag afterwards; its small tag files, and the
    payload files named in ``keep``, are kept in it as read, so reading them again costs nothing."""
    check = _BagCheck(storage, fast, keep)
    return check.run(), check.inv


def check_bag_folder(path: str | os.PathLike[str], *, fast: bool = False,
                     keep: frozenset[str] = frozenset()) -> tuple[BagCheckResult, Inventory]:
    """The check of a bag folder on the local disk, and the inventory it walked."""
    root = os.path.abspath(os.fspath(path))
    if not os.path.isdir(root):
        raise ArchiveError(f"{path}: no bag folder there")
    return check_bag(LocalStorage(root), fast=fast, keep=keep)


def validate_bag(path: str | os.PathLike[str], *, fast: bool = False) -> BagCheckResult:
    """Check any bag on disk against RFC 8493; ``fast`` checks completeness and Payload-Oxum only."""
    return check_bag_folder(path, fast=fast)[0]

