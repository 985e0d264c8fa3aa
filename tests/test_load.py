"""Many people at once, memory, and a long day.

* Load: one real ``streamlit run`` server holding 5 runs; 20 sessions (Streamlit's own
  websocket protocol, as a browser tab speaks it, without a browser:
  :mod:`rnnlab.appclient`) open Explore and read new headlines at the same time while one
  training, started through the Train page's form, runs in the server's shared queue.
  Every session must get its own answer (the prediction for its headline, no exception)
  and the training must finish whole. The time of every Explore run is recorded: p50/p95
  are printed (``pytest -s``) and written to ``test-output/load.json``. Only generous
  timeouts, no timing assertions. The RSS of the server and its descendant processes
  at the end (5 runs loaded, 20 sessions) must stay under 1.5 GB.
* Burst: 30 sessions, warmed up, ask for a new headline each at the same moment; all
  must get their own answer (``test-output/burst.json``).
* Soak: one server, 10 trainings through the Train form and 100 Explore runs; the RSS
  after the 10th training may exceed that after the 2nd by at most 150 MB (a model kept
  per training would show here).
* ``python -m rnnlab bench app`` runs on a tiny run and every session is answered.
* Memory: ``python -m rnnlab bench memory`` holds 5 realistic runs (every preset's
  architecture, lesson-bilstm included) with tracers and traces; RSS under 1.5 GB.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rnnlab.app_bench import Headlines, burst
from rnnlab.appclient import ScriptRun, Session, explore_problem
from rnnlab.bench import MEMORY_LIMIT_BYTES
from rnnlab.benchenv import percentile
from rnnlab.proctree import rss_bytes
from rnnlab.runs import RunStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_server import streamlit_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"
N_SESSIONS = 20
BURST_SESSIONS = 30
NEW_HEADLINES = 1                # per session, after opening the page with one
RUN_VARIANTS = ({}, {"cell": "lstm"}, {"bidirectional": True}, {"cell": "simple_rnn"}, {"cell": "lstm", "layers": 2})
TRAINING = {"units": 8, "embed_dim": 8, "train_size": 2000, "epochs": 3, "batch_size": 32, "vocab_size": 2000,
            "max_length": 32, "seed": 4242}
SOAK_TRAININGS = 10
SOAK_EXPLORES_PER_TRAINING = 10
SOAK_GROWTH_LIMIT = 150_000_000
# Quick to train, but with a large embedding (30,000 x 256 floats: 31 MB), so that a model kept
# per training stands out of the noise: 8 kept models would add 250 MB.
SOAK_TRAINING = {"units": 8, "embed_dim": 256, "train_size": 400, "epochs": 1, "batch_size": 32,
                 "vocab_size": 30_000, "max_length": 32}


def check_explore(run: ScriptRun, headline: str) -> None:
    problem = explore_problem(run, headline)
    assert problem is None, problem


@pytest.fixture(scope="module")
def server(make_run, tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("load-runs"))
    run_ids = []
    for changes in RUN_VARIANTS:
        run = make_run(**changes)
        store.save(run.run_id, run.model, run.config, run.history, run.metrics)
        run_ids.append(run.run_id)
    with streamlit_server(store.root, tmp_path_factory.mktemp("load-log") / "streamlit.log") as (url, proc):
        yield {"url": url, "pid": proc.pid, "store": store, "run_ids": run_ids}


def start_training(url: str, training: dict = TRAINING) -> tuple[Session, float]:
    """Submit a small training through the Train page's form, as a person would."""
    session = Session(url)
    session.run("train")
    assert "cfg.units" in session.ids and "train_submit" in session.ids, sorted(session.ids)[:40]
    form = {f"cfg.{name}": value for name, value in training.items()}
    run = session.run("train", widgets={**form, "train_submit": True})
    assert not run.exceptions(), run.exceptions()
    assert not run.errors(), run.errors()
    return session, time.monotonic()


def wait_for_new_runs(store: RunStore, known: set[str], count: int, timeout: float = 300) -> list:
    """The runs beyond ``known`` once there are ``count`` of them (or the timeout has passed)."""
    deadline = time.monotonic() + timeout
    new = [r for r in store.list() if r.run_id not in known]
    while len(new) < count and time.monotonic() < deadline:
        time.sleep(0.5)
        new = [r for r in store.list() if r.run_id not in known]
    return new


