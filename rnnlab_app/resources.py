"""Server-wide resources, cached once per server process and shared by every visitor.

The run store and training queue are singletons per store folder; loaded runs are
keyed by run id *and* its files' stamp (:meth:`RunStore.stamp`), so a run that was retrained
or deleted is never served stale; a :class:`rnnlab.trace.Tracer` is built once per
loaded run and traces are cached per (run, text), so a rerun for a headline already
seen does no work at all and a new headline reuses the run's compiled functions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab.config import RunConfig
from rnnlab.data import AgNews, DataError, load_ag_news
from rnnlab.jobs import TrainingQueue
from rnnlab.runs import LoadedRun, RunInfo, RunStore, RunStoreError, check_run_id, default_store_dir


def runs_root() -> str:
    """The run store's folder: ``$RNNLAB_RUNS_DIR`` or ``./runs`` (read on every call)."""
    return str(default_store_dir().expanduser().resolve())


@st.cache_resource(show_spinner=False)
def _store(root: str) -> RunStore:
    # No clean_leftovers() here: another server sharing this store may be mid-save.
    return RunStore(root)


@st.cache_resource(show_spinner=False)
def _queue(root: str) -> TrainingQueue:
    return TrainingQueue(_store(root))


def store() -> RunStore:
    return _store(runs_root())


def queue() -> TrainingQueue:
    return _queue(runs_root())


@st.cache_resource(show_spinner=False)
def device() -> str:
    """'CPU' or the GPU's name; configures GPU memory growth once."""
    try:
        from rnnlab.devices import configure_devices
        return configure_devices()
    except Exception as exc:  # a broken driver must not take the home page down
        return f"CPU ({type(exc).__name__})"


# -- data --------------------------------------------------------------------------------

def data() -> tuple[AgNews | None, str]:
    """The AG News splits (the library caches them), or None and what went wrong."""
    try:
        return load_ag_news(), ""
    except DataError as exc:
        return None, str(exc)


def data_key(ag: AgNews) -> str:
    """A cache key for derived data: the source and the sizes."""
    return f"{ag.source}|{len(ag.train)}|{len(ag.test)}"


@st.cache_data(show_spinner=False, max_entries=8)
def token_lengths(key: str, field: str, split: str) -> np.ndarray:
    """Words per text (after the model's cleanup) for one split and text field."""
    import tensorflow as tf

    from rnnlab.data import texts
    from rnnlab.text import standardize

    ag = load_ag_news()
    frame = ag.train if split == "train" else ag.test
    values = texts(frame, field)
    out = np.zeros(len(values), dtype=np.int64)
    for start in range(0, len(values), 8192):
        cleaned = standardize(tf.constant(values[start:start + 8192]))
        out[start:start + 8192] = tf.strings.split(cleaned).row_lengths().numpy()
    return out


# -- runs --------------------------------------------------------------------------------

def list_runs() -> list[RunInfo]:
    return store().list()


def ok_runs() -> list[RunInfo]:
    return [r for r in list_runs() if r.ok]


def _stamp(run_id: str) -> int:
    return store().stamp(run_id)          # validates the id; unchanged when pca.json is written


@st.cache_resource(show_spinner=False, max_entries=12)
def _loaded(root: str, run_id: str, stamp: int) -> LoadedRun:
    return _store(root).load(run_id)


def load_run(run_id: str) -> LoadedRun:
    """A run's model, config and metrics; raises RunStoreError for a bad, missing or damaged id."""
    check_run_id(run_id)
    return _loaded(runs_root(), run_id, _stamp(run_id))


def run_key(run_id: str) -> tuple[str, str, int]:
    return runs_root(), run_id, _stamp(run_id)


@st.cache_resource(show_spinner=False, max_entries=12)
def _tracer(root: str, run_id: str, stamp: int):
    from rnnlab.trace import Tracer
    return Tracer(_loaded(root, run_id, stamp))


def tracer(run_id: str):
    return _tracer(*run_key(run_id))


@st.cache_resource(show_spinner=False, max_entries=256)
def _trace(root: str, run_id: str, stamp: int, text: str):
    return _tracer(root, run_id, stamp).trace(text, integrated_gradients=True, projection=True)


def trace(run_id: str, text: str):
    """The full trace of one text (raises rnnlab.inference.InputError for unreadable text)."""
    return _trace(*run_key(run_id), text)


@st.cache_resource(show_spinner=False, max_entries=256)
def _light_trace(root: str, run_id: str, stamp: int, text: str):
    return _tracer(root, run_id, stamp).trace(text, integrated_gradients=False, projection=False)


def light_trace(run_id: str, text: str):
    """Prefix probabilities and occlusion only (no gradients, no PCA): what a Lesson step draws."""
    return _light_trace(*run_key(run_id), text)


@st.cache_resource(show_spinner=False, max_entries=64)
def _padding_demo(root: str, run_id: str, stamp: int, text: str, pads: int):
    return _tracer(root, run_id, stamp).padding_demo(text, pads=pads)


def padding_demo(run_id: str, text: str, pads: int = 20):
    return _padding_demo(*run_key(run_id), text, pads)


@st.cache_resource(show_spinner=False, max_entries=128)
def _neuron_contexts(root: str, run_id: str, stamp: int, layer: str, direction: str, unit: int, n: int):
    return _tracer(root, run_id, stamp).neuron_contexts(layer, direction, unit, n=n)


def neuron_contexts(run_id: str, layer: str, direction: str, unit: int, n: int = 8):
    return _neuron_contexts(*run_key(run_id), layer, direction, unit, n)


@st.cache_resource(show_spinner=False, max_entries=12)
def _projection_basis(root: str, run_id: str, stamp: int):
    return _tracer(root, run_id, stamp).projection_basis()


def projection_basis(run_id: str):
    return _projection_basis(*run_key(run_id))


def run_file(run_id: str, name: str) -> bytes:
    """The bytes of one of a run's files (model.keras, config.json, ...)."""
    if name not in ("model.keras", "config.json", "metrics.json", "history.json"):
        raise RunStoreError(f"not a run file: {name!r}")
    with open(store().path(run_id) / name, "rb") as f:
        return f.read()


def runs_frame(runs: list[RunInfo]) -> pd.DataFrame:
    """One row per run for the runs table (damaged runs included, marked)."""
    rows = []
    for r in runs:
        c: RunConfig | None = r.config
        m = r.metrics or {}
        rows.append({
            "run": r.run_id,
            "model": c.describe() if c else "",
            "cell": c.cell if c else None,
            "units": c.units if c else None,
            "layers": c.layers if c else None,
            "bidirectional": c.bidirectional if c else None,
            "masking": c.masking if c else None,
            "text": c.text if c else None,
            "train_size": (m.get("train_rows") or c.train_size) if c else None,
            "epochs": c.epochs if c else None,
            "batch_size": c.batch_size if c else None,
            "bucketing": c.bucketing if c else None,
            "learning_rate": c.learning_rate if c else None,
            "test_accuracy": m.get("test_accuracy"),
            "titles_accuracy": m.get("test_titles_accuracy"),
            "train_seconds": m.get("train_seconds"),
            "stopped_early": bool(m.get("stopped_early")) if m else None,
            "damaged": r.damaged,
        })
    return pd.DataFrame(rows)
