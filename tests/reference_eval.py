"""Scoring reference detection against the labelled texts in tests/fixtures/references/.

Shared by tests/test_reference_quality.py (the quality gate) and bench/bench_reference_quality.py
(which prints the figures). A proposed reference is right when both its name and its kind are the
archivist's; names are compared ignoring letter case, a leading "The" and the apostrophe's shape.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "references"
LABELS = FIXTURES / "labels.toml"
EXTRA_LABELS = "labels-*.toml"
"""Further labelled batches kept in files of their own (``labels-heldout3.toml``, written by someone
who has not seen the rules), each table naming its split as labels.toml's do."""
KINDS = ("publication", "organisation", "person", "document")
GOAL_PRECISION = 0.95
GOAL_RECALL = 0.90


@dataclass(frozen=True)
class Case:
    """One labelled text."""

    file: str
    split: str
    text: str
    expected: frozenset[tuple[str, str]]


@dataclass
class Score:
    """True positives, false positives and misses, per kind, and the mistakes by file."""

    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    mistakes: list[tuple[str, str, str, str]] = field(default_factory=list)

    def precision(self, kind: str | None = None) -> float:
        tp, fp = self._count(self.tp, kind), self._count(self.fp, kind)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, kind: str | None = None) -> float:
        tp, fn = self._count(self.tp, kind), self._count(self.fn, kind)
        return tp / (tp + fn) if tp + fn else 1.0

    def counts(self, kind: str | None = None) -> tuple[int, int, int]:
        return self._count(self.tp, kind), self._count(self.fp, kind), self._count(self.fn, kind)

    @staticmethod
    def _count(counter: Counter, kind: str | None) -> int:
        return sum(counter.values()) if kind is None else counter[kind]


def normalise(name: str) -> str:
    """The form names are compared in: case, a leading "the" and apostrophe shapes ignored."""
    words = name.replace("’", "'").casefold().split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def load_labels(dev_only: bool = False) -> dict[str, dict]:
    """Every labelled text's table: labels.toml's, then those of any ``labels-*.toml`` beside it (a
    text labelled twice is an error: two labellers would silently disagree). With ``dev_only`` the
    held-out labels files (``labels-heldout*.toml``) are not even opened, and labels.toml's held-out
    tables are dropped, so that tuning on the dev texts cannot see them."""
    labels = tomllib.loads(LABELS.read_text(encoding="utf-8"))
    if dev_only:
        return {file: entry for file, entry in labels.items() if entry["split"] == "dev"}
    for extra in sorted(FIXTURES.glob(EXTRA_LABELS)):
        more = tomllib.loads(extra.read_text(encoding="utf-8"))
        twice = sorted(labels.keys() & more.keys())
        if twice:
            raise ValueError(f"{extra.name}: already labelled in another file: {', '.join(twice)}")
        labels.update(more)
    return labels


def splits() -> list[str]:
    """The splits the labels name, "dev" first, then the held-out ones in name order."""
    names = {entry["split"] for entry in load_labels().values()}
    return sorted(names, key=lambda name: (name != "dev", name))


def load_cases(split: str | None = None) -> list[Case]:
    """The labelled texts, all of them or one split ("dev", "heldout", "heldout2", or the split an
    extra labels file names, such as "heldout3"). Asking for "dev" reads no held-out labels file and
    no held-out text."""
    labels = load_labels(dev_only=split == "dev")
    cases = []
    for file, entry in sorted(labels.items()):
        if split is not None and entry["split"] != split:
            continue
        expected = frozenset((normalise(name), kind) for name, kind in entry["references"])
        cases.append(Case(file, entry["split"], (FIXTURES / file).read_text(encoding="utf-8"), expected))
    return cases


def score(cases: Iterable[Case], detect: Callable[[str], list[dict]]) -> Score:
    """Every case's proposals against its labels, summed (micro-averaged)."""
    result = Score()
    for case in cases:
        found = {(normalise(ref["name"]), ref["kind"]) for ref in detect(case.text)}
        for _name, kind in found & case.expected:
            result.tp[kind] += 1
        for name, kind in sorted(found - case.expected):
            result.fp[kind] += 1
            result.mistakes.append((case.file, "wrong", name, kind))
        for name, kind in sorted(case.expected - found):
            result.fn[kind] += 1
            result.mistakes.append((case.file, "missed", name, kind))
    return result