def test_twenty_sessions_explore_while_a_training_runs(server):
    url, run_ids, store = server["url"], server["run_ids"], server["store"]

    def trained() -> list:
        return [r for r in store.list() if r.run_id not in run_ids]

    # Warm-up: each run is loaded once (model, tracer, PCA basis, neuron sample), as its first visitor would.
    warm = {}

    def first_visit(run_id):
        with Session(url) as s:
            run = s.run("explore", {"run": run_id, "headline": "Warm up the server"})
            check_explore(run, "Warm up the server")
            warm[run_id] = run.seconds

    warmers = [threading.Thread(target=first_visit, args=(run_id,), daemon=True) for run_id in run_ids]
    for t in warmers:
        t.start()
    for t in warmers:
        t.join(timeout=300)
    assert sorted(warm) == sorted(run_ids), "a run never loaded"

    trainer, started = start_training(url)
    timings: dict[str, list[float]] = {"open": [], "new_headline": []}
    finished_at: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def person(i: int) -> None:
        session = None
        try:
            session = Session(url)
            headline = f"Team {i} wins the cup as stocks rally on oil news"
            run = session.run("explore", {"run": run_ids[i % len(run_ids)], "headline": headline})
            check_explore(run, headline)
            with lock:
                timings["open"].append(run.seconds)
                finished_at.append(time.monotonic())
            for k in range(NEW_HEADLINES):
                headline = f"Headline {k} of person {i}: company {i * 7 + k} reports record profit"
                run = session.run("explore", widgets={"explore_headline": headline})
                check_explore(run, headline)
                with lock:
                    timings["new_headline"].append(run.seconds)
                    finished_at.append(time.monotonic())
        except BaseException as exc:  # noqa: BLE001 - reported below, per person
            with lock:
                failures.append(f"person {i}: {type(exc).__name__}: {exc}"[:2000])
        finally:
            if session is not None:
                session.close()

    assert trained() == [], "the training should still be running"
    t0 = time.monotonic()
    threads = [threading.Thread(target=person, args=(i,), daemon=True) for i in range(N_SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.monotonic() - t0
    assert not any(t.is_alive() for t in threads), "a session never got its answer"
    assert not failures, "\n".join(failures)

    # The training went on meanwhile, and ends whole in the store.
    new = wait_for_new_runs(store, set(run_ids), 1)
    training_done = time.monotonic()
    assert len(new) == 1 and new[0].ok, f"the training never finished whole: {[(r.run_id, r.damaged) for r in new]}"
    assert all(getattr(new[0].config, name) == value for name, value in TRAINING.items()), new[0].config
    trainer.close()
    rss = rss_bytes(server["pid"])

    runs = timings["open"] + timings["new_headline"]
    assert len(runs) == N_SESSIONS * (1 + NEW_HEADLINES)
    figures = {
        "sessions": N_SESSIONS, "explore_runs": len(runs), "cpus": os.cpu_count(),
        "p50_s": round(statistics.median(runs), 2), "p95_s": round(percentile(runs, 95), 2),
        "max_s": round(max(runs), 2),
        "open_p50_s": round(statistics.median(timings["open"]), 2),
        "open_p95_s": round(percentile(timings["open"], 95), 2),
        "new_headline_p50_s": round(statistics.median(timings["new_headline"]), 2),
        "new_headline_p95_s": round(percentile(timings["new_headline"], 95), 2),
        "wall_s": round(wall, 1), "warm_up_first_visit_s": {k: round(v, 2) for k, v in warm.items()},
        "training": {"run_id": new[0].run_id, "seconds_after_submit": round(training_done - started, 1),
                     "explore_runs_during_training": sum(1 for t in finished_at if t <= training_done)},
        "server_rss_mb": round(rss / 1e6, 1), "runs_held": len(run_ids),
    }
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "load.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nload: {N_SESSIONS} sessions, {len(runs)} Explore runs while one training ran: "
          f"p50 {figures['p50_s']} s, p95 {figures['p95_s']} s (max {figures['max_s']} s); "
          f"server RSS (with its descendants) {figures['server_rss_mb']} MB with {len(run_ids)} runs loaded")
    assert rss < MEMORY_LIMIT_BYTES


def test_thirty_sessions_ask_for_new_headlines_at_the_same_moment(server):
    """All warmed up on one run, 30 sessions type a headline of their own at once; each gets its answer."""
    result = burst(server["url"], server["pid"], server["run_ids"][0], BURST_SESSIONS, Headlines())
    assert result.answered == BURST_SESSIONS, "\n".join(result.problems)
    rss = rss_bytes(server["pid"])
    figures = {"sessions": BURST_SESSIONS, "answered": result.answered, "cpus": os.cpu_count(),
               "p50_s": round(statistics.median(result.seconds), 2),
               "p95_s": round(percentile(result.seconds, 95), 2), "max_s": round(max(result.seconds), 2),
               "server_cpu_s_per_run": result.cpu_seconds_per_run, "server_rss_mb": round(rss / 1e6, 1)}
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "burst.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nburst: {BURST_SESSIONS} sessions at once: p50 {figures['p50_s']} s, p95 {figures['p95_s']} s, "
          f"server CPU {figures['server_cpu_s_per_run']} s per Explore run, RSS {figures['server_rss_mb']} MB")
    assert rss < MEMORY_LIMIT_BYTES


