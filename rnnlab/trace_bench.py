"""``python -m rnnlab bench trace``: how long one trace takes, per cell type and length.

Without a run id it trains small runs into a temporary run store: the lesson-bilstm
architecture (2 x Bidirectional LSTM(64), embedding 128, masking) on 2,000 training
rows (timing does not depend on accuracy) with ``max_length`` 128, and the same
architecture with GRU and SimpleRNN cells. Then it times :meth:`Tracer.trace` with and
without integrated gradients on synthetic headlines of 10, 40 and 100 real vocabulary
words, after a warm-up, and reports median and 95th percentile in milliseconds.
The targets (lesson-bilstm, 40 tokens, 2-core CPU): median at most 30 ms without
integrated gradients and 250 ms with them.
"""
from __future__ import annotations

import sys
import tempfile
import time

import numpy as np

from .benchenv import central, merge_repeats
from .cells import CELL_NAMES
from .config import preset
from .analysis.projection import projection_basis
from .analysis.trace import IG_STEPS, Tracer

LENGTHS = (10, 40, 100)
TARGET_TOKENS = 40
TARGET_MS = {"trace_ms": 30.0, "trace_with_ig_ms": 250.0}


def bench_configs():
    """The lesson-bilstm architecture per cell type, small and quick to train."""
    base = preset("lesson-bilstm").replace(train_size=2000, max_length=128)
    return {cell: base.replace(cell=cell) for cell in ("lstm", *[c for c in CELL_NAMES if c != "lstm"])}


def synthetic_headline(tracer: Tracer, n: int, seed: int = 0) -> str:
    """``n`` known vocabulary words, seeded, that the model reads as exactly ``n`` tokens."""
    rng = np.random.default_rng(seed)
    words = tracer.vocabulary[2:]
    for _ in range(20):
        text = " ".join(words[i] for i in rng.integers(0, len(words), n))
        _, tokens, _ = tracer.tokenize(text)
        if len(tokens) == min(n, tracer.max_length) and not any(t.unknown for t in tokens):
            return text
    return text


def time_calls(fn, repeats: int, warmup: int = 3) -> dict:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"median": round(float(np.median(times)), 2), "p95": round(float(np.percentile(times, 95)), 2),
            "min": round(float(np.min(times)), 2)}


def bench_run(run, repeats: int = 30, lengths=None) -> dict:
    lengths = LENGTHS if lengths is None else lengths
    start = time.perf_counter()
    tracer = Tracer(run)
    build_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    projection_basis(tracer)
    basis_ms = (time.perf_counter() - start) * 1000
    out = {"run_id": run.run_id, "describe": run.config.describe(), "max_length": tracer.max_length,
           "tracer_build_ms": round(build_ms, 1), "projection_basis_ms": round(basis_ms, 1)}
    for n in lengths:
        text = synthetic_headline(tracer, n)
        row = {"tokens_traced": len(tracer.tokenize(text)[1])}
        row["trace_ms"] = time_calls(lambda: tracer.trace(text, integrated_gradients=False), repeats)
        row["trace_with_ig_ms"] = time_calls(lambda: tracer.trace(text, integrated_gradients=True), repeats)
        out[f"{n}_tokens"] = row
        print(f"  {run.run_id}: {n} tokens: {row['trace_ms']['median']:.1f} ms "
              f"({row['trace_with_ig_ms']['median']:.1f} ms with integrated gradients)", file=sys.stderr)
    out["tracing_counts"] = tracer.tracing_counts()
    return out


def bench_trace(run_id: str | None = None, repeats: int = 30, repeat: int = 1) -> dict:
    """Time traces of the given run, or of freshly trained small runs (see the module docstring).

    With ``repeat`` above 1 each run's timings are taken that many times (the runs are
    trained once) and every figure becomes its median and range over the repetitions.
    """
    from .devices import configure_devices
    from .runs import RunStore
    device = configure_devices()
    result = {"device": device, "repeats": repeats, "ig_steps": IG_STEPS, "lengths": list(LENGTHS)}

    def timed(run) -> dict:
        return merge_repeats([bench_run(run, repeats) for _ in range(repeat)])

    if run_id is not None:
        run = RunStore().load(run_id)
        result["results"] = {run.config.cell: timed(run)}
        target_cell = run.config.cell
        result["target_run"] = run_id
    else:
        from .training import train
        result["results"] = {}
        with tempfile.TemporaryDirectory(prefix="rnnlab-bench-trace-") as folder:
            store = RunStore(folder)
            for cell, config in bench_configs().items():
                print(f"bench trace: training {config.run_id()} ({config.describe()}, "
                      f"{config.train_size} rows)", file=sys.stderr)
                trained = train(config)
                result["results"][cell] = timed(store.load(store.save_result(trained)))
        target_cell = "lstm"
        result["target_run"] = "lesson-bilstm architecture (train_size 2000, max_length 128)"
    row = result["results"][target_cell].get(f"{TARGET_TOKENS}_tokens")
    if row is not None:
        result["target"] = {
            "tokens": TARGET_TOKENS,
            **{f"{key}_median": central(row[key]["median"]) for key in TARGET_MS},
            **{f"{key}_limit": limit for key, limit in TARGET_MS.items()},
            "met": all(central(row[key]["median"]) <= limit for key, limit in TARGET_MS.items()),
        }
    return result
