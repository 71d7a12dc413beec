"""bag-info.txt's Citation is the CSL reference processor's entry for the bag's own CSL-JSON.

Each bag holds its record's CSL-JSON item in data/metadata/citation.json; its Citation label must be
what citeproc-js makes of exactly that item, in the archive's citation style and locale
(archive.toml, APA in the style's own locale by default), character for character. The reference
here is citeproc.js exactly as vendored (``CiteprocJS(patched=False)``) formatting a bibliography
of the one item, the way Zotero would: none of the archive's speed-ups (source patches, the engine
built for one item alone) is on the reference's side.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_citation_golden import RECORDS

from archive.bagit_format import taginfo
from archive.citation.citeproc_js import CiteprocJS
from archive.citation.formatted import check_locale, load_style
from archive.layout import open_archive

FIELDS = ("type", "title", "creators", "container_title", "issued", "language", "page", "url",
          "accessed", "volume", "issue", "identifiers", "archived_url")
VARIED = ("ART-2020-000003", "ART-2020-000004", "ART-2020-000006", "ART-2020-000007", "ART-2020-000010",
          "ART-2020-000012", "ART-2020-000014", "ART-2020-000017", "ART-2020-000018", "ART-2020-000035")
"""No author, a hyphenated given name, a particle, an organisation, 8 and 21 authors, non-ASCII
names, an apostrophe in a name, two authors of one family name."""


@pytest.fixture(scope="module")
def reference() -> CiteprocJS:
    engine = CiteprocJS(patched=False)
    yield engine
    engine.close()


def reference_entry(reference: CiteprocJS, item: dict, style: str = "apa", locale: str | None = None) -> str:
    """citeproc-js's entry in a bibliography of this one item ("" when the style leaves it out)."""
    chosen = load_style(style)
    lang = check_locale(locale or chosen.default_locale or "en-US")
    entries = reference.bibliography(reference.add_style(chosen.xml), lang, True, [item])
    return entries[0][1] if entries else ""


def bag_of(root: Path, record_id: str, version: int = 1) -> tuple[str, dict]:
    """The bag's Citation label and its one CSL-JSON item."""
    bag = root / "bags" / record_id / f"v{version}"
    info = taginfo.parse_lenient((bag / "bag-info.txt").read_text(encoding="utf-8"))
    citations = [value for label, value in info if label == "Citation"]
    assert len(citations) == 1, info
    [item] = json.loads((bag / "data" / "metadata" / "citation.json").read_text(encoding="utf-8"))
    return citations[0], item


def set_archive(root: Path, **values: str) -> None:
    """Change settings in archive.toml's [archive] table, as an archivist would by hand."""
    path = root / "archive.toml"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.split(" = ")[0] not in values]
    at = lines.index("[archive]") + 1
    lines[at:at] = [f'{key} = "{value}"' for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_golden(cli, root: Path, tmp_path: Path, record_id: str) -> str:
    """Catalogue a golden record's fields with ``archive add --meta``; the new record's id."""
    folder = tmp_path / record_id
    folder.mkdir()
    meta = {k: v for k, v in RECORDS[record_id].items() if k in FIELDS}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    text = folder / f"{record_id}.txt"
    text.write_text(f"Body of {record_id}.\n", encoding="utf-8")
    before = set(open_archive(root).store.ids())
    added = cli("--root", root, "add", text, "--meta", folder / "meta.json")
    assert added.code == 0, added
    (new_id,) = set(open_archive(root).store.ids()) - before
    return new_id


def test_the_seeds_citation_is_citeproc_js_apa_of_its_own_citation_json(bagged_root, reference):
    (record_id,) = open_archive(bagged_root).store.ids()
    label, item = bag_of(bagged_root, record_id)
    assert label == reference_entry(reference, item)
    assert "Russia’s ambassador to Turkey" in label  # the reference's typographic apostrophe
    assert f"{record_id}, bag v1" in label  # APA names the preserved copy (archive_location)


def test_every_bag_of_a_varied_run_carries_its_own_entry(cli, archive_root, tmp_path, reference):
    ids = [add_golden(cli, archive_root, tmp_path, golden) for golden in VARIED]
    bagged = cli("--root", archive_root, "bag", "--all")
    assert bagged.code == 0, bagged
    labels = {}
    for record_id in ids:
        label, item = bag_of(archive_root, record_id)
        assert label == reference_entry(reference, item), record_id
        labels[record_id] = label
    assert len(set(labels.values())) == len(ids)  # each bag its own record's entry, none shared


def test_an_edit_makes_the_next_bag_cite_the_edited_record(cli, bagged_root, reference):
    (record_id,) = open_archive(bagged_root).store.ids()
    first, _ = bag_of(bagged_root, record_id)
    edited = cli("--root", bagged_root, "edit", record_id, "--set", "container_title=The Daily Planet")
    assert edited.code == 0, edited
    assert cli("--root", bagged_root, "bag", record_id).code == 0
    second, item = bag_of(bagged_root, record_id, 2)
    assert second == reference_entry(reference, item)
    assert "The Daily Planet" in second and "The Daily Planet" not in first
    assert bag_of(bagged_root, record_id, 1)[0] == first  # v1 untouched


def test_the_archive_chooses_the_labels_style_and_locale(cli, seeded_root, reference):
    set_archive(seeded_root, citation_style="chicago-author-date", citation_locale="de-DE")
    assert cli("--root", seeded_root, "bag", "--all").code == 0
    (record_id,) = open_archive(seeded_root).store.ids()
    label, item = bag_of(seeded_root, record_id)
    assert label == reference_entry(reference, item, "chicago-author-date", "de-DE")
    assert label != reference_entry(reference, item)  # not APA's


@pytest.mark.parametrize(("key", "value", "says"), [
    ("citation_style", "no-such-style", "unknown citation style 'no-such-style'"),
    ("citation_style", "../styles/evil.csl", "must be a style name"),
    ("citation_locale", "xx-XX", "unknown locale 'xx-XX'"),
    ("citation_locale", "en-GB\nx", "must be a locale tag"),
])
def test_a_bad_citation_setting_is_refused_before_any_bag(cli, seeded_root, key, value, says):
    set_archive(seeded_root, **{key: value.replace("\n", "\\n")})
    before = sorted(p.name for p in seeded_root.rglob("*"))
    result = cli("--root", seeded_root, "bag", "--all")
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and f"archive.{key}" in lines[0] and says in lines[0], result.err
    assert not any((seeded_root / "bags").iterdir())
    assert sorted(p.name for p in seeded_root.rglob("*")) == before


@pytest.mark.parametrize("start", [
    "assert format_citation(arc.store.get(record_id))",  # the process's shared engine
    "CiteprocJS(patched=False).close()",  # a context of its own, closed again: V8's threads stay
])
def test_bagging_after_this_process_has_started_citeproc_js(seeded_root, start):
    """A process that has started citeproc-js (V8 and its threads) must not fork bagging workers
    from itself: they would inherit a V8 without its threads (abseil aborts the worker). The pool
    then starts from a fork server, and the bag is made and labelled as usual."""
    script = textwrap.dedent(f"""
        from archive.bagging import bag_records
        from archive.citation import format_citation
        from archive.citation.citeproc_js import CiteprocJS
        from archive.layout import open_archive
        arc = open_archive({str(seeded_root)!r})
        (record_id,) = arc.store.ids()
        {start}
        [result] = bag_records(arc, [record_id])
        print(result.outcome)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "bagged", done.stderr
    (record_id,) = open_archive(seeded_root).store.ids()
    label, _ = bag_of(seeded_root, record_id)
    assert "Russia’s ambassador" in label
