"""A body's proposal that opens with a person's role no list knows is that person (issue 12).

Invented sentences: roles that are in no list of archive/references/names.py, so the rule of shape
(an agent noun or a title before a person's name) is what finds them, not a new word in a list.
"""

from __future__ import annotations

import pytest

from archive.references import detect_references
from archive.references.titled import titled_person


def _found(text: str) -> set[tuple[str, str]]:
    return {(ref["name"], ref["kind"]) for ref in detect_references(text)}


@pytest.mark.parametrize(("text", "person"), [
    ("Rotarian Jenny Mwape told ZNBC that the city needed clean water.", "Jenny Mwape"),
    ("Beekeeper Tomas Varga told Radio Kossuth that the hives were empty.", "Tomas Varga"),
    ("Yachtsman Pete Goss told the BBC he had not slept for two days.", "Pete Goss"),
])
def test_an_unlisted_role_before_a_name_makes_a_person(text: str, person: str) -> None:
    found = _found(text)
    assert (person, "person") in found
    assert not any(kind != "person" and person in name for name, kind in found)


@pytest.mark.parametrize("name", [
    "Hamburger Hafen und Logistik",  # a lower-case word inside: a body's name
    "Brian Cox Foundation",  # a given name with an agent's ending, and a body's word
    "Walter Reed National Military Medical Center",
    "Deutsche Bank Chief Economist",  # no person's name after the role
])
def test_bodies_that_only_look_titled_stay_bodies(name: str) -> None:
    assert titled_person(name, "organisation") is None


def test_a_person_is_left_alone() -> None:
    assert titled_person("Jenny Mwape", "person") is None


def test_a_body_word_before_the_role_keeps_the_body() -> None:
    assert titled_person("Kenya Rotary Club Rotarian Jenny Mwape", "organisation") is None


@pytest.mark.parametrize("name", ["Christopher Lee Smith", "Miller Harris Lee", "German Economy Ministry"])
def test_a_given_name_or_surname_with_an_agents_ending_is_no_role(name: str) -> None:
    assert titled_person(name, "organisation") is None


@pytest.mark.parametrize(("text", "person"), [
    ("Soma Sen Roy, a scientist at the department, said the heat would ease.", "Soma Sen Roy"),
    ("Dr Anita Sen Gupta said the wards were full.", "Anita Sen Gupta"),
    ("Republican Sen Ted Cruz said the bill would fail.", "Ted Cruz"),  # two words after: a senator
    ("Sen. Ted Cruz said the bill would fail.", "Ted Cruz"),
])
def test_sen_inside_a_name_is_a_surname_not_a_title(text: str, person: str) -> None:
    found = _found(text)
    assert (person, "person") in found
    assert len(found) == 1