def test_ten_trainings_and_a_hundred_explore_runs_do_not_grow_the_server(make_run, tmp_path):
    """A long day on one server: memory after the 10th training stays within 150 MB of that after the 2nd.

    Each training goes through the Train form (distinct seeds, so distinct runs) while
    one session reads 10 new headlines on Explore (always on the same run, so the
    server's per-run caches do not grow); the RSS of the server and its descendants is
    taken once each training is whole in the store.
    """
    run = make_run()
    store = RunStore(tmp_path / "runs")
    store.save(run.run_id, run.model, run.config, run.history, run.metrics)
    headlines = Headlines()
    rss = []
    with streamlit_server(store.root, tmp_path / "streamlit.log") as (url, proc), Session(url) as reader:
        check_explore(reader.run("explore", {"run": run.run_id, "headline": "Warm up the server"}),
                      "Warm up the server")
        for t in range(SOAK_TRAININGS):
            known = {r.run_id for r in store.list()}
            trainer, _ = start_training(url, {**SOAK_TRAINING, "seed": 7000 + t})
            for _ in range(SOAK_EXPLORES_PER_TRAINING):
                headline = next(headlines)
                check_explore(reader.run("explore", widgets={"explore_headline": headline}), headline)
            new = wait_for_new_runs(store, known, 1)
            trainer.close()
            assert len(new) == 1 and new[0].ok and new[0].config.seed == 7000 + t, \
                f"training {t + 1} never finished whole: {[(r.run_id, r.damaged) for r in new]}"
            rss.append(rss_bytes(proc.pid))
    growth = rss[-1] - rss[1]
    print(f"\nsoak: RSS after each training (MB): {[round(r / 1e6) for r in rss]}; "
          f"growth from the 2nd to the 10th {growth / 1e6:.0f} MB")
    assert growth <= SOAK_GROWTH_LIMIT, f"the server grew {growth / 1e6:.0f} MB over 8 trainings"


def test_bench_app_answers_every_session(make_run, tmp_path):
    """``bench app`` on a tiny run: every session answered, CPU counted, the switch timed, the machine reported.
    In Norwegian: the sessions find the prediction under its Norwegian label (the English
    label is what the other load tests read)."""
    run = make_run()
    store = RunStore(tmp_path / "runs")
    store.save(run.run_id, run.model, run.config, run.history, run.metrics)
    env = {**os.environ, "RNNLAB_RUNS_DIR": str(store.root)}
    proc = subprocess.run([sys.executable, "-m", "rnnlab", "bench", "app", "--sessions", "1,3", "--lang", "nb", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["run_id"] == run.run_id and [b["sessions"] for b in result["bursts"]] == [1, 3]
    assert result["lang"] == "nb"
    for b in result["bursts"]:
        assert b["answered"]["min"] == b["sessions"], b["problems"]
        assert b["p50_s"]["median"] > 0 and b["server_cpu_s_per_run"]["median"] > 0
    assert result["switch_key"] == "explore_attr" and result["switch_s"]["median"] > 0, result["switch_problems"]
    assert result["environment"]["cpus"] >= 1 and "load average" in proc.stderr


def test_bench_memory_holds_five_runs_under_the_limit(tmp_path):
    env = {**os.environ, "RNNLAB_RUNS_DIR": str(tmp_path / "unused")}
    proc = subprocess.run([sys.executable, "-m", "rnnlab", "bench", "memory", "--train-size", "400", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert len(result["runs"]) == 5
    assert any(r["model"].startswith("2 x Bidirectional LSTM(64)") for r in result["runs"])
    assert result["rss_after_mb"] * 1e6 < MEMORY_LIMIT_BYTES and result["under_limit"]
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "memory.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nbench memory: RSS {result['rss_start_mb']} MB at start, {result['rss_after_mb']} MB holding 5 runs "
          f"(peak {result['peak_mb']} MB)")


@pytest.mark.parametrize("argv, message", [(["--count", "0"], "--count must be at least 1"),
                                           (["--store", "{tmp}", "--count", "5"], "holds 0 whole runs")])
def test_bench_memory_refuses_bad_requests(tmp_path, capsys, argv, message):
    from rnnlab import cli
    code = cli.main(["bench", "memory", *[a.replace("{tmp}", str(tmp_path)) for a in argv]])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
