"""Many people at once, and memory.

* Load: one real ``streamlit run`` server holding 5 runs; 20 sessions (Streamlit's own
  websocket protocol, as a browser tab speaks it, without a browser) open Explore and
  read new headlines at the same time while one training, started through the Train
  page's form, runs in the server's shared queue. Every session must get its own answer
  (the prediction for its headline, no exception) and the training must finish whole.
  The time of every Explore run is recorded: p50/p95 are printed (``pytest -s``) and
  written to ``test-output/load.json``. Only generous timeouts, no timing assertions.
  The server's RSS at the end (5 runs loaded, 20 sessions) must stay under 1.5 GB.
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
from urllib.parse import urlencode

import pytest

from rnnlab.bench import MEMORY_LIMIT_BYTES
from rnnlab.runs import RunStore
from rnnlab.text import clean_text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_server import streamlit_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"
N_SESSIONS = 20
NEW_HEADLINES = 1                # per session, after opening the page with one
CLASSES = ("World", "Sports", "Business", "Sci/Tech")
RUN_VARIANTS = ({}, {"cell": "lstm"}, {"bidirectional": True}, {"cell": "simple_rnn"}, {"cell": "lstm", "layers": 2})
TRAINING = {"units": 8, "embed_dim": 8, "train_size": 2000, "epochs": 3, "batch_size": 32, "vocab_size": 2000,
            "max_length": 32, "seed": 4242}


def server_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Session:
    """One browser tab as the server sees it: Streamlit's websocket protocol, no browser."""

    def __init__(self, url: str):
        from contextlib import ExitStack

        from websockets.sync.client import connect
        self._stack = ExitStack()
        self.ws = self._stack.enter_context(connect(url.replace("http://", "ws://") + "/_stcore/stream",
                                                    subprotocols=["streamlit"], max_size=None, open_timeout=60,
                                                    ping_interval=None))
        self.ids: dict[str, str] = {}            # widget key -> widget id, from what the server drew

    def close(self) -> None:
        self._stack.close()

    def run(self, page: str, query: dict | None = None, widgets: dict | None = None, timeout: float = 300):
        """One script run: (seconds until the server said it finished, the elements it drew)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = urlencode(query or {})
        for key, value in (widgets or {}).items():
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = self.ids[key]
            if value is True and key.endswith("submit"):
                state.trigger_value = True
            elif isinstance(value, str):
                state.string_value = value
            elif isinstance(value, (list, tuple)):      # segmented controls, pills, multiselects
                state.string_array_value.data.extend(value)
            elif isinstance(value, int):
                state.int_value = value
            else:
                state.double_value = float(value)
        start = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        elements = []
        deadline = time.monotonic() + timeout
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(self.ws.recv(timeout=max(1.0, deadline - time.monotonic())))
            kind = reply.WhichOneof("type")
            if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                elements.append(element)
                inner = getattr(element, element.WhichOneof("type") or "empty", None)
                widget_id = getattr(inner, "id", "")
                if isinstance(widget_id, str) and widget_id.startswith("$$ID-") and widget_id.count("-") >= 2:
                    self.ids[widget_id.split("-", 2)[2]] = widget_id
            elif kind == "script_finished":
                return time.perf_counter() - start, elements


def texts_of(elements, kind: str) -> list[str]:
    out = []
    for element in elements:
        if element.WhichOneof("type") == kind:
            inner = getattr(element, kind)
            out.append(getattr(inner, "body", "") or getattr(inner, "value", ""))
    return out


def answer(elements) -> tuple[str | None, list[str]]:
    """The predicted topic drawn, and every text element (the cleaned headline is one)."""
    predicted = [e.metric.body for e in elements if e.WhichOneof("type") == "metric"
                 and e.metric.label == "Predicted topic"]
    return (predicted[0] if len(predicted) == 1 else None), texts_of(elements, "text")


def check_explore(elements, headline: str) -> None:
    assert not [e for e in elements if e.WhichOneof("type") == "exception"], \
        [e.exception.message for e in elements if e.WhichOneof("type") == "exception"]
    predicted, shown = answer(elements)
    assert predicted in CLASSES, (headline, texts_of(elements, "alert"))
    assert clean_text(headline) in shown, (headline, shown)       # the answer is for this session's headline


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


def start_training(url: str) -> tuple[Session, float]:
    """Submit a small training through the Train page's form, as a person would."""
    session = Session(url)
    _, elements = session.run("train")
    assert "cfg.units" in session.ids and "train_submit" in session.ids, sorted(session.ids)[:40]
    form = {f"cfg.{name}": value for name, value in TRAINING.items()}
    seconds, elements = session.run("train", widgets={**form, "train_submit": True})
    assert not [e for e in elements if e.WhichOneof("type") == "exception"]
    from streamlit.proto.Alert_pb2 import Alert
    errors = [e.alert.body for e in elements if e.WhichOneof("type") == "alert" and e.alert.format == Alert.ERROR]
    assert not errors, errors
    return session, time.monotonic()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def test_twenty_sessions_explore_while_a_training_runs(server):
    url, run_ids, store = server["url"], server["run_ids"], server["store"]

    def trained() -> list:
        return [r for r in store.list() if r.run_id not in run_ids]

    # Warm-up: each run is loaded once (model, tracer, PCA basis, neuron sample), as its first visitor would.
    warm = {}

    def first_visit(run_id):
        s = Session(url)
        try:
            warm[run_id], elements = s.run("explore", {"run": run_id, "headline": "Warm up the server"})
            check_explore(elements, "Warm up the server")
        finally:
            s.close()

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
            seconds, elements = session.run("explore", {"run": run_ids[i % len(run_ids)], "headline": headline})
            check_explore(elements, headline)
            with lock:
                timings["open"].append(seconds)
                finished_at.append(time.monotonic())
            for k in range(NEW_HEADLINES):
                headline = f"Headline {k} of person {i}: company {i * 7 + k} reports record profit"
                seconds, elements = session.run("explore", widgets={"explore_headline": headline})
                check_explore(elements, headline)
                with lock:
                    timings["new_headline"].append(seconds)
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
    deadline = time.monotonic() + 300
    while not trained() and time.monotonic() < deadline:
        time.sleep(0.5)
    training_done = time.monotonic()
    new = trained()
    assert len(new) == 1 and new[0].ok, f"the training never finished whole: {[(r.run_id, r.damaged) for r in new]}"
    assert all(getattr(new[0].config, name) == value for name, value in TRAINING.items()), new[0].config
    trainer.close()
    rss = server_rss(server["pid"])

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
          f"server RSS {figures['server_rss_mb']} MB with {len(run_ids)} runs loaded")
    assert rss < MEMORY_LIMIT_BYTES


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
