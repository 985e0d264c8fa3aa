"""What the network remembers of a headline, and which test headlines it reads the same way.

Both run in the compute worker on a run's :class:`rnnlab.analysis.trace.Tracer`:

* :func:`memory` measures, per token, how much the final answer still depends on it:
  the gradient norm of the predicted class's probability with respect to the token's
  embedding vector, and occlusion, the drop of that probability when the token is read
  as ``[UNK]``. Occlusion uses ``[UNK]`` rather than padding because ``[UNK]`` keeps
  every other token at its distance from the end and is a token the network met in
  training; padding would be skipped by a masking model (the word deleted, the words
  before it moved closer to the end) and read as a never-trained input by one without.
* :func:`neighbours` finds the test headlines whose final state (the classifier's
  input: the last recurrent layer, directions concatenated) is nearest by cosine to the
  headline's state after ``step`` tokens. The states of at most :data:`CORPUS_SIZE`
  test titles are computed once per run version, kept with the tracer and written to
  the run folder (``neighbours.npz``), so a query costs one matrix product.
"""
from __future__ import annotations

import io
import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from ..ag_escapes import readable
from ..errors import TraceError
from ..runs import write_run_file_atomically
from .memorydata import Memory, Neighbour, Neighbours, TokenMemory, nearest_by_cosine
from .samples import sample_test_titles

CORPUS_SIZE = 2000          # test titles in the state matrix: a few seconds on a CPU
CORPUS_SEED = 11
CORPUS_FILE = "neighbours.npz"
CORPUS_VERSION = 1
MAX_NEIGHBOURS = 50
UNK_ID = 1


