"""How good ``--detect-references`` is: precision and recall on the labelled texts, and its speed.

    .venv/bin/python bench/bench_reference_quality.py            # figures per split and kind
    .venv/bin/python bench/bench_reference_quality.py --mistakes # and each mistake on the dev texts
    .venv/bin/python bench/bench_reference_quality.py --dev 561-585 --mistakes  # one dev batch only
    .venv/bin/python bench/bench_reference_quality.py --unseen   # older rules on dev text written later

With ``--dev`` (optionally a range of dev numbers, "561-585", or several, "1-560,586-610") only dev
texts are scored, timed and printed: no held-out labels file or text is even read, so a helper
tuning the rules can use it without seeing the held-out batches.

With ``--unseen`` the detector of older commits (``UNSEEN_SNAPSHOTS``: the rules as they stood before a
dev batch was written) is taken from git and scored on the dev texts written after it, which those
rules never saw: a pseudo-held-out set of hundreds of texts instead of a new batch's first score.
Each line is given twice: the old rules alone, and with today's last look over finished proposals
(``archive.references.titled``: a role before a person's name, a common given name opening a bare
name), so a change of method can be measured on text its rules never saw.
Dev texts only; labels as they are now.

The texts and their labels are in tests/fixtures/references/ (README.md there says what counts).
The held-out texts ("heldout": ten labelled first; "heldout2": twenty-five written and labelled later,
before the rules were changed again; any further split a tests/fixtures/references/labels-*.toml
file adds, such as "heldout3") are never tuned on, so their lines are the honest ones; the
goal line is over all texts, the dev ones included, so it is met more easily than on new text.
Goals (issue 12): precision >= 0.95, recall >= 0.90, and 1 MiB of news text in <= 2 s.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from reference_eval import GOAL_PRECISION, GOAL_RECALL, KINDS, load_cases, score, splits

from archive.references import detect_references
from archive.references.titled import described_as_body, last_look

ROOT = Path(__file__).resolve().parents[1]
UNSEEN_SNAPSHOTS = (("5885d25a", 561), ("740486ba", 826), ("881b6220", 966), ("1f96a9b5", 1081))
"""(commit, first dev number written after it): the rules of that commit never saw dev-N onwards.
1f96a9b5 is main before the given-name lexicon (archive/references/given_names.py): its line with
today's last look is that rule's effect on the texts written for it, dev-1081 to dev-1110."""
_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from archive.references.detect import detect_references
texts = json.load(sys.stdin)
found = [[[r["name"], r["kind"], bool(r.get("url"))] for r in detect_references(t)] for t in texts]
json.dump(found, sys.stdout)
"""

GOAL_SECONDS_PER_MIB = 2.0


def _line(label: str, result, kind: str | None = None) -> str:
    tp, fp, fn = result.counts(kind)
    return (f"{label:<22} {result.precision(kind):>9.3f} {result.recall(kind):>7.3f} "
            f"{tp:>5} {fp:>5} {fn:>5}")


