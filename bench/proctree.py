"""A process and every process it started, read from /proc.

The benches' CPU and memory figures must cover the worker processes a command forks (verify's and
audit's pool), not only the command: ``resource.getrusage`` of the children counts them only after
they exit, and says nothing about memory while they run.
"""

from __future__ import annotations

import os

TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants alive now (a process gone meanwhile is left out)."""
    found, stack, seen = [], [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack += [int(c) for c in children.read().split()]
        except (OSError, ValueError):
            continue
        found.append(current)
    return found


def status_kb(pid: int, field: str) -> int:
    """A size field of /proc/PID/status (``VmRSS``, ``VmHWM``) in kB; 0 when it has none."""
    with open(f"/proc/{pid}/status") as status:
        return next((int(line.split()[1]) for line in status if line.startswith(f"{field}:")), 0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def command_line(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read().replace(b"\0", b" ").decode(errors="replace")


def wait_own_cpu(pid: int) -> tuple[int, float, os.struct_rusage | None]:
    """Wait for the child ``pid`` to end; its wait status, its own CPU seconds, and ``wait4``'s
    rusage (which adds the CPU of every child it reaped).

    Its own: read from the exited (not yet reaped) process, without the CPU of the children it
    reaped. A tree's CPU is the command's own plus each descendant's sampled CPU; the rusage
    would count twice the workers a command forks and reaps itself (a fork pool's)."""
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    try:
        own: float | None = cpu_seconds(pid)
    except (OSError, ValueError, IndexError):
        own = None
    _, status, usage = os.wait4(pid, 0)
    return status, own if own is not None else usage.ru_utime + usage.ru_stime, usage
