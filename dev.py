#!/usr/bin/env python3
"""Set-up and everyday tasks with nothing but Python 3.11+: the README's two commands.

    python3 dev.py demo    build a demo archive from records/ and open the terminal UI
    python3 dev.py test    lint, check the layering, run every test
    python3 dev.py bench   print the benchmark figures (slow; see bench/README.md)

Each creates .venv on first use and reinstalls when pyproject.toml changes, so the first command
after cloning does all the set-up.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = Path(os.environ.get("ARCHIVE_VENV", HERE / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def say(text: str) -> None:
    print(f"dev.py: {text}", file=sys.stderr, flush=True)


def ensure_venv() -> None:
    """Create the venv and install the project with its test extra, once per pyproject change."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit("dev.py: article-archive needs Python 3.11 or newer")
    stamp = VENV / ".installed"
    wanted = hashlib.sha256((HERE / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and PY.exists():
        return
    if not _usable():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    say("installing article-archive and its test tools (first run only)")
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{HERE}[test]"], check=True)
    stamp.write_text(wanted)


def _usable() -> bool:
    """Whether the venv has a python with pip: a set-up killed while the venv was being made
    leaves one without, and installing into it would fail on every later run until removed."""
    if not PY.exists():
        return False
    check = subprocess.run([str(PY), "-m", "pip", "--version"], capture_output=True)
    return check.returncode == 0


def run(*cmd: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run(cmd, cwd=HERE, env=env).returncode


def compile_sources() -> None:
    """Write the package's .pyc files, as a wheel install does: an editable install leaves none,
    and where PYTHONDONTWRITEBYTECODE is set (.ci/run sets it) every ``archive`` process would
    compile archive/ afresh, about 90 ms of each command and of each CLI call in the tests.
    Up-to-date files are skipped, so this costs nothing after the first run."""
    subprocess.run([str(PY), "-m", "compileall", "-q", "archive", "tui"], cwd=HERE,
                   check=True, stdout=subprocess.DEVNULL)


def test(extra: list[str]) -> int:
    """Lint, check the layering, then every test with one pytest worker more than there are cores
    (``PYTEST_WORKERS`` overrides): many tests spend part of their time waiting, on a CLI
    subprocess held at a kill gate, a server on 127.0.0.1 or an fsync, and with one worker per
    core a core stood idle whenever both workers waited. xdist's ``worksteal`` scheduler hands each
    worker an equal share up front (tests/conftest.py deals the slowest-first order into equal
    shares) and lets a worker that runs out take the tail of another's queue: the default ``load``
    scheduler gave the first worker the slowest 150 tests in one chunk, and the run ended with that
    worker alone. ``--durations=10`` prints the ten slowest tests at the end."""
    for step in (
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "lint-imports")],
    ):
        say(" ".join(Path(step[0]).name if i == 0 else s for i, s in enumerate(step)))
        if run(*step) != 0:
            return 1
    workers = os.environ.get("PYTEST_WORKERS") or str(cores() + 1)
    return run(str(PY), "-m", "pytest", "-n", workers, "--dist", "worksteal", "--durations=10", *extra,
               env=test_env())


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def test_env() -> dict[str, str]:
    """The tests' environment, with bytecode caching on even where PYTHONDONTWRITEBYTECODE is set
    (.ci/run sets it): pytest caches each test module with its asserts rewritten only when it may
    write bytecode, so without it every worker rewrote and compiled all ~100 test modules on every
    run (about 4 CPU-seconds each), and every process a test starts compiled the tests' helper
    modules it imports (killgate's sitecustomize) afresh. The files go to __pycache__ folders,
    which .gitignore covers, like the .pyc files compile_sources writes."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    rest = argv[1:]
    if task not in ("demo", "test", "bench", "install"):
        print(__doc__)
        return 0 if task in ("help", "-h", "--help") else 2
    ensure_venv()
    compile_sources()
    if task == "install":
        return 0
    if task == "demo":
        return run(str(BIN / "archive"), "demo", *rest)
    if task == "test":
        return test(rest)
    return run(str(PY), "bench/run_all.py", *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
