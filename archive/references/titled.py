"""A last look at each finished proposal: a body's or a paper's name that is a person's.

Two shapes: a name that opens with a person's role, and a bare name whose first word is a common
given name.

The rules that read a run of capitalised words strip the titles and roles their lists know
("Governor Ana Ruiz"). New text keeps bringing roles no list holds ("Rotarian Jenny Mwape told
ZNBC", "Beekeeper Tomas Varga told Radio Kossuth"): the run is then neither a person (its first
word is no given name) nor a body, yet it is proposed as an organisation. Scoring the rules of older
commits on the dev batches written after them (bench/bench_reference_unseen.py) showed this as one
recurring kind of mistake on unseen text, fixed each time by adding the one new word to a list. This
check works on the shape instead: a title or role word, or an agent noun opening the name ("-er",
"-or", "-ist", "-ian", "-man"), followed by two to four capitalised words that read as a person's
name, and nothing in the name that says body or paper. It looks at the words of one name only, so it
costs nothing per character of text.
"""

from __future__ import annotations

import functools
import re

from archive.references import names
from archive.references.classify import classify, said_by_words
from archive.references.given_names import is_common_given_name

_AGENT = re.compile(r"^[A-Z][a-z]{3,}(?:er|or|ist|ian|man)$")
"""A capitalised agent noun opening a run: Beekeeper, Rotarian, Yachtsman, Conservationist."""
_NOT_AGENTS = frozenset({
    "German", "Norman", "Roman", "Herman", "Christian", "Julian", "Brian", "Adrian", "Damian", "Fabian",
    "Vivian", "Lillian", "Marian", "Sebastian", "Maximilian", "Florian", "Kristian", "Bastian", "Ian",
    "Oliver", "Peter", "Walter", "Alexander", "Christopher", "Jennifer", "Esther", "Heather", "Amber",
    "Xavier", "Javier", "Reinier", "Gunter", "Dieter", "Jasper", "Kasper", "Casper", "Roger", "Homer",
    "Victor", "Hector", "Igor", "Connor", "Trevor", "Taylor", "Tudor", "Eleanor", "Lenor", "Nestor",
    "Miller", "Baker", "Walker", "Parker", "Turner", "Cooper", "Carter", "Porter", "Butler", "Fisher",
    "Hunter", "Palmer", "Spencer", "Webster", "Foster", "Fletcher", "Tyler", "Chester", "Sawyer",
    "Islamist", "Baptist", "Sherman", "Freeman", "Coleman", "Newman", "Truman", "Hoffman", "Kaufman",
})  # fmt: skip
"""Given names, surnames and adjectives with an agent noun's ending: "Christopher Lee Smith" is no
"Christopher" of "Lee Smith", "Miller Harris Lee" no "Miller" of "Harris Lee"."""


@functools.lru_cache(maxsize=16384)
def titled_person(name: str, kind: str) -> str | None:
    """The person a body's or paper's proposal names after a role ("Rotarian Jenny Mwape" gives
    "Jenny Mwape"), or None when the name is not of that shape."""
    if kind == "person":
        return None
    words = name.split()
    for at in range(len(words) - 3, -1, -1):
        word = words[at].strip(".,")
        role = word.lower() in names.TITLE_WORDS or word.lower() in names.ROLE_WORDS
        if not role and not (at == 0 and _AGENT.match(word) and word not in _NOT_AGENTS):
            continue
        return _person_after(words[: at + 1], words[at + 1:])
    return None


def _person_after(head: list[str], tail: list[str]) -> str | None:
    """The tail as a person's name when it reads as one and the head says no body or paper."""
    if not 2 <= len(tail) <= 4 or not all(word[:1].isupper() for word in tail):
        return None  # "Hamburger Hafen und Logistik": a lower-case word inside is a body's name
    person = " ".join(tail)
    if classify(person) != "person" or said_by_words(" ".join(head)):
        return None
    return person


_DESCRIBED_AFTER = re.compile(r",\s+(?:the|a|an|its)\s+[^,.;:\n\"“”]{0,60}?\b(?P<noun>[a-z-]+),")
"""A body's description set off by commas after a name: "Barry Callebaut, the world's largest cocoa
processor, warned"."""


_ITS_AFTER = re.compile(r"(?:[^\S\n]+[a-z]+){1,3}[^\S\n]+its\b")
"""A body's pronoun after the verb: "John Lewis said its Christmas trading had started slowly"."""


def described_as_body(text: str, start: int, end: int) -> bool:
    """Whether the mention at ``start:end`` is described as a body's: a body's noun just before it
    ("Chocolate maker Barry Callebaut", "Publisher Jonathan Cape"), in apposition after it, or "its"
    in the words after it ("John Lewis said its sales"). Looks at a few words on either side of one
    mention only."""
    before = text[max(0, start - 30) : start].split()
    if before and names.plain(before[-1]) in names.ORG_DESCRIPTORS:
        return True
    if _ITS_AFTER.match(text, end):
        return True
    after = _DESCRIBED_AFTER.match(text, end)
    return after is not None and after.group("noun") in names.ORG_DESCRIPTORS


@functools.lru_cache(maxsize=16384)
def given_named_person(name: str, kind: str) -> bool:
    """Whether a body's proposal of two or three words is a person's name by its first word, a common
    given name ("Peter Schroecksnadel told", "Charlie Taylor said in his annual report"): the rules
    read such a name as a body's when nothing around it introduces a person, as they must for
    "Deutsche Bahn said". Only names whose own words say nothing of a body, which ``classify`` reads
    as a person's shape; the caller leaves out names a mention describes as a body's ("Chocolate
    maker Barry Callebaut"), since companies are named after people too."""
    words = name.split()
    return (kind == "organisation" and 2 <= len(words) <= 3 and all(word[:1].isupper() for word in words)
            and is_common_given_name(words[0]) and classify(name) == "person")


def last_look(name: str, kind: str, described: bool = False) -> tuple[str, str]:
    """The name and kind of a finished proposal (not a known publication's) after both checks;
    ``described`` says that a mention of it is described as a body's (``described_as_body``)."""
    person = titled_person(name, kind)
    if person:
        return person, "person"  # "Rotarian Jenny Mwape": a role no list knows yet
    if not described and given_named_person(name, kind):
        return name, "person"
    return name, kind
