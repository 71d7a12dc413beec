"""Issue 9: reference detection is linear, and finds exactly what it found before.

Two halves. Hypothesis compares the linear detector with the pattern it replaces, run the old
way (``SOURCE_FIRST.finditer``, overlaps checked against every earlier hit), on texts built from
the words the patterns care about, so the speed-up cannot change a single result. Then texts of
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
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.references import detect
from archive.references.detect import PHRASE_FIRST, SOURCE_FIRST, _clean, _dropped, _Hit
from archive.references.known import lookup


def _hits_as_before(text: str) -> list[_Hit]:
    """The detector as it was before issue 9: both patterns run whole, overlaps checked by a
    linear scan of every earlier hit (quadratic in both respects; fine for short texts)."""
    seen: list[tuple[int, int]] = []
    found: list[_Hit] = []
    for pattern in (PHRASE_FIRST, SOURCE_FIRST):
        for match in pattern.finditer(text):
            start, end = match.span("name")
            if any(start < e and s < end for s, e in seen):
                continue
            name = match.group("name")
            if name.split()[0] == "The" and not lookup(name):
                name = name[4:]
                start += 4
            name = _clean(name)
            if not name or _dropped(name, start, text):
                continue
            seen.append((start, end))
            found.append(_Hit(name, start))
    return sorted(found, key=lambda h: h.start)


TOKENS = [
    "Reuters", "Maria", "Zakharova", "Bank", "America", "New", "York", "Times", "The", "the",
    "NYT", "McDonald", "Al-Jazeera", "U.S.", "O'Brien", "Dr.", "Mr", "He", "Officials", "Reports",
    "of", "and", "&", "de", "van", "for", "on", "al", "said", "says", "reported", "told", "explains",
    "wrote", "has", "also", "later", "according", "to", "According", "citing", "in", "an",
    "interview", "with", "a", "report", "by", "officials", "rain", "fell", "xYz", "éclair",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "  ", "\u00a0", ", ", ". ", "\n", ": ", "; ", "\u201c", '" ', "(", ","]


@st.composite
def attribution_texts(draw) -> str:
    words = draw(st.lists(st.sampled_from(TOKENS), min_size=0, max_size=40))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True))


@settings(max_examples=1500)
@given(attribution_texts())
def test_the_linear_detector_finds_exactly_what_the_whole_patterns_found(text):
    """1,500 derandomised examples, about 10 s on this 2-core machine."""
    new = [(h.name, h.start) for h in detect._hits(text)]
    old = [(h.name, h.start) for h in _hits_as_before(text)]
    assert new == old, text


@pytest.mark.parametrize("seed", range(5))
def test_the_linear_detector_agrees_on_long_prose(seed):
    """Longer texts than Hypothesis builds: prose-like runs of names, attributions and clauses."""
    rng = random.Random(seed)
    print(f"seed {seed}")
    text = "".join(rng.choice(TOKENS) + rng.choice(SEPARATORS) for _ in range(3000))
    assert [(h.name, h.start) for h in detect._hits(text)] == \
        [(h.name, h.start) for h in _hits_as_before(text)]


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
