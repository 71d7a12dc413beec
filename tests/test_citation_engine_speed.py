"""The engine's speed-ups change no character: each is checked against citeproc-js run the plain way.

- citeproc.js's text gets ``SOURCE_PATCHES`` as it is loaded (one regular expression built once,
  not on every string); the patched engine and the vendored file write the same strings.
- Locales are given to citeproc-js only when an engine asks for them (bridge.js ``withLocales``)
  instead of all sixty up front; an engine whose locale falls back to another (de-AT reads de-DE,
  pt-BR reads pt-PT) gets it on a second try and formats exactly as with every locale given.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_citation_golden import RECORDS

from archive.citation import STYLES
from archive.citation.citeproc_js import ENGINE_DIR, SOURCE_PATCHES, CiteprocJS, engine_source, locale_files
from archive.citation.csl import to_csl_json
from archive.citation.formatted import load_style


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return [to_csl_json(r, archive_name="Test Archive") for r in RECORDS.values()]


@pytest.mark.parametrize(
    "style, lang", [("apa", "de-AT"), ("chicago-author-date", "pt-BR"), ("mla", "en-GB")]
)
def test_locales_given_on_demand_format_as_all_locales_given_up_front(items, style, lang):
    xml = load_style(style).xml
    every = CiteprocJS()
    lazy = CiteprocJS()
    try:
        every._give_locales(list(locale_files()))
        expected = every.bibliography(every.add_style(xml), lang, True, items)
        got = lazy.bibliography(lazy.add_style(xml), lang, True, items)
        assert got == expected
        assert lazy.each(lazy.add_style(xml), lang, True, items) == every.each(
            every.add_style(xml), lang, True, items
        )
        assert "en-US" in lazy._locales and len(lazy._locales) <= 4  # only what the engine asked for
    finally:
        every.close()
        lazy.close()


def test_a_fallback_locale_is_fetched_on_a_second_try(items):
    lazy = CiteprocJS()
    try:
        lazy.bibliography(lazy.add_style(load_style("apa").xml), "de-AT", True, items[:2])
        assert {"en-US", "de-AT", "de-DE"} <= lazy._locales
    finally:
        lazy.close()


# The engine is built without the style's citation <sort> (bridge.js styleForEngine): what that
# builds, citation_sort, is read only when in-text citation clusters are processed, which the
# archive never asks for. Built both ways, every other part of the engine's state is the same.
SNAPSHOT_JS = """
function archiveSnapshot(xml, stripped) {
    var locale = archiveTestLocale;
    var sys = {retrieveLocale: function () { return locale; }, retrieveItem: function () { return null; }};
    var engine = new CSL.Engine(sys, stripped ? archiveCite.styleForEngine(xml) : xml, "en-US", true);
    var seen = [];
    function plain(key, value) {
        if (typeof value === "function") { return "function"; }
        if (value instanceof RegExp) { return String(value); }
        if (value && typeof value === "object") {
            if (seen.indexOf(value) >= 0) { return "seen"; }
            seen.push(value);
            if (!Array.isArray(value)) {
                var sorted = {};
                Object.keys(value).sort().forEach(function (k) { sorted[k] = value[k]; });
                return sorted;
            }
        }
        return value;
    }
    var opt = Object.assign({}, engine.opt);
    delete opt.sort_citations;  // set when the citation sort is built; nothing reads it
    var parts = {
        opt: opt, citation: engine.citation.opt, bibliography: engine.bibliography.opt,
        bibliography_sort: engine.bibliography_sort.opt, build: engine.build, locale: engine.locale,
        macros: Object.keys(engine.macros).sort().map(function (name) {
            return [name, engine.macros[name].length];
        }),
        tokens: [engine.citation.tokens.length, engine.bibliography.tokens.length,
                 engine.bibliography_sort.tokens.length, engine.intext.tokens.length]
    };
    var out = {};
    for (var name in parts) { seen = []; out[name] = JSON.stringify(parts[name], plain); }
    out.citationSortTokens = engine.citation_sort.tokens.length;
    return JSON.stringify(out);
}
"""


@pytest.mark.parametrize("style", sorted(STYLES))
def test_an_engine_built_without_the_citation_sort_is_otherwise_the_same(style):
    cite = CiteprocJS()
    try:
        cite._ctx.eval(SNAPSHOT_JS)
        en_us = locale_files()["en-US"].read_text(encoding="utf-8")
        cite._ctx.eval(f"var archiveTestLocale = {json.dumps(en_us)};")
        xml = load_style(style).xml
        whole = json.loads(cite._ctx.call("archiveSnapshot", xml, False))
        stripped = json.loads(cite._ctx.call("archiveSnapshot", xml, True))
        assert stripped.pop("citationSortTokens") == 0
        has_sort = whole.pop("citationSortTokens") > 0
        assert has_sort == (style in {"apa", "harvard", "ieee"})  # the styles with a citation <sort>
        assert stripped == whole
    finally:
        cite.close()


# citeproc_js.SOURCE_PATCHES: speed-ups applied to citeproc.js's text as it is loaded. Each must
# find its text, and the patched engine must write every string as the vendored file does.
APOSTROPHE_RECORDS = [
    {"id": "APOS-1", "type": "article-newspaper", "title": "Ireland’s ‘new’ budget: O’Brien’s plan",
     "creators": [{"family": "O’Brien", "given": "Seán"}, {"family": "d’Alembert", "given": "Jean"}],
     "container_title": "The Journal’s Review", "issued": "2019-03-02"},
    {"id": "APOS-2", "type": "article",
     "title": "l’Europe d’aujourd’hui, \"quoted\" and 'single' rock'n'roll, rock‘n‘roll",
     "creators": [{"literal": "Musée d’Orsay"}], "container_title": "Le Monde", "issued": "2020"},
    # the flip-flop parser's span markup (the _doppelString patch skips its two rewrites without it)
    {"id": "APOS-3", "type": "article",
     "title": 'The <span  style="font-variant: small-caps" >BBC</span> and '
              '<span   class="nocase" x>iPhone</span>',
     "creators": [{"family": "Bö", "given": "Ann"}], "container_title": "<i>Le Monde</i>", "issued": "2021"},
]


def _patched_and_vendored(style: str, items: list[dict]) -> tuple[list, list]:
    xml = load_style(style).xml
    patched, vendored = CiteprocJS(), CiteprocJS(patched=False)
    try:
        got = [patched.bibliography(patched.add_style(xml), "en-US", True, items),
               patched.each(patched.add_style(xml), "en-US", True, items)]
        expected = [vendored.bibliography(vendored.add_style(xml), "en-US", True, items),
                    vendored.each(vendored.add_style(xml), "en-US", True, items)]
        return got, expected
    finally:
        patched.close()
        vendored.close()


def test_each_source_patch_finds_its_text_once_and_is_applied():
    vendored = (ENGINE_DIR / "citeproc.js").read_text(encoding="utf-8")
    source = engine_source()
    for old, new in SOURCE_PATCHES:
        assert vendored.count(old) == 1
        # applied once; the old text survives only where a patch wraps it (a guard around it)
        assert source.count(new) == 1 and source.count(old) == new.count(old)
    # the shared expression is built from a constant: defined once in the file, never assigned
    assert len(re.findall(r"(?<![_A-Z])ROMANESQUE_REGEXP\s*[:=]", vendored)) == 1


@pytest.mark.parametrize("style", sorted(STYLES))
def test_the_patched_engine_writes_what_the_vendored_file_writes(style):
    items = [to_csl_json(r, archive_name="Test Archive") for r in [*RECORDS.values(), *APOSTROPHE_RECORDS]]
    got, expected = _patched_and_vendored(style, items)
    assert got == expected
    assert any("’" in text for _, text in got[0])  # the apostrophe path was taken


NAME_TEXT = st.text(alphabet="aeiouBDKLmnrsxÉé’'\"‘“” -<>/i", min_size=1, max_size=14).filter(str.strip)


@pytest.fixture(scope="module")
def apa_engines():
    """A patched and a vendored engine with APA loaded, shared by every generated example (as an
    export shares one engine across its entries): building both per example cost 1.8 s each."""
    xml = load_style("apa").xml
    patched, vendored = CiteprocJS(), CiteprocJS(patched=False)
    try:
        yield (patched, patched.add_style(xml)), (vendored, vendored.add_style(xml))
    finally:
        patched.close()
        vendored.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titles=st.lists(NAME_TEXT, min_size=1, max_size=4),
       families=st.lists(NAME_TEXT, min_size=1, max_size=4))
def test_patched_and_vendored_engines_agree_on_any_quotes_and_apostrophes(apa_engines, titles, families):
    records = [
        {"id": f"GEN-{n}", "type": "article-newspaper", "title": title,
         "creators": [{"family": families[n % len(families)], "given": "Ann"}],
         "container_title": "The Daily Planet", "issued": f"{2000 + n % 2}"}
        for n, title in enumerate(titles)
    ]
    items = [to_csl_json(r, archive_name="Test Archive") for r in records]
    got, expected = ([engine.bibliography(style, "en-US", True, items),
                      engine.each(style, "en-US", True, items)] for engine, style in apa_engines)
    assert got == expected


def _bench_items(dataset: str, folder) -> list[dict]:
    """The CSL-JSON of bench/bench_citations.py's 1,000-record archive ``dataset``, built as the
    bench builds it (the figures' records: ``catalogue``, the worst case for disambiguation, and
    ``varied``, every record type and name shape)."""
    import sys

    bench = str(Path(__file__).resolve().parents[1] / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    from bench_citations import build_archive

    from archive.citation.catalogue import select_records
    from archive.layout import open_archive

    build_archive(folder / "archive", 1000, dataset)
    arc = open_archive(folder / "archive")
    return [to_csl_json(r, archive_name=arc.settings.organization or None) for r in select_records(arc)]


@pytest.mark.parametrize("dataset", ["catalogue", "varied"])
def test_the_patched_engine_writes_the_benchs_1000_apa_entries_as_the_vendored_file(dataset, tmp_path):
    """The export the speed-ups are for: one bibliography of 1,000 records in APA (sort order, year
    suffixes and given-name disambiguation across the whole list), patched against vendored."""
    items = _bench_items(dataset, tmp_path)
    assert len(items) == 1000
    xml = load_style("apa").xml
    patched, vendored = CiteprocJS(), CiteprocJS(patched=False)
    try:
        got = patched.bibliography(patched.add_style(xml), "en-US", True, items)
        expected = vendored.bibliography(vendored.add_style(xml), "en-US", True, items)
    finally:
        patched.close()
        vendored.close()
    assert len(expected) == 1000 and len({text for _, text in expected}) == 1000
    assert got == expected


def test_the_benchs_baseline_runs_the_baseline_trees_package(tmp_path, monkeypatch):
    """bench_citations.py --baseline DIR compares the export with DIR's code; started from the project
    folder, ``python -c`` had imported the project's own package instead (the working folder comes
    before PYTHONPATH), so the comparison was of the code with itself."""
    import os
    import subprocess
    import sys

    bench = str(Path(__file__).resolve().parents[1] / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    from bench_citations import baseline_command

    tree = tmp_path / "base"
    (tree / "archive").mkdir(parents=True)
    (tree / "archive" / "__init__.py").write_text("", encoding="utf-8")
    (tree / "archive" / "cli.py").write_text(
        "import archive\ndef entry():\n    print(archive.__file__)\n    return 0\n", encoding="utf-8")
    project = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(project)  # where the bench is run from
    argv, env, cwd = baseline_command(tree, ["--version"], dict(os.environ))
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    assert Path(done.stdout.strip()).resolve() == (tree / "archive" / "__init__.py").resolve()
    # the old way, the same command started in the project folder: the project's package
    old = subprocess.run(argv, env=env, cwd=project, capture_output=True, text=True, check=True)
    assert Path(old.stdout.strip()).resolve() != (tree / "archive" / "__init__.py").resolve()


def _many_items(count: int) -> list[dict]:
    """bench/bench_citations.py's ``many_records`` (the golden records under new ids, 540 first
    authors over 35 years) as CSL-JSON: the records the ``--alone`` figures are measured on."""
    import sys

    bench = str(Path(__file__).resolve().parents[1] / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    from bench_citations import many_records

    return [to_csl_json(r, archive_name="Test Archive") for r in many_records(count)]


@pytest.mark.parametrize("style", ["apa", "harvard", "ieee"])
def test_the_patched_engine_formats_1000_entries_alone_as_the_vendored_file(style):
    """Bag-info labels: ``each`` formats every item alone (bridge.js's alone engine), in one call for
    many bags or one call per bag; patched against vendored, both ways, over the bench's records."""
    items = _many_items(1000)
    xml = load_style(style).xml
    patched, vendored = CiteprocJS(), CiteprocJS(patched=False)
    try:
        keys = patched.add_style(xml), vendored.add_style(xml)
        expected = vendored.each(keys[1], "en-US", True, items)
        assert patched.each(keys[0], "en-US", True, items) == expected
        one_by_one = [text for item in items[:150] for text in patched.each(keys[0], "en-US", True, [item])]
        assert one_by_one == expected[:150]
    finally:
        patched.close()
        vendored.close()
    assert len(set(expected)) == 1000 and all(expected)  # every entry formatted, none alike


def test_the_locale_files_are_found_without_importing_citeproc_py():
    """``locale_files`` reads the folder from citeproc-py's import spec: the same files its import
    would point at, and its ~10 ms import is not part of a worker's start."""
    import subprocess
    import sys

    import citeproc

    folder = Path(citeproc.__file__).parent / "data" / "locales"
    expected = {p.stem.removeprefix("locales-"): p for p in sorted(folder.glob("locales-*.xml"))}
    assert locale_files() == expected
    assert "en-US" in locale_files() and len(locale_files()) > 40
    code = ("import sys\nfrom archive.citation.citeproc_js import locale_files\n"
            "assert locale_files()\nprint('citeproc' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.strip() == "False"


PRELOAD_THEN_FORK = """
import json, os, sys
from archive.citation import citeproc_js
from archive.citation.formatted import load_style
citeproc_js.preload()
threads = len(os.listdir("/proc/self/task"))  # native threads too, which threading cannot see
item = json.loads(sys.argv[1])
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    cite = citeproc_js.CiteprocJS()
    text = cite.each(cite.add_style(load_style("apa").xml), "en-US", True, [item])
    cite.close()
    os.write(write, json.dumps(text).encode("utf-8"))
    os._exit(0)
os.close(write)
_, status = os.waitpid(pid, 0)
chunks = []
while chunk := os.read(read, 65536):
    chunks.append(chunk)
print(json.dumps([threads, status, json.loads(b"".join(chunks))]))
"""


def test_preload_starts_no_thread_so_a_forked_worker_can_start_the_engine(items):
    """``preload`` is for a parent about to fork bagging workers: it must leave the process with one
    thread (V8's would not survive the fork), and a worker forked after it formats as any engine."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", PRELOAD_THEN_FORK, json.dumps(items[0])],
                          capture_output=True, text=True, check=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    threads, status, forked = json.loads(done.stdout.strip().splitlines()[-1])
    assert threads == 1 and status == 0
    reference = CiteprocJS(patched=False)
    try:
        assert forked == reference.each(reference.add_style(load_style("apa").xml), "en-US", True, items[:1])
    finally:
        reference.close()
