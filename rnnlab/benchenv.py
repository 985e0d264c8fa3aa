"""What every bench says about the machine it ran on, and how it sums up repetitions.

A timing taken while other work runs measures that work as much as ours. So each bench
prints the CPU count and the 1-minute load average before and after, and the average
number of CPUs other processes kept busy meanwhile (the machine's busy time from
``/proc/stat`` less that of the bench and its child processes: the load average after a
bench counts the bench itself). Above :data:`LOAD_LIMIT` it warns that its figures are
not valid. ``--repeat N`` runs a bench N times and reports the median and the spread.
"""
from __future__ import annotations

import ctypes
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass

from . import proctree
from .usage import UsageError

LOAD_LIMIT = 0.5
WARNING = "other work is running: these figures are not valid"


@dataclass
class Spread:
    """Median and range of one figure over repetitions."""

    median: float
    min: float
    max: float

    def __str__(self) -> str:
        if self.min == self.max:
            return f"{self.median:g}"
        return f"{self.median:g} ({self.min:g}-{self.max:g})"


def spread(values, digits: int = 3) -> Spread | None:
    """The median and range of the numbers among ``values`` (None ones are skipped), or None if none."""
    numbers = [v for v in values if v is not None]
    if not numbers:
        return None
    return Spread(round(statistics.median(numbers), digits), round(min(numbers), digits),
                  round(max(numbers), digits))


def percentile(values, q: float) -> float:
    """The ``q``-th percentile of ``values`` by nearest rank (no interpolation between two timings)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def merge_repeats(results: list):
    """One result out of repeated ones (dicts, as the benches return them).

    A value equal in every repetition stays as it is; numbers that differ become
    ``{"median", "min", "max"}``; other values that differ become the list of them.
    """
    first = results[0]
    if all(r == first for r in results):
        return first
    if all(isinstance(r, dict) for r in results):
        return {key: merge_repeats([r.get(key) for r in results]) for key in first}
    if all(isinstance(r, (int, float)) and not isinstance(r, bool) for r in results):
        return asdict(spread(results))
    return list(results)


def is_spread(value) -> bool:
    return isinstance(value, dict) and set(value) == {"median", "min", "max"}


def central(value):
    """A figure as one number: the median of a merged spread, else the figure itself."""
    return value["median"] if is_spread(value) else value


def check_repeat(repeat: int) -> int:
    if repeat < 1:
        raise UsageError(f"--repeat must be at least 1, not {repeat}")
    return repeat


_PR_SET_CHILD_SUBREAPER = 36


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (``/proc/stat``), or None off Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class Environment:
    """The machine around one bench: CPUs, load before and after, other processes' use meanwhile."""

    cpus: int
    load_average_before: float | None
    load_average_after: float | None
    other_cpus_busy: float | None       # CPUs kept busy by processes outside the bench, on average
    valid: bool                         # False when other work ran: the figures are not to be trusted


def adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (Linux).

    A server's compute worker outlives the server by a moment and would be reaped by
    init: its CPU time would then count as "other processes" instead of the bench's own.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def reap_children() -> None:
    """Collect ended children, so their CPU time joins this process's own (cutime, cstime)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class EnvironmentWatch:
    """Started before a bench, finished after it: prints and checks the machine's load."""

    def __init__(self, name: str, stream=None):
        adopt_orphans()
        self.name, self.stream = name, stream or sys.stderr
        self.cpus, self.load_before = cpu_count(), load_average()
        self._busy, self._own = machine_busy_seconds(), proctree.cpu_seconds(os.getpid())
        self._start = time.monotonic()
        print(f"{name}: {self.cpus} CPUs, load average {self.load_before} (1 min) before", file=self.stream)
        self._warn_if(self.load_before is not None and self.load_before > LOAD_LIMIT,
                      f"load average {self.load_before} > {LOAD_LIMIT} before the bench")

    def finish(self) -> Environment:
        """Call after the bench's child processes have ended, so their CPU time counts as its own."""
        other = None
        time.sleep(0.5)             # let a stopped server's last orphans end, then collect them
        reap_children()
        busy = machine_busy_seconds()
        wall = time.monotonic() - self._start
        if busy is not None and self._busy is not None and wall > 0:
            own = proctree.cpu_seconds(os.getpid()) - self._own
            other = round(max(0.0, (busy - self._busy - own) / wall), 2)
        load_after = load_average()
        print(f"{self.name}: {self.cpus} CPUs, load average {load_after} (1 min) after, of which the bench's own "
              f"work is part; other processes kept {other} CPUs busy meanwhile", file=self.stream)
        self._warn_if(other is not None and other > LOAD_LIMIT,
                      f"other processes kept {other} CPUs busy during the bench")
        before_ok = self.load_before is None or self.load_before <= LOAD_LIMIT
        return Environment(self.cpus, self.load_before, load_after, other,
                           valid=before_ok and (other is None or other <= LOAD_LIMIT))

    def _warn_if(self, condition: bool, why: str) -> None:
        if condition:
            print(f"{self.name}: warning: {WARNING} ({why})", file=self.stream)
