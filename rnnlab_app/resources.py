"""Server-wide resources, cached once per server process and shared by every visitor.

The page process never imports Keras (Streamlit would reset TensorFlow after every
script run): models, traces and trainings live in the compute worker
(:mod:`rnnlab.service`), started on first use. What the worker returns is cached here
in bounded LRU caches keyed by run id and the run's version stamp, so a retrained or
deleted run is never served stale, and a headline that anybody has read before costs
nothing: neither the trace nor its figures are computed twice, whatever the language.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rnnlab import challenge, service, vocabulary
from rnnlab.config import RunConfig
from rnnlab.data import AgNews, DataError, Splits, load_ag_news, prepare_splits
from rnnlab.errors import WorkerUnavailable
from rnnlab.i18n import DEFAULT_LANG, chart_separators
from rnnlab.lru import LruCache, approx_bytes
from rnnlab.runs import RunInfo, RunStore, RunStoreError, default_store_dir

RESULTS_MAX_ENTRIES, RESULTS_MAX_BYTES = 512, 256 * 2**20
FIGURES_MAX_ENTRIES, FIGURES_MAX_BYTES = 2048, 192 * 2**20


def runs_root() -> str:
    """The run store's folder: ``$RNNLAB_RUNS_DIR`` or ``./runs`` (read on every call)."""
    return str(default_store_dir().expanduser().resolve())


@st.cache_resource(show_spinner=False)
def _store(root: str) -> RunStore:
    # No clean_leftovers() here: another server sharing this store may be mid-save.
    return RunStore(root)


def store() -> RunStore:
    return _store(runs_root())


# -- the compute worker -------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _worker() -> service.WorkerClient:
    return service.connect()


def start_worker() -> None:
    """Start the worker (without waiting), so TensorFlow loads while the first page draws."""
    _worker()


def call(method: str, *args):
    """Ask the worker; a private worker that died is started again once."""
    client = _worker()
    try:
        return client.call(method, *args)
    except WorkerUnavailable:
        if client.alive(grace=2.0):
            raise
        _worker.clear()
        return _worker().call(method, *args)


def queue() -> service.RemoteQueue:
    return service.RemoteQueue(call, runs_root())


@st.cache_resource(show_spinner=False)
def device() -> str:
    """'CPU' or the GPU's name (the worker configures GPU memory growth once)."""
    try:
        return call("device")
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
    return call("token_lengths", field, split)


@st.cache_resource(show_spinner=False, max_entries=8)
def _splits(key: str, config_json: str) -> Splits:
    ag, _ = data()
    return prepare_splits(RunConfig.from_json(config_json), ag)


def splits(ag: AgNews, config: RunConfig) -> Splits:
    """The train / validation / test rows a config trains on (shared by every session)."""
    return _splits(data_key(ag), config.to_json())


# -- runs --------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, ttl=5, max_entries=8)
def _listing(root: str, stamp: int) -> list[RunInfo]:
    return _store(root).list()


def list_runs() -> list[RunInfo]:
    """Every run (whole or damaged), shared by all sessions; do not modify the list.

    Read again when the store's folder changes (a run saved or deleted: runs are
    installed by rename) and at least every 5 seconds (a file edited in place).
    """
    root = runs_root()
    try:
        stamp = Path(root).stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _listing(root, stamp)


def ok_runs() -> list[RunInfo]:
    return [r for r in list_runs() if r.ok]


@st.cache_resource(show_spinner=False)
def _results() -> LruCache:
    """What the worker computed (traces, padding demos, neuron searches, bases), for everybody."""
    return LruCache(RESULTS_MAX_ENTRIES, RESULTS_MAX_BYTES)


@st.cache_resource(show_spinner=False)
def _figures() -> LruCache:
    """Figures built from those results, per language and view settings, for everybody."""
    return LruCache(FIGURES_MAX_ENTRIES, FIGURES_MAX_BYTES, sizeof=lambda fig: approx_bytes(fig.to_plotly_json()))


def run_key(run_id: str) -> tuple[str, str, int]:
    """(store, run, version): a key that changes when the run is retrained or replaced."""
    return runs_root(), run_id, store().stamp(run_id)


def _computed(method: str, run_id: str, *args):
    root, _, stamp = key = run_key(run_id)
    return _results().get((method, *key, *args), lambda: call(method, root, run_id, *args))


def run_config(run_id: str) -> RunConfig:
    """Load the run in the worker; raises RunStoreError (or WorkerError) when it cannot be read."""
    return _computed("open_run", run_id)


def trace(run_id: str, text: str):
    """The full trace of one text (raises rnnlab.errors.InputError for unreadable text)."""
    return _computed("trace", run_id, text, True)


