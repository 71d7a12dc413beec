"""Issue 11: "Transfers run concurrently, with a progress bar." The bar is for the person at the
terminal: drawn on stderr when stderr is a terminal, and never mixed into stdout, which stays
exactly the report (``--json`` piped into another program, or text sent to a file).

The command runs with stderr on a real pseudo-terminal and stdout on a pipe; everything the
terminal received is read until the process closes it.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from helpers import ARCHIVE_BIN


def run_on_a_terminal(*args: object) -> tuple[int, bytes, bytes]:
    """``archive ARGS`` with stderr on a pseudo-terminal: (exit code, stdout, what the terminal got)."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    for name in ("ARCHIVE_NO_PROGRESS", "ARCHIVE_ROOT", "NO_COLOR"):
        env.pop(name, None)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([str(ARCHIVE_BIN), *map(str, args)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=slave, env=env)
    finally:
        os.close(slave)
    terminal = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed its end of the terminal
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        os.close(master)
    out = proc.stdout.read() if proc.stdout else b""
    if proc.stdout:
        proc.stdout.close()
    return proc.wait(timeout=120), out, bytes(terminal)


def test_replicate_draws_its_progress_bar_on_the_terminal_and_keeps_stdout_clean(cli, bagged_root: Path,
                                                                                 tmp_path: Path):
    assert cli("--root", bagged_root, "replica", "add", "nas", tmp_path / "nas").code == 0
    code, out, terminal = run_on_a_terminal("--root", bagged_root, "replicate", "--json")
    assert code == 0, (out, terminal)
    assert b"replicating bags" in terminal, terminal  # the bar, where the person watching sees it
    assert out.startswith(b"{"), out[:200]  # stdout is the report alone: not even a blank line first
    assert json.loads(out)["replicas"][0]["bags_copied"] >= 1