def _seconds_per_mib(texts: list[str], rounds: int = 3) -> tuple[float, float]:
    """The labelled texts repeated to 1 MiB and detected as one: the best of ``rounds`` in wall-clock
    seconds, and in CPU seconds (which other work on a shared machine disturbs far less)."""
    unit = "\n\n".join(texts) + "\n\n"
    text = (unit * (2**20 // len(unit) + 1))[: 2**20]
    wall = cpu = float("inf")
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        detect_references(text)
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu


def _dev_numbers(spec: str) -> set[int] | None:
    """The dev numbers "561-585,600" names (None for "all": every dev text)."""
    if spec == "all":
        return None
    numbers: set[int] = set()
    for part in spec.split(","):
        first, _, last = part.partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return numbers


def _dev_number(file: str) -> int:
    return int(file.split("-")[1])


def _old_proposals(commit: str, texts: list[str]) -> list[list[list]]:
    """What the detector of ``commit`` proposes for each text, run in a child process from a copy of
    that commit's archive/references (git archive), so today's package is not imported beside it."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit, "archive/references"],
                         check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            archive.extractall(folder, filter="data")
        (Path(folder) / "archive" / "__init__.py").write_text("", encoding="utf-8")
        out = subprocess.run([sys.executable, "-c", _CHILD, folder], input=json.dumps(texts), text=True,
                             check=True, capture_output=True).stdout
    return json.loads(out)


def _post_checked(proposals: list[list], text: str) -> list[dict]:
    """Old proposals through today's last look (a role before a person's name, a common given name
    unless a mention of the name describes a body: the old proposals carry no positions, so every
    place the name is written is looked at)."""
    checked = []
    for name, kind, known in proposals:
        if not known:
            mentions = re.finditer(re.escape(name), text)
            described = any(described_as_body(text, m.start(), m.end()) for m in mentions)
            name, kind = last_look(name, kind, described=described)
        checked.append({"name": name, "kind": kind})
    return checked


def _unseen(cases: list) -> None:
    """Each snapshot's rules on the dev texts written after it, alone and with today's last look."""
    for commit, first in UNSEEN_SNAPSHOTS:
        chosen = [c for c in cases if _dev_number(c.file) >= first]
        if not chosen:
            continue
        texts = [c.text for c in chosen]
        found = dict(zip(texts, _old_proposals(commit, texts), strict=True))
        alone = score(chosen, lambda text, found=found: [{"name": n, "kind": k} for n, k, _ in found[text]])
        checked = score(chosen, lambda text, found=found: _post_checked(found[text], text))
        print(_line(f"{commit} dev-{first}+", alone))
        print(_line("  + last look", checked))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mistakes", action="store_true",
                        help="list every wrong and missed reference of the dev texts")
    parser.add_argument("--dev", nargs="?", const="all", metavar="RANGES",
                        help="score only dev texts (all, or numbers: 561-585,600); reads no held-out file")
    parser.add_argument("--no-speed", action="store_true", help="skip the 1 MiB timing")
    parser.add_argument("--unseen", action="store_true",
                        help="score older commits' rules on the dev texts written after them (dev only)")
    args = parser.parse_args(argv)
    if args.unseen:
        print(f"{'':<22} {'precision':>9} {'recall':>7} {'right':>5} {'wrong':>5} {'miss':>5}")
        _unseen(load_cases("dev"))
        return 0
    if args.dev is not None:
        numbers = _dev_numbers(args.dev)
        cases = [c for c in load_cases("dev") if numbers is None or _dev_number(c.file) in numbers]
        chosen_splits: tuple[str | None, ...] = ("dev",)
    else:
        cases = load_cases()
        chosen_splits = (*splits(), None)
    print(f"{'':<22} {'precision':>9} {'recall':>7} {'right':>5} {'wrong':>5} {'miss':>5}")
    met = True
    for split in chosen_splits:  # a labels-*.toml batch (heldout3) adds its own line
        chosen = [c for c in cases if split is None or c.split == split]
        result = score(chosen, detect_references)
        print(_line(f"{split or 'all'} ({len(chosen)} texts)", result))
        if split is None or args.dev is not None:
            for kind in KINDS:
                print(_line(f"  {kind}", result, kind))
            met = result.precision() >= GOAL_PRECISION and result.recall() >= GOAL_RECALL
        if args.mistakes and split == "dev":  # never the held-out ones: they are not tuned on
            for file, what, name, kind in result.mistakes:
                print(f"    {what:<6} {kind:<12} {name!r}  ({file})")
    if args.no_speed:
        return 0 if met else 1
    seconds, cpu = _seconds_per_mib([c.text for c in cases])
    fast = seconds <= GOAL_SECONDS_PER_MIB
    print(f"1 MiB of these texts: {seconds:.2f} s, {cpu:.2f} s of CPU (goal <= {GOAL_SECONDS_PER_MIB:g} s)")
    print(f"goals: precision >= {GOAL_PRECISION}, recall >= {GOAL_RECALL}, speed: "
          f"{'met' if met and fast else 'MISSED'}")
    return 0 if met and fast else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
