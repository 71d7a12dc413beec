"""Issue 9: reference detection is linear, and finds exactly what it found before.

Two halves. Hypothesis compares the linear detector with the pattern it replaces, run the old
way (``SOURCE_FIRST.finditer``, overlaps checked against every earlier hit), on texts built from
the words the patterns care about, so the speed-up cannot change a single result (issue 12 grew
the patterns; the comparison is of the raw names found, before they are cleaned). Then texts of
1 MB shaped to make the old way quadratic (48 KB took 86 s, so 1 MB would take hours) are
detected in a child process; the child's limit is a watchdog hundreds of times the expected
second, not a timing assertion (bench/bench_references.py prints the time itself).
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap

import pytest
from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.references import detect
from archive.references.detect import _MEDIUM_IN, SOURCE_FIRST, _Raw


def _raw_hits_as_before(text: str) -> list[_Raw]:
    """The detector's raw hits as the whole patterns find them: ``SOURCE_FIRST.finditer``, which
    re-reads a run of names from every capital in it, overlaps checked by a scan of every earlier
    hit (quadratic in both respects; fine for short texts)."""
    found = list(detect._phrase_first(text))
    seen = [(r.start, r.end) for r in found]
    for match in SOURCE_FIRST.finditer(text):
        start, end = match.span("name")
        if any(start < e and s < end for s, e in seen):
            continue
        medium = bool(match.group("medium")) or bool(_MEDIUM_IN.search(match.group("appositive") or ""))
        raw = _Raw(match.group("name"), start, end, medium=medium)
        seen.append((start, end))
        found.append(raw)
        found.extend(detect._listed_before(text, raw))
    return sorted(found, key=lambda r: r.start)


TOKENS = [
    "Reuters", "Maria", "Zakharova", "Bank", "America", "New", "York", "Times", "The", "the",
    "NYT", "McDonald", "Al-Jazeera", "U.S.", "O'Brien", "Dr.", "Mr", "He", "Officials", "Reports",
    "of", "and", "&", "de", "van", "for", "on", "al", "said", "says", "reported", "told", "explains",
    "wrote", "has", "also", "later", "according", "to", "According", "citing", "in", "an",
    "interview", "with", "a", "report", "by", "officials", "rain", "fell", "xYz", "éclair",
    "Sen.", "Gov.", "J.", "Governor", "Minister", "Prime", "Reuters'", "Guardian's", "poll", "tally",
    "polled", "news", "agency", "broadcaster", "spokesman", "data", "all", "Monday", "A", "An", "4",
    "Institute", "Study", "War", "Radio", "warned", "called", "for", "in", "Nairobi",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "  ", "\u00a0", ", ", ". ", "\n", ": ", "; ", "\u201c", '" ', "(", ","]


@st.composite
def attribution_texts(draw) -> str:
    words = draw(st.lists(st.sampled_from(TOKENS), min_size=0, max_size=40))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True))


@settings(max_examples=examples(400))
@given(attribution_texts())
def test_the_linear_detector_finds_exactly_what_the_whole_patterns_found(text):
    """400 derandomised examples in CI, 10,000 nightly (HYPOTHESIS_PROFILE=nightly); the long-prose
    and megabyte tests below cover longer texts."""
    assert detect._raw_hits(text) == _raw_hits_as_before(text), text


@pytest.mark.parametrize("seed", range(5))
def test_the_linear_detector_agrees_on_long_prose(seed):
    """Longer texts than Hypothesis builds: prose-like runs of names, attributions and clauses."""
    rng = random.Random(seed)
    print(f"seed {seed}")
    text = "".join(rng.choice(TOKENS) + rng.choice(SEPARATORS) for _ in range(3000))
    assert detect._raw_hits(text) == _raw_hits_as_before(text)


MEGABYTE_SHAPES = {
    "capitalised words": "Aaaa Bbbbb Cccccc Ddd Eeeeee Ffff Ggggggg Hhh ",
    "names and attributions": "Maria Zakharova said the Ministry of Finance reported Reuters said ",
    "phrases before names": "according to the Aaaa Bbbb Cccc Dddd told Eeee Ffff ",
    "connectors between names": "Aaaa of Bbbb and Cccc de Dddd van Eeee for Ffff on ",
    "clauses before verbs": "Aaaa Bbbb, citing cccc dddd, Eeee Ffff, gggg, Hhhh ",
    "adverbs without verbs": "Aaaa Bbbb has also later then recently Cccc ",
}

DETECT_ONE_MEGABYTE = textwrap.dedent(
    """
    import sys
    from archive.references import detect_references
    unit = sys.argv[1]
    text = (unit * (2**20 // len(unit) + 1))[: 2**20]
    print(len(text), len(detect_references(text)))
    """
)


@pytest.mark.parametrize("shape", sorted(MEGABYTE_SHAPES))
def test_one_megabyte_shaped_against_the_old_patterns_is_detected(shape):
    unit = MEGABYTE_SHAPES[shape]
    done = subprocess.run([sys.executable, "-c", DETECT_ONE_MEGABYTE, unit],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    size, _found = map(int, done.stdout.split())
    assert size == 2**20
