"""What the tests share besides fixtures: paths to the sample data and the CLI run as a subprocess.

Kept out of conftest.py because two conftest modules (tests/ and tests/tui/) would make
``from conftest import ...`` mean whichever pytest loaded last.
"""

from __future__ import annotations

import os
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import cli_runner
import pytest

REPO = Path(__file__).resolve().parents[1]
RECORDS = REPO / "records"
SEED = RECORDS / "ankara-ambassador-shooting.txt"
SEED_SHA256 = "eff65e91b0346dca113151de1ee4ce7dc1f6e332a2eedbdbdf80ad82695e7547"
SHARED = REPO.parent / "shared"
ARCHIVE_BIN = Path(sys.executable).with_name("archive")


def run_cli(*args: str | os.PathLike, cwd: Path | None = None, env: dict | None = None,
            input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``archive ARGS`` as a user would, capturing text output: a process of its own, forked
    from the worker's warmed zygote or exec'd (tests/cli_runner.py says which and why)."""
    full_env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", **(env or {})}
    if "ARCHIVE_ROOT" not in (env or {}):  # a developer's own $ARCHIVE_ROOT must not leak in
        full_env.pop("ARCHIVE_ROOT", None)
    started, cpu = time.monotonic(), children_cpu()
    done = cli_runner.run([str(ARCHIVE_BIN), *map(str, args)], cwd, full_env, input, timeout)
    if CLI_LOG in os.environ:  # where the suite's time goes: one line per CLI run
        command = next((str(a) for a in args if not str(a).startswith("-") and "/" not in str(a)), "")
        with open(os.environ[CLI_LOG], "a", encoding="utf-8") as log:
            log.write(f"{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]}\t"
                      f"{time.monotonic() - started:.3f}\t{command}\t{children_cpu() - cpu:.3f}\t"
                      f"{done.how}\n")
    return done


def wait_for(condition, timeout: float, what: str, step: float = 0.02) -> None:
    """Poll ``condition`` until it holds: for states only /proc or the disk shows, with no event
    to block on. Fails after ``timeout`` seconds, naming ``what``, so a hang is a clear failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


CLI_LOG = "ARCHIVE_TEST_CLI_LOG"
"""Set to a file's path to have every ``cli``/``run_cli`` run appended to it: test, seconds, command,
the CPU-seconds (user + system) the run used, and how it started ("fork" from the worker's zygote
or "exec": tests/cli_runner.py)."""


def children_cpu() -> float:
    """CPU-seconds used so far by this process's finished (waited-for) child processes, and by the
    CLI runs forked for it from the zygote (the zygote's children, not this process's)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime + cli_runner.forked_cpu()


UNEXPECTED = re.compile(r"^archive: error: unexpected ", re.MULTILINE)
"""The CLI's catch-all line for an exception that is not an ArchiveError (archive/cli/common.py)."""


class Result:
    """A finished CLI run with decoded output.

    A run whose stderr has a line starting "archive: error: unexpected " hit the CLI's last line of
    defence (a bug, exit 70), so the test fails here with the output, whatever it went on to
    assert; only a test about that path itself passes ``expect_unexpected=True``. (The word alone
    is not enough: a parser's own message, "unexpected end of data", is a fine one-line error.)
    """

    def __init__(self, proc: subprocess.CompletedProcess, *, expect_unexpected: bool = False):
        self.code = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace")
        self.err = proc.stderr.decode("utf-8", "replace")
        if not expect_unexpected and UNEXPECTED.search(self.err):
            pytest.fail(f"the CLI failed on an unexpected exception: {self!r}", pytrace=False)

    def __repr__(self) -> str:
        return f"<exit {self.code}\nout: {self.out[-2000:]}\nerr: {self.err[-2000:]}>"


def snapshot_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, to prove an operation changed nothing."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


SEED_ENV = "ARCHIVE_TEST_SEED"


def replay_seed(what: str) -> int:
    """The seed of a test's random choices: ``$ARCHIVE_TEST_SEED`` if set, else a fresh one.

    Printed (pytest shows it with a failure) and meant for every assertion message, so any
    failing run can be replayed exactly with ``ARCHIVE_TEST_SEED=<seed> pytest ...``.
    """
    text = os.environ.get(SEED_ENV, "").strip()
    seed = int(text) if text else random.SystemRandom().randrange(1 << 32)
    print(f"{what}: {SEED_ENV}={seed} (set it to replay this run)")
    return seed


def fill_catalogue(root: Path, count: int) -> list[str]:
    """``count`` catalogued records written straight through the store (no source files), for
    tests that need more than one shard of 256; titles ``Report N on harbours`` (N even) or ``strikes``.
    Returns their ids in accession order."""
    import uuid

    from archive.layout import open_archive

    arc = open_archive(root)
    subjects = ("harbours", "strikes")
    ids = []
    with arc.store.transaction() as tx:
        for sequence in tx.reserve_sequences(count):
            record_id = f"{arc.settings.id_prefix}-2024-{sequence:06d}"
            tx.insert({
                "id": record_id, "uuid": str(uuid.UUID(int=sequence, version=4)), "type": "article-newspaper",
                "title": f"Report {sequence} on {subjects[sequence % 2]}", "issued": "2024-05-01",
                "creators": [{"family": "Writer", "given": "Sam"}], "container_title": "The Daily Beast",
                "status": "catalogued", "revision": 1,
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
            })
            ids.append(record_id)
    return ids


TEMPLATES = None
"""The worker's ``ArchiveTemplates`` (conftest.py sets it for the session)."""


def made_archive(target: Path, stage: str, build) -> Path:
    """``target``: a copy of the archive ``build(root, cli)`` makes from nothing, built through the
    CLI once per worker (and environment) instead of once per test. ``stage`` names the build."""
    assert TEMPLATES is not None, "conftest.py's archive_templates fixture sets up the templates"
    return TEMPLATES.made(stage, build, target)


def bag_all(cli, root: Path) -> list[str]:
    """``archive bag --all`` on ``root`` as set-up, and the ids it holds: a copy of the worker's
    bagged template when ``root`` is still the untouched seeded copy (what the CLI run would make,
    built once per worker through the CLI), else the CLI run itself."""
    from archive.layout import open_archive

    assert TEMPLATES is not None, "conftest.py's archive_templates fixture sets up the templates"
    TEMPLATES.advance(root, "bagged", cli)
    return list(open_archive(root).store.ids())


def stored_record(root: Path, record_id: str) -> dict:
    """A record as the catalogue holds it (``show --json`` without its ``copies`` tally), read
    through the library: for tests that read back what a command wrote, where a ``show`` CLI
    run would only add a process start."""
    from archive.layout import open_archive

    return open_archive(root).store.get(record_id)


def only_bag(root: Path) -> Path:
    """The one bag folder of an archive holding one bagged record."""
    (bag,) = sorted((root / "bags").glob("*/v*"))
    return bag


def examples(ci: int) -> int:
    """Hypothesis examples for a test: ``ci`` under the CI profile (200 examples by default), scaled
    up as a profile asks for more (nightly: 5,000 / 200 = 25 times), never down."""
    from hypothesis import settings

    return ci * max(1, settings.default.max_examples // 200)
