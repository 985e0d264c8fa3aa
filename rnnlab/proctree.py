"""CPU time and memory of a process together with all its descendants (Linux ``/proc``).

A server that hands its work to child processes (a model worker, say) must be measured
with them: its own figures alone would show the work vanishing rather than moving.
"""
from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (state first), or None if gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found.extend(below)
        todo.extend(below)
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and its descendants, the finished ones included.

    A living process counts its own time (utime, stime) plus that of its children that
    have exited and been waited for (cutime, cstime), so no work is lost when a worker
    process ends during a measurement, and none is counted twice.
    """
    ticks = 0
    for p in [pid, *descendants(pid)]:
        fields = _stat(p)
        if fields is not None:
            ticks += sum(int(v) for v in fields[11:15])       # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` plus that of each of its descendants, in bytes.

    Pages shared between them (a forked worker's copy-on-write memory) count once per
    process, so this is an upper bound on what they hold together.
    """
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            with open(PROC / str(p) / "statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total
