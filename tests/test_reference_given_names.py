"""A bare name whose first word is a common given name is a person's (issue 12), unless a mention
describes it as a body's.

Invented sentences and names. Without the given-name lexicon (archive/references/given_names.py) the
first three are proposed as organisations: nothing around them introduces a person, the shape the
rules read as a company's ("Deutsche Bahn said").
"""

from __future__ import annotations

import pytest

from archive.references import detect_references
from archive.references.given_names import COMMON_GIVEN_NAMES, is_common_given_name
from archive.references.titled import described_as_body, given_named_person, last_look


def _found(text: str) -> set[tuple[str, str]]:
    return {(ref["name"], ref["kind"]) for ref in detect_references(text)}


@pytest.mark.parametrize(("text", "person"), [
    ("Peter Hallworth told the Kurier newspaper that bookings had not been cancelled.", "Peter Hallworth"),
    ("Linda-Gail Marsh said in her report that the wards were full.", "Linda-Gail Marsh"),
    ("Susan Okonkwo said in her annual report that conditions were poor.", "Susan Okonkwo"),
])
def test_a_bare_name_opening_with_a_common_given_name_is_a_person(text: str, person: str) -> None:
    found = _found(text)
    assert (person, "person") in found
    assert (person, "organisation") not in found


@pytest.mark.parametrize(("text", "body"), [
    ("Chocolate maker Barry Hollis said it would raise prices in January.", "Barry Hollis"),
    ("Barry Hollis, the world's largest cocoa processor, warned that volumes would fall.", "Barry Hollis"),
    ("Publisher Jonathan Cape said it had ordered more copies.", "Jonathan Cape"),
    ("Deutsche Bahn said trains would run again on Monday.", "Deutsche Bahn"),
    ("Victoria Brewing said sales fell by a tenth.", "Victoria Brewing"),
    ("Susan Hallworth said its Christmas trading had started slowly.", "Susan Hallworth"),  # "its"
])
def test_bodies_named_like_people_stay_bodies(text: str, body: str) -> None:
    assert (body, "organisation") in _found(text)


def test_the_lexicon_holds_common_given_names_and_leaves_out_places_and_words() -> None:
    assert {"Peter", "Linda", "Susan", "Charlie"} <= COMMON_GIVEN_NAMES
    assert is_common_given_name("Linda-Gail")
    for word in ("Georgia", "Victoria", "Christian", "Dawn", "April", "China", "Deutsche", "Morgan"):
        assert not is_common_given_name(word), word


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("Peter Hallworth", "organisation", True),
    ("Mary Anne Colby", "organisation", True),
    ("Peter Hallworth", "person", False),  # already a person
    ("Peter Hallworth", "publication", False),  # a paper's kind came from the words around it
    ("Peter Hallworth Foundation", "organisation", False),  # a body's word
    ("Peter", "organisation", False),  # one word: a surname's or a body's
    ("Susan Okonkwo Smith Jones", "organisation", False),  # four words: more than a name
    ("Peter Hallworth Group", "organisation", False),
    ("Peter Hallworth PLC", "organisation", False),
])
def test_given_named_person(name: str, kind: str, expected: bool) -> None:
    assert given_named_person(name, kind) is expected


def test_described_as_body_looks_before_and_in_apposition_after() -> None:
    text = ("Chocolate maker Barry Hollis said. Barry Hollis, the largest cocoa processor, warned. "
            "Barry Hollis said.")
    first = text.index("Barry")
    second = text.index("Barry", first + 1)
    third = text.index("Barry", second + 1)
    assert described_as_body(text, first, first + len("Barry Hollis"))
    assert described_as_body(text, second, second + len("Barry Hollis"))
    assert not described_as_body(text, third, third + len("Barry Hollis"))
    told = "Susan Hallworth said in its annual report that sales fell."
    assert described_as_body(told, 0, len("Susan Hallworth"))
    his = "Susan Hallworth said in her annual report that it was too early to tell."
    assert not described_as_body(his, 0, len("Susan Hallworth"))


def test_last_look_keeps_a_described_name_a_body() -> None:
    assert last_look("Barry Hollis", "organisation") == ("Barry Hollis", "person")
    assert last_look("Barry Hollis", "organisation", described=True) == ("Barry Hollis", "organisation")
    assert last_look("Rotarian Jenny Mwape", "organisation") == ("Jenny Mwape", "person")
