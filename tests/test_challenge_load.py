"""Load test of the class board: 30 submitters at once, in threads and in processes (each
with its own connections), some retrying the same submission; nothing lost, nothing twice."""
from __future__ import annotations

import multiprocessing
import threading

from rnnlab import challenge
from rnnlab.challenge import Classroom

THREADS, PROCESSES, PER_SUBMITTER = 24, 6, 5


def submitter(path: str, who: str, start=None) -> list[str]:
    """Submit PER_SUBMITTER headlines, every second one twice (a retried click); return any error."""
    if start is not None:
        start.wait()
    errors = []
    board = Classroom(path)             # its own object: a fresh schema check and connections
    for i in range(PER_SUBMITTER):
        sid = f"{who}-{i}"
        for _ in range(2 if i % 2 else 1):
            try:
                board.submit(f"{who} headline {i}, \"quoted\"", i % 4, "run-load", (i + 1) % 4, 0.5 + i / 100,
                             who, sid)
            except Exception as exc:  # noqa: BLE001 - the test counts every escape
                errors.append(f"{who}: {type(exc).__name__}: {exc}")
    return errors


def _in_process(path: str, who: str, start, out) -> None:
    out.put(submitter(path, who, start))


def test_thirty_concurrent_submitters_lose_nothing_and_duplicate_nothing(tmp_path):
    path = str(challenge.default_path(tmp_path))      # a new file: every submitter races to create it
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=_in_process, args=(path, f"p{n}", start, out)) for n in range(PROCESSES)]
    for p in processes:
        p.start()
    barrier = threading.Barrier(THREADS)
    errors: list[str] = []

    def run(n: int) -> None:
        barrier.wait()
        errors.extend(submitter(path, f"t{n}"))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    start.set()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for _ in processes:
        errors.extend(out.get(timeout=120))
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0

    assert errors == []
    rows = Classroom(path).submissions()
    ids = [s.submission_id for s in rows]
    expected = {f"{who}-{i}" for who in [f"t{n}" for n in range(THREADS)] + [f"p{n}" for n in range(PROCESSES)]
                for i in range(PER_SUBMITTER)}
    assert len(ids) == len(set(ids))                   # no duplicates
    assert set(ids) == expected                        # none lost
    assert len(Classroom(path).leaderboard("run-load", limit=1000)) == len(expected)
