"""archive.bagit_format: one reading of the format, chosen strictly for bags from outside."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

from archive.bagit_format import taginfo
from archive.bagit_format.paths import decode_path, encode_path
from archive.bagit_format.payload import BAGIT_TXT
from archive.deposit import check_profile
from archive.errors import BagInfoError


def _bag_with_info(tmp_path: Path, info: str) -> Path:
    bag = tmp_path / "bag"
    (bag / "data").mkdir(parents=True)
    (bag / "bagit.txt").write_bytes(BAGIT_TXT)
    (bag / "bag-info.txt").write_text(info, encoding="utf-8")
    return bag


def test_the_profile_check_reads_a_bag_from_outside_strictly(tmp_path):
    """A line separator (U+2028) inside a value ends no line in a tag file (RFC 8493: CR, LF,
    CRLF only), so the value is read whole; the lenient reading split it and refused the file."""
    bag = _bag_with_info(tmp_path, "Source-Organization: Press\u2028Office\n")
    profile = {"Bag-Info": {"Source-Organization": {"required": True, "values": ["Press\u2028Office"]}}}
    assert check_profile(bag, profile) == []


def test_the_profile_check_names_every_malformed_bag_info_line(tmp_path):
    bag = _bag_with_info(tmp_path, "Source-Organization: Press\nno label here\n: no label either\n")
    unmet = check_profile(bag, {"Bag-Info": {"Source-Organization": {"required": True}}})
    assert unmet == ["Bag-Info: bag-info.txt line 2 is not 'Label: value'",
                     "Bag-Info: bag-info.txt line 3 is not 'Label: value'"]


def test_strict_and_lenient_readings_differ_only_where_the_caller_chose():
    text = "Title: A\n  folded\nCreator: X\nCreator: Y\n"
    assert taginfo.parse_strict(text) == ({"title": ["A folded"], "creator": ["X", "Y"]}, [])
    assert taginfo.parse_lenient(text) == [("Title", "A folded"), ("Creator", "X"), ("Creator", "Y")]
    assert taginfo.parse_strict("no label\n") == ({}, [1])
    with pytest.raises(BagInfoError, match="without a label"):
        taginfo.parse_lenient("no label\n")


@pytest.mark.parametrize("path", ["data/50% off.txt", "data/a\nb", "data/c\rd", "data/%25 literal"])
def test_a_manifest_path_round_trips_through_the_codec(path):
    assert decode_path(encode_path(path)) == path
    assert decode_path(encode_path(path), (0, 97)) == encode_path(path)  # before 1.0, paths are literal


_REMOVED = ("Cc", "Cf", "Zl", "Zp")


def _clean_by_character(value: str) -> str:
    """clean_value as first written: every character's category looked up."""
    text = taginfo._SPACE_RE.sub(" ", value)
    return "".join(c for c in text if unicodedata.category(c) not in _REMOVED).strip()


def test_clean_value_skips_the_character_loop_only_where_it_would_remove_nothing():
    # clean_value trusts str.isprintable(): no character it calls printable may be one to remove.
    printable_but_removed = [hex(code) for code in range(sys.maxunicode + 1)
                             if chr(code).isprintable() and unicodedata.category(chr(code)) in _REMOVED]
    assert printable_but_removed == []
    for value in ("Russia's ambassador to Turkey shot dead", "Caf\u00e9 \u2013 \u201cquoted\u201d",
                  "no-break\u00a0space", "zero\u200bwidth", "line\u2028sep\u2029par", "bell\x07 tab\t",
                  "soft\u00adhyphen", "\ufeffbom", "  padded  \n", "\x00", ""):
        assert taginfo.clean_value(value) == _clean_by_character(value), value
