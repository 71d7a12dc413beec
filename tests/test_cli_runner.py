"""The warmed CLI runner (tests/cli_runner.py, tests/cli_zygote.py): a run forked from the zygote
is the process a real exec of ``archive`` makes, as far as the command can tell."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import cli_runner
import psutil
import pytest
from helpers import ARCHIVE_BIN, SEED, run_cli, wait_for

from archive.store.lockfile import InterProcessLock

pytestmark = pytest.mark.skipif(os.environ.get(cli_runner.EXEC_ENV) == "1",
                                reason="about the forked runs, which ARCHIVE_TEST_EXEC=1 turns off")


def _proc_view(pid: int) -> dict:
    """What the kernel says of a process: what it inherited and set up before running."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    fds = sorted((name, os.readlink(f"/proc/{pid}/fd/{name}")) for name in os.listdir(f"/proc/{pid}/fd"))
    return {
        **{key: status[key].strip() for key in ("SigBlk", "SigIgn", "SigCgt", "Umask", "Threads")},
        "fds": [(name, "pipe" if target.startswith("pipe:") else target) for name, target in fds],
        "cwd": os.readlink(f"/proc/{pid}/cwd"),
    }


def _waiting_on_lock(pid: int, lock: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(lock) for fd in os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_forked_run_is_set_up_as_an_exec_d_one(archive_root: Path, tmp_path: Path):
    """Both runs of ``archive add`` are held at the catalogue's lock while the test reads their
    /proc entries: the same signal mask and dispositions, umask, one thread, the same open
    descriptors (0-2 pipes and the lock; none of the zygote's) and cwd. (Not what the kernel
    keeps of the exec, /proc/PID/cmdline and environ: the fork's are the zygote's, so a test that
    reads them, through psutil or otherwise, starts the CLI itself, as those of process trees do.)"""
    lock = archive_root / "catalog" / ".lock"
    env = {**os.environ, "ARCHIVE_NO_PROGRESS": "1", "ONLY_IN_THIS_RUN": "yes"}
    env.pop("ARCHIVE_ROOT", None)
    args = ["--root", str(archive_root), "add", str(SEED)]
    held = InterProcessLock(str(lock), timeout=60)
    held.acquire()
    results: list = []
    try:
        cli_runner.run([str(ARCHIVE_BIN), "--version"], None, env, None, 60)  # the zygote is up
        zygote = psutil.Process(cli_runner._zygote.proc.pid)  # type: ignore[union-attr]
        runner = threading.Thread(target=lambda: results.append(
            cli_runner.run([str(ARCHIVE_BIN), *args], tmp_path, env, b"", 120)))
        runner.start()
        wait_for(lambda: len(zygote.children()) == 1 and _waiting_on_lock(zygote.children()[0].pid, lock),
                 120, "the forked run to wait on the lock")
        forked = _proc_view(zygote.children()[0].pid)
        real = subprocess.Popen([str(ARCHIVE_BIN), *args], cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: _waiting_on_lock(real.pid, lock), 120, "the exec'd run to wait on the lock")
        execd = _proc_view(real.pid)
    finally:
        held.release()
    runner.join()
    out, err = real.communicate(timeout=120)
    assert forked == execd
    assert forked["cwd"] == str(tmp_path)
    (done,) = results
    assert (done.returncode, real.returncode) == (0, 0), (done, err)
    assert done.stdout.startswith(b"ART-") and out.startswith(b"ART-") and done.stderr == err == b""


def test_exit_codes_output_and_stdin_come_back():
    done = run_cli("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, b"article-archive 0.1.0\n", b"")
    usage = run_cli("--no-such-option")
    assert usage.returncode == 2 and b"--no-such-option" in usage.stderr


def test_a_run_past_its_timeout_is_killed(archive_root: Path):
    """As ``subprocess.run``: TimeoutExpired, and the process is gone."""
    lock = archive_root / "catalog" / ".lock"
    held = InterProcessLock(str(lock), timeout=60)
    held.acquire()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            run_cli("--root", archive_root, "add", SEED, timeout=1)
        assert psutil.Process(cli_runner._zygote.proc.pid).children() == []  # type: ignore[union-attr]
    finally:
        held.release()


def test_runs_whose_start_up_would_differ_are_exec_d():
    base = {"PATH": "/bin", "LANG": "C.UTF-8"}
    assert not cli_runner.startup_differs(base, {**base, "HOME": "/elsewhere", "TMPDIR": "/t"})
    for key, value in (("PYTHONPATH", "/x"), ("PYTHONWARNINGS", "error"), ("LANG", "de_DE.UTF-8"),
                       ("LC_ALL", "C"), ("TZ", "Asia/Tokyo"), ("ARCHIVE_KILLGATE", "/s"),
                       ("ARCHIVE_TEST_KILL_AT", "here")):
        assert cli_runner.startup_differs(base, {**base, key: value}), key


@pytest.mark.real_exec
def test_a_marked_test_runs_the_cli_by_exec():
    """Its run is a child of this process, not of the zygote."""
    seen: list[int] = []
    original = subprocess.run

    def spy(*args, **kwargs):
        seen.append(1)
        return original(*args, **kwargs)

    subprocess.run = spy
    try:
        assert run_cli("--version").returncode == 0
    finally:
        subprocess.run = original
    assert seen == [1]


IMPORT_READS = """
import collections, importlib, os, pkgutil, sys
read = set()
getitem = os._Environ.__getitem__
def recording(self, key):
    read.add(key)
    return getitem(self, key)
os._Environ.__getitem__ = recording
import archive
for module in pkgutil.walk_packages(archive.__path__, "archive."):
    if not module.name.endswith(".__main__"):
        importlib.import_module(module.name)
print(" ".join(sorted(read)))
"""


def test_importing_archive_reads_only_start_up_variables():
    """The zygote imports every module of archive once, with its own environment: a variable
    read at import (by archive or a library it imports at the top of a module) would keep the
    zygote's value in every forked run, so every one read must be among those whose difference
    sends a run to a real exec."""
    done = subprocess.run([sys.executable, "-c", IMPORT_READS], capture_output=True, text=True, check=True)
    read = done.stdout.split()
    assert read, "the check saw no read at all: the recording does not work"
    assert [key for key in read if not cli_runner.startup_differs({}, {key: "x"})] == []


DIES_WITH_WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import cli_runner
zygote = cli_runner.Zygote(Path(sys.argv[2]), dict(__import__("os").environ))
print(zygote.proc.pid, flush=True)
sys.stdin.read()
"""


def test_the_zygote_ends_when_its_worker_is_killed():
    """A worker SIGKILLed (no teardown runs) leaves no zygote behind: the zygote's stdin, a pipe
    only the worker holds, reaches end of file."""
    worker = subprocess.Popen([sys.executable, "-c", DIES_WITH_WORKER, str(Path(__file__).parent),
                               str(ARCHIVE_BIN)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        zygote = psutil.Process(int(worker.stdout.readline()))  # type: ignore[union-attr]
        assert zygote.is_running() and zygote.status() != psutil.STATUS_ZOMBIE
        worker.kill()
        worker.wait()
        zygote.wait(timeout=120)  # re-parented, then reaped: gone
        assert not psutil.pid_exists(zygote.pid) or zygote.status() == psutil.STATUS_ZOMBIE
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