@dataclass
class _State:
    """What one tracer's memory views keep: the compiled gradient and the state matrix."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    gradient_fn: object = None
    corpus: dict | None = None
    builds: int = 0          # how often the state matrix was computed (not read from disk)


_STATES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _state(tracer) -> _State:
    with _STATES_LOCK:
        if tracer not in _STATES:
            _STATES[tracer] = _State()
        return _STATES[tracer]


# -- what the answer depends on ----------------------------------------------------------

def _gradient_fn(tracer):
    """``f(x (T, E), target) -> (p, dp/dx)``: the model from the embeddings on (one row, no padding)."""
    state = _state(tracer)
    with state.lock:
        if state.gradient_fn is None:
            recurrent, classifier = tracer.recurrent, tracer.classifier

            @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([], tf.int32)])
            def gradient(x, target):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    h = x[None]
                    for layer in recurrent:
                        h = layer(h, training=False)
                    p = classifier(h)[0, target]
                return p, tape.gradient(p, x)

            state.gradient_fn = gradient
        return state.gradient_fn


def embedding_gradient(tracer, x: np.ndarray, target: int) -> tuple[float, np.ndarray]:
    """The probability of class ``target`` for embedded tokens ``x`` (T, E) and its gradient (T, E)."""
    p, grad = _gradient_fn(tracer)(tf.constant(x, tf.float32), tf.constant(target, tf.int32))
    return float(p.numpy()), grad.numpy().astype(np.float64)


def embeddings(tracer, ids: np.ndarray) -> np.ndarray:
    """The embedding vectors (T, E) of token ids."""
    return tracer.embedding(tf.constant(ids[None], tf.int64))[0].numpy()


def memory(tracer, text: str) -> Memory:
    """Per token of ``text``: distance from the end, gradient norm and occlusion drop."""
    _, tokens, _ = tracer.tokenize(text)
    ids = np.array([t.id for t in tokens], dtype=np.int64)
    n = len(ids)
    batch = np.tile(ids, (n + 1, 1))                 # row 0 the headline, row j+1 token j as [UNK]
    batch[1 + np.arange(n), np.arange(n)] = UNK_ID
    _, probs = tracer.features(batch, np.ones(batch.shape, dtype=bool))
    predicted = int(probs[0].argmax())
    drops = probs[0, predicted].astype(np.float64) - probs[1:, predicted].astype(np.float64)
    _, grad = embedding_gradient(tracer, embeddings(tracer, ids), predicted)
    norms = np.linalg.norm(grad, axis=1)
    return Memory(predicted, float(probs[0, predicted]),
                  [TokenMemory(t.word, n - 1 - j, float(norms[j]), float(drops[j])) for j, t in enumerate(tokens)])


# -- headlines read the same way ---------------------------------------------------------

def corpus(tracer) -> dict:
    """The state matrix of up to CORPUS_SIZE test titles: ``titles``, ``labels``,
    ``predicted`` and ``states`` (N, D); computed once per tracer, else read from the run."""
    state = _state(tracer)
    with state.lock:
        if state.corpus is None:
            state.corpus = _read_corpus(tracer)
            if state.corpus is None:
                state.corpus = compute_corpus(tracer, *sample_test_titles(CORPUS_SIZE, CORPUS_SEED))
                state.builds += 1
                _write_corpus(tracer, state.corpus)
        return state.corpus


def corpus_builds(tracer) -> int:
    """How often this tracer computed its state matrix (tests check: once)."""
    return _state(tracer).builds


def compute_corpus(tracer, titles: list[str], labels: np.ndarray) -> dict:
    """The final states and predictions of ``titles``, batched by similar length."""
    ids = tracer.token_ids(titles)
    lengths = np.array([len(r) for r in ids])
    states = np.zeros((len(ids), tracer.weights.layers[-1].output_dim), dtype=np.float32)
    predicted = np.zeros(len(ids), dtype=np.int64)
    order = np.argsort(lengths, kind="stable")       # batches of similar length: little padding
    for start in range(0, len(order), 256):
        index = order[start:start + 256]
        batch = np.zeros((len(index), lengths[index].max()), dtype=np.int64)
        for j, i in enumerate(index):
            batch[j, :lengths[i]] = ids[i]
        feats, probs = tracer.features(batch, np.arange(batch.shape[1])[None, :] < lengths[index][:, None])
        states[index], predicted[index] = feats, probs.argmax(axis=1)
    return {"titles": np.array(titles, dtype=str), "labels": np.asarray(labels, dtype=np.int64),
            "predicted": predicted, "states": states}


def _read_corpus(tracer) -> dict | None:
    """The stored matrix, or None when it is missing, another run's, or malformed."""
    try:
        with np.load(tracer.path / CORPUS_FILE, allow_pickle=False) as data:
            found = {k: data[k] for k in ("titles", "labels", "predicted", "states", "run_id", "version")}
    except (OSError, ValueError, KeyError):
        return None
    n = len(found["titles"])
    dim = tracer.weights.layers[-1].output_dim
    if (str(found["run_id"]) != tracer.run_id or int(found["version"]) != CORPUS_VERSION
            or found["states"].shape != (n, dim) or found["labels"].shape != (n,)
            or found["predicted"].shape != (n,) or not np.isfinite(found["states"]).all()):
        return None
    return {k: found[k] for k in ("titles", "labels", "predicted", "states")}


def _write_corpus(tracer, data: dict) -> None:
    """Write atomically; a read-only run keeps it in memory only."""
    buffer = io.BytesIO()
    np.savez(buffer, run_id=np.array(tracer.run_id), version=np.array(CORPUS_VERSION), **data)
    write_run_file_atomically(tracer.path, CORPUS_FILE, buffer.getvalue())


def neighbours(tracer, text: str, step: int | None = None, k: int = 10) -> Neighbours:
    """The ``k`` test titles whose final state is nearest (cosine) to ``text``'s state
    after ``step`` tokens (None: the whole headline)."""
    _, tokens, _ = tracer.tokenize(text)
    n = len(tokens)
    if step is None:
        step = n
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 1 <= step <= n:
        raise TraceError(f"step must be a whole number from 1 to {n}, got {step!r}")
    if not 1 <= k <= MAX_NEIGHBOURS:
        raise TraceError(f"k must be from 1 to {MAX_NEIGHBOURS}, got {k!r}")
    ids = np.array([[t.id for t in tokens[:step]]], dtype=np.int64)
    query = tracer.features(ids, np.ones(ids.shape, dtype=bool))[0][0].astype(np.float64)
    data = corpus(tracer)
    index, sims = nearest_by_cosine(data["states"].astype(np.float64), query, k)
    found = [Neighbour(readable(str(data["titles"][i])), int(data["labels"][i]), int(data["predicted"][i]), float(s))
             for i, s in zip(index, sims)]
    return Neighbours(int(step), n, len(data["titles"]), found)