def light_trace(run_id: str, text: str):
    """Prefix probabilities and occlusion only (no gradients, no PCA): what a Lesson step draws."""
    return _computed("trace", run_id, text, False)


def word_sources(run_id: str, text: str) -> list[str] | None:
    """Per token of ``text``: known from the run's training texts, only from pretrained vectors,
    or not at all (see :mod:`rnnlab.vocabulary`); None for runs that did not record it."""
    key = ("word_sources", *run_key(run_id), text)
    return _results().get(key, lambda: vocabulary.word_sources(
        trace(run_id, text).tokens, vocabulary.trained_words(store().info(run_id).metrics)))


def padding_demo(run_id: str, text: str, pads: int = 20):
    """``text`` followed by 0..pads padding tokens, with masking and without (rnnlab.tracedata.PaddingDemo)."""
    return _computed("padding_demo", run_id, text, pads)


def neuron_contexts(run_id: str, layer: str, direction: str, unit: int, n: int = 8):
    """Where one unit fires most and least over test titles (rnnlab.tracedata.NeuronContexts)."""
    return _computed("neuron_contexts", run_id, layer, direction, unit, n)


def memory(run_id: str, text: str):
    """Per token, how much the final answer still depends on it (rnnlab.analysis.memorydata.Memory)."""
    return _computed("memory", run_id, text)


def neighbours(run_id: str, text: str, step: int | None = None, k: int = 10):
    """The test headlines the run reads most like ``text`` (rnnlab.analysis.memorydata.Neighbours)."""
    return _computed("neighbours", run_id, text, step, k)


def embedding_neighbour(run_id: str, token_id: int):
    """The word nearest to a token in the run's embedding space (rnnlab.analysis.edits.EmbeddingNeighbour),
    or None for padding, [UNK] and a word without a direction."""
    return _computed("embedding_neighbour", run_id, int(token_id))


def replay_index(run_id: str):
    """The snapshots the run kept for the training replay (rnnlab.snapshots.ReplayIndex), or None."""
    return _computed("replay_index", run_id)


def replay(run_id: str, text: str, k: int):
    """How the run read ``text`` at snapshot ``k`` of its training (rnnlab.snapshots.ReplayFrame)."""
    return _computed("replay", run_id, text, int(k))


def confusion_cell(run_id: str, true_class: int, predicted_class: int, limit: int = 50):
    """The test headlines of one confusion-matrix cell (rnnlab.analysis.mistakes.ConfusionCell)."""
    return _computed("confusion_cell", run_id, true_class, predicted_class, limit)


def projection_basis(run_id: str):
    """The run's 2-D PCA basis (rnnlab.tracedata.ProjectionBasis)."""
    return _computed("projection_basis", run_id)


def tracing_counts(run_id: str) -> dict:
    """How often the run's compiled functions were traced (tests check that reruns add none)."""
    return call("tracing_counts", *run_key(run_id)[:2])


def figure(run_id: str, name: str, build: Callable[[], go.Figure], lang: str, *key) -> go.Figure:
    """A figure built once per (run version, name, language, key) for every session; ``key``
    must hold everything else the figure depends on (text, view settings).

    The new figure gets ``lang``'s number separators before anyone shares it, so drawing
    it (:func:`rnnlab_app.plot.chart`) never copies it to change them.
    """
    def built() -> go.Figure:
        fig = build()
        if lang != DEFAULT_LANG:
            fig.update_layout(separators=chart_separators(lang))
        return fig
    return _figures().get(("figure", *run_key(run_id), name, lang, *key), built)


def _run_file_path(run_id: str, name: str) -> Path:
    if name not in ("model.keras", "config.json", "metrics.json", "history.json"):
        raise RunStoreError(f"not a run file: {name!r}")
    return store().path(run_id) / name


def run_file(run_id: str, name: str) -> bytes:
    """The bytes of one of a run's files (model.keras, config.json, ...)."""
    with open(_run_file_path(run_id, name), "rb") as f:
        return f.read()


def run_file_size(run_id: str, name: str) -> int:
    """The size of one of a run's files; raises OSError or RunStoreError when it cannot be read."""
    return _run_file_path(run_id, name).stat().st_size


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
            "headlines_accuracy": m.get("headlines_dev_accuracy"),
            "train_seconds": m.get("train_seconds"),
            "stopped_early": bool(m.get("stopped_early")) if m else None,
            "damaged": r.damaged,
        })
    return pd.DataFrame(rows)


# -- the class board ------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _classroom(path: str) -> challenge.Classroom:
    return challenge.Classroom(path)


def classroom() -> challenge.Classroom:
    """The class board (Challenge submissions, Lesson guesses) in the run store's SQLite file."""
    return _classroom(str(challenge.default_path(runs_root())))
