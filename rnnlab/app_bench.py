"""``python -m rnnlab bench app``: how fast the real app server answers a class at once.

It starts ``streamlit run app.py`` (headless, loopback, a free port) on the run store
and, for each number N of ``--sessions``, opens N sessions (Streamlit's websocket
protocol, as a browser tab speaks it: :mod:`rnnlab.appclient`). Each first opens Explore
once on the run (not timed); then all N at the same moment type a new headline of their
own into Explore. Per session it records the seconds until the server finished that
script run, and checks that the page shows the prediction for that session's headline.
It reports, per N, how many sessions were answered, the median (p50) and 95th
percentile (p95) of those seconds, and the server's CPU seconds per Explore run: the
CPU time of the server process and all its descendants (worker processes count) over
the burst, divided by N. Then one session switches one control on Explore
(:data:`SWITCH_KEY`, the attribution method) back and forth a few times: the median
seconds of a switch.

The sessions are driven from this process, which parses what the server sends: on a
small machine that competes with the server for the CPUs. Every repetition of
``--repeat`` starts a fresh server, so no cache outlives it.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import urllib.request
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import proctree
from .appclient import Session, explore_problem
from .appserver import streamlit_server
from .benchenv import Spread, percentile, spread
from .i18n import DEFAULT_LANG
from .usage import UsageError

PAGE = "explore"
HEADLINE_KEY = "explore_headline"
SWITCH_KEY = "explore_attr"               # the Explore control whose switch is timed
SWITCHES = 5
MAX_SESSIONS = 200
RUN_TIMEOUT_S = 300.0                     # one script run; a session waiting longer is not answered
WARM_HEADLINE = "Markets open the week quietly as traders wait for news"
SUBJECTS = ("Oil prices", "The home team", "Shares in a chip maker", "Rebels in the north", "A space probe",
            "The central bank", "A striker", "Car makers")
EVENTS = ("rise after talks", "win the cup final", "fall on weak sales", "agree to a ceasefire",
          "sends back new images", "holds interest rates", "signs a new contract", "recall a million cars")


class Headlines:
    """Distinct headlines, so that no session's trace is already in the server's caches."""

    def __init__(self):
        self._count = itertools.count(1)

    def __next__(self) -> str:
        i = next(self._count)
        return f"{SUBJECTS[i % len(SUBJECTS)]} {EVENTS[i // len(SUBJECTS) % len(EVENTS)]} in week {i}"

    def __iter__(self):
        return self


@dataclass
class Burst:
    """One burst of N sessions in one repetition."""

    sessions: int
    seconds: list[float]                  # per answered session
    cpu_seconds_per_run: float
    problems: list[str]

    @property
    def answered(self) -> int:
        return len(self.seconds)


@dataclass
class BurstSummary:
    """One N over all repetitions: each figure's median and range."""

    sessions: int
    answered: Spread
    p50_s: Spread | None
    p95_s: Spread | None
    server_cpu_s_per_run: Spread | None
    problems: list[str] = field(default_factory=list)     # the first few, over all repetitions


@dataclass
class AppBenchResult:
    run_id: str
    repeat: int
    bursts: list[BurstSummary]
    switch_key: str
    switch_s: Spread | None               # each repetition's median over SWITCHES switches
    switch_problems: list[str]
    rss_mb: Spread | None = None          # the server and its descendants (page process, worker) at the end
    lang: str = DEFAULT_LANG              # every session's language (its charts, numbers and texts)


