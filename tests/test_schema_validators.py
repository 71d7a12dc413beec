"""The two validators behind archive.schema.validate must agree on every document.

jsonschema-rs decides quickly whether a record is valid; jsonschema explains why not. If they
ever disagreed, a bad record could be written, or a good one refused with no message.
"""

from __future__ import annotations

import copy
import json

import pytest
from helpers import RECORDS

from archive import schema
from archive.events import make_event

GOOD = {
    **json.loads((RECORDS / "ankara-ambassador-shooting.json").read_text()),
    "id": "ART-2016-000001",
    "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "status": "bagged",
    "revision": 3,
    "created_at": "2016-12-20T09:00:00Z",
    "updated_at": "2016-12-21T10:30:00Z",
    "creators": [{"family": "Doe", "given": "Jane", "role": "author"}, {"literal": "Reuters"}],
    "url": "https://example.org/news/2016/12/19/ankara",
    "identifiers": [{"scheme": "doi", "value": "10.1000/xyz123"}],
    "source": {"filename": "a.txt", "media_type": "text/plain", "encoding": "utf-8", "size": 10,
               "sha256": "a" * 64, "sha512": "b" * 128, "word_count": 2},
    "bags": [{"version": 1, "path": "bags/ART-2016-000001/v1", "bagged_at": "2016-12-20T09:00:00Z",
              "payload_oxum": "100.5", "metadata_sha256": "c" * 64,
              "last_fixity": {"at": "2016-12-21T10:30:00Z", "outcome": "success"}}],
}

CHANGES = [
    ("issued", "2016-02-30"), ("issued", "2016-13"), ("issued", "16-12-19"), ("issued", 2016),
    ("accessed", "2016"), ("accessed", "2016-12"),
    ("title", "two\nlines"), ("title", "bell\x07"), ("title", ""), ("title", "Plain title"),
    ("title", 5), ("subtitle", "tab\there"),
    ("language", "en"), ("language", "pt-BR"), ("language", "english!"), ("language", "zz-ZZZZZZZZZ"),
    ("url", "not a url"), ("url", "https://"), ("url", "ftp://archive.example/x"),
    ("url", "https://example.org/a b"), ("archived_url", "https://web.archive.example/2016/x"),
    ("type", "article-newspaper"), ("type", "book"),
    ("status", "lost"), ("id", "ART-16-1"), ("id", "NEWS-2016-000009"), ("uuid", "nope"),
    ("bogus", 1), ("revision", 0), ("revision", "3"),
    ("creators", [{"given": "Only"}]), ("creators", [{"family": 3}]),
    ("creators", [{"family": "A", "role": "singer"}]), ("creators", []),
    ("subjects", ["A", "A"]), ("subjects", ["A", "B"]),
    ("rights", {"statement_uri": "http://rightsstatements.org/vocab/InC/1.0/"}),
    ("rights", {"statement_uri": "https://example.org/rights"}),
    ("provenance", {"contact_email": "nobody"}), ("provenance", {"contact_email": "ada@example.org"}),
    ("references", [{"name": "The Daily Beast", "kind": "publication", "mentions": 2}]),
    ("references", [{"name": "X", "kind": "rumour"}]), ("references", [{"kind": "person"}]),
    ("source", {"filename": "a.txt"}),
]
BAG_PATHS = ["bags/ART-2016-000001/v1", "bags/ART-2016-000001/v12", "bags/../v1", "bags/./v1",
             "bags/ART-2016-000001/v0", "bags/x/v1", "bags/ART-2016-000001/../v1", "/bags/ART-2016-000001/v1"]


@pytest.mark.parametrize(("field", "value"), CHANGES)
def test_both_validators_give_the_same_verdict(field, value):
    document = copy.deepcopy(GOOD)
    document[field] = value
    fast = schema._fast_validator("record").is_valid(document)
    explained = schema.problems(document)
    assert fast == (explained == []), explained


@pytest.mark.parametrize("path", BAG_PATHS)
def test_a_bag_path_is_bags_id_version_and_nothing_else(path):
    """A bags[] path is joined to the archive root by restore and repair: '..' or any name that is
    not an accession number must never validate, whichever validator judges it."""
    document = copy.deepcopy(GOOD)
    document["bags"] = [{**document["bags"][0], "path": path}]
    fast = schema._fast_validator("record").is_valid(document)
    explained = schema.problems(document)
    assert fast == (explained == [])
    assert fast == (path in ("bags/ART-2016-000001/v1", "bags/ART-2016-000001/v12")), explained


def test_the_good_record_and_real_events_are_valid_for_both():
    assert schema._fast_validator("record").is_valid(GOOD) and schema.problems(GOOD) == []
    for code in ("cap", "mes", "ipc", "fix", "mem", "tra", "dea"):
        event = make_event(code, "ART-2016-000001", outcome="warning", outcome_detail={"n": 1},
                           bag_version=2)
        assert schema._fast_validator("event").is_valid(event)
        assert schema.problems(event, "event") == []
    broken = make_event("fix", "ART-2016-000001") | {"at": "yesterday"}
    assert not schema._fast_validator("event").is_valid(broken)
    assert schema.problems(broken, "event") == [
        "at: not a valid timestamp (use YYYY-MM-DDThh:mm:ssZ)"
    ]