def parse_sessions(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or any(not 1 <= c <= MAX_SESSIONS for c in counts):
        raise UsageError(f"bench app: --sessions takes numbers from 1 to {MAX_SESSIONS} separated by commas "
                         f"(e.g. 1,10,30), not {text!r}")
    return list(dict.fromkeys(counts))


def pick_run(store, run_id: str | None) -> str:
    """``run_id`` if it is a whole run in ``store``; by default the quick preset's run, else the newest whole run."""
    from .config import preset
    whole = [r.run_id for r in store.list() if r.ok]
    if run_id is not None:
        if run_id not in whole:
            raise UsageError(f"bench app: {store.root} holds no whole run {run_id!r}")
        return run_id
    if not whole:
        raise UsageError(f"bench app: the run store {store.root} holds no whole run: "
                         "train one first (python -m rnnlab train)")
    quick = preset("quick").run_id()
    return quick if quick in whole else whole[0]


@dataclass
class _Served:
    url: str
    pid: int                                  # CPU is summed over this process and its descendants
    logged_traceback: object                  # () -> str | None


@contextlib.contextmanager
def _serve(store_root: Path, folder: Path, workers: int):
    """One ``streamlit run`` (workers == 1), or ``python -m rnnlab serve --workers N``:
    N app processes and one compute worker behind nginx."""
    if workers == 1:
        with streamlit_server(store_root, folder / "streamlit.log", timeout=120) as server:
            yield _Served(server.url, server.pid, server.logged_traceback)
        return
    from .appserver import free_port
    with open(folder / "serve.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rnnlab", "serve", "--workers", str(workers), "--port",
                                 str(free_port()), "--json"], env={**os.environ, "RNNLAB_RUNS_DIR": str(store_root)},
                                text=True, stdout=subprocess.PIPE, stderr=log)
    try:
        lines = []
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
            if not lines[-1]:
                raise UsageError(f"bench app: serve ended: {(folder / 'serve.log').read_text()[-500:]}")
        yield _Served(json.loads("".join(lines))["url"], proc.pid, lambda: None)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def _browser_headers(url: str) -> dict:
    """What a browser sends after its first page load: nginx's sticky cookie (if any) and its origin."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + "/", timeout=60) as reply:
        cookie = reply.headers.get("Set-Cookie", "").split(";")[0]
    return {"Cookie": cookie, "Origin": url} if cookie else {}


def bench_app(store, run_id: str, sessions=(1, 10, 30), repeat: int = 1, workers: int = 1,
              lang: str = DEFAULT_LANG) -> AppBenchResult:
    """The bench on ``run_id`` (see :func:`pick_run`) of the run store ``store``, ``repeat`` times;
    ``workers`` > 1 measures ``serve --workers N`` (nginx in front) instead of one server;
    every session opens Explore in ``lang``."""
    headlines = Headlines()
    bursts: dict[int, list[Burst]] = {n: [] for n in sessions}
    switches: list[float] = []
    switch_problems: list[str] = []
    rss: list[float] = []
    for r in range(1, repeat + 1):
        with tempfile.TemporaryDirectory(prefix="rnnlab-bench-app-") as folder, \
                _serve(Path(store.root).resolve(), Path(folder), workers) as server:
            print(f"bench app: repetition {r}/{repeat}: server at {server.url} (pid {server.pid}), "
                  f"run {run_id}", file=sys.stderr)
            for n in sessions:
                bursts[n].append(burst(server.url, server.pid, run_id, n, headlines, lang))
                print(f"  {n} sessions: {bursts[n][-1].answered}/{n} answered", file=sys.stderr)
            seconds, problems = _switches(server.url, run_id, next(headlines), lang)
            if seconds:
                switches.append(statistics.median(seconds))
            switch_problems.extend(problems)
            rss.append(round(proctree.rss_bytes(server.pid) / 1e6))
            traceback = server.logged_traceback()
            if traceback:
                print(f"bench app: warning: the server logged a traceback:\n{traceback}", file=sys.stderr)
    return AppBenchResult(run_id, repeat, [_summary(n, bursts[n]) for n in sessions], SWITCH_KEY,
                          spread(switches), switch_problems[:5], spread(rss), lang)


def _summary(n: int, bursts: list[Burst]) -> BurstSummary:
    return BurstSummary(
        n, spread([b.answered for b in bursts]),
        spread([statistics.median(b.seconds) if b.seconds else None for b in bursts]),
        spread([percentile(b.seconds, 95) if b.seconds else None for b in bursts]),
        spread([b.cpu_seconds_per_run for b in bursts]),
        list(dict.fromkeys(p for b in bursts for p in b.problems))[:5])


def _opening(run_id: str, headline: str, lang: str) -> dict:
    """The query of a link to Explore on ``run_id`` and ``headline`` in ``lang``."""
    return {"run": run_id, "headline": headline, **({"lang": lang} if lang != DEFAULT_LANG else {})}


def burst(url: str, server_pid: int, run_id: str, n: int, headlines: Headlines, lang: str = DEFAULT_LANG) -> Burst:
    """N sessions warm up on Explore, then all ask for a new headline at the same moment."""
    own = [next(headlines) for _ in range(n)]
    seconds: list[float | None] = [None] * n
    problems: list[str | None] = [None] * n
    gate = threading.Barrier(n + 1, timeout=RUN_TIMEOUT_S * 2)    # all warmed up; then: go

    def person(i: int) -> None:
        session = None
        try:
            session = Session(url, headers=_browser_headers(url))
            problems[i] = explore_problem(session.run(PAGE, _opening(run_id, WARM_HEADLINE, lang),
                                                      timeout=RUN_TIMEOUT_S), WARM_HEADLINE, lang)
        except Exception as exc:  # noqa: BLE001 - reported per session
            problems[i] = f"warm-up: {type(exc).__name__}: {exc}"
        try:
            gate.wait()
            gate.wait()
            if problems[i] is None:
                run = session.run(PAGE, widgets={HEADLINE_KEY: own[i]}, timeout=RUN_TIMEOUT_S)
                problems[i] = explore_problem(run, own[i], lang)
                seconds[i] = None if problems[i] else run.seconds
        except Exception as exc:  # noqa: BLE001 - reported per session
            problems[i] = f"{type(exc).__name__}: {exc}"
        finally:
            if session is not None:
                session.close()

    threads = [threading.Thread(target=person, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    gate.wait()
    cpu_before = proctree.cpu_seconds(server_pid)
    gate.wait()
    deadline = time.monotonic() + RUN_TIMEOUT_S + 60
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    cpu = proctree.cpu_seconds(server_pid) - cpu_before
    for i, t in enumerate(threads):
        if t.is_alive():
            problems[i] = f"no answer within {RUN_TIMEOUT_S + 60:g} s"
    return Burst(n, [s for s in seconds if s is not None], round(cpu / n, 3),
                 [f"session {i}: {p}"[:500] for i, p in enumerate(problems) if p])


def _switches(url: str, run_id: str, headline: str, lang: str) -> tuple[list[float], list[str]]:
    """Seconds of each switch of :data:`SWITCH_KEY` back and forth by one session, and what went wrong."""
    with Session(url, headers=_browser_headers(url)) as session:
        problem = explore_problem(session.run(PAGE, _opening(run_id, headline, lang), timeout=RUN_TIMEOUT_S),
                                  headline, lang)
        if problem:
            return [], [f"switch: {problem}"]
        if SWITCH_KEY not in session.widgets:
            return [], [f"switch: Explore drew no control with key {SWITCH_KEY!r}"]
        options = session.options(SWITCH_KEY)
        if len(options) < 2:
            return [], [f"switch: the control {SWITCH_KEY!r} offers {len(options)} option(s), nothing to switch"]
        seconds, problems = [], []
        for k in range(SWITCHES):
            run = session.run(PAGE, widgets={SWITCH_KEY: [options[(k + 1) % len(options)]]}, timeout=RUN_TIMEOUT_S)
            if run.exceptions():
                problems.append(f"switch: the page raised: {run.exceptions()[0][:300]}")
            else:
                seconds.append(run.seconds)
        return seconds, problems


def print_report(result: AppBenchResult) -> None:
    over = f", median (min-max) over {result.repeat} repetitions" if result.repeat > 1 else ""
    print(f"bench app: run {result.run_id}, language {result.lang}{over}")
    print(f"{'sessions':>8}  {'answered':>12}  {'p50 s':>18}  {'p95 s':>18}  {'server CPU s per Explore run':>28}")
    for b in result.bursts:
        print(f"{b.sessions:>8}  {f'{b.answered} of {b.sessions}':>12}  {str(b.p50_s):>18}  {str(b.p95_s):>18}  "
              f"{str(b.server_cpu_s_per_run):>28}")
        for problem in b.problems:
            print(f"          not answered: {problem}")
    print(f"switching {result.switch_key} on Explore: {result.switch_s} s (median of {SWITCHES} switches)")
    print(f"memory of the server and its worker at the end: {result.rss_mb} MB")
    for problem in result.switch_problems:
        print(f"          {problem}")
