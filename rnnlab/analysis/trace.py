"""The trace engine: everything a trained run computes for one text, token by token.

``Tracer(run)`` is built once per loaded run and reused for every text: it holds the
numpy weights (:mod:`rnnlab.reference`), and compiled ``tf.function``s whose input
signatures leave batch and time open, so no call rebuilds a model or retraces.

What :meth:`Tracer.trace` computes for a text:

* the tokens exactly as the model's vectorizer sees them (after the cleanup of
  :func:`rnnlab.text.standardize`), each with the word the person typed, and the cut
  to ``max_length``;
* per recurrent layer and direction the hidden state after every token, and the cell's
  internals (LSTM cell state and gates, GRU gates, SimpleRNN pre-activation), from the
  numpy reference cells, which the tests hold to Keras' own outputs;
* the class probabilities after every prefix, each what the model gives that prefix
  alone: one batch of right-padded prefixes through the model's own layers with a mask
  that ends each row at its prefix (so a bidirectional model re-reads every prefix
  backwards, as it would the prefix alone);
* per-token attributions for the predicted class: occlusion (token replaced by [UNK];
  one batched call) and integrated gradients on the embeddings (zero baseline, one
  batched gradient call);
* the size of the state change each token caused, and the path of the classifier's
  input through the run's fixed 2-D PCA basis (:mod:`rnnlab.analysis.projection`).

The other analyses take a Tracer: :mod:`~rnnlab.analysis.neurons` (where one unit fires
most and least), :mod:`~rnnlab.analysis.padding` (what padding does with and without
masking) and :mod:`~rnnlab.analysis.memory`.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import tensorflow as tf

from ..cells import CELLS
from ..config import CLASS_NAMES
from ..errors import TraceError, check_text
from ..models import recurrent_layer_names, vectorize
from ..reference import forward
from ..weights import extract_model_weights
from ..text import standardize
from ..tracedata import LayerTrace, TokenInfo, Trace
from .projection import basis_or_none

UNK_ID = 1


def prefixes_and_occlusions(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One batch that reads a text every way a trace needs: rows 0..n-1 are its prefixes
    (row n-1 the whole text), rows n..2n-1 the text with token j replaced by [UNK].
    Returns the batch and how many tokens each row reads."""
    n = len(ids)
    batch = np.tile(ids, (2 * n, 1))
    batch[n + np.arange(n), np.arange(n)] = UNK_ID
    return batch, np.concatenate([np.arange(1, n + 1), np.full(n, n)])
PAD_ID = 0
IG_STEPS = 32
# Typed words: split where the cleanup puts spaces (Unicode spaces and control characters).
_WORD_BREAK = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


# -- the engine ----------------------------------------------------------------------

class Tracer:
    """The trace engine for one loaded run; build once, call many times (thread-safe)."""

    def __init__(self, run, store=None):
        self.run = run
        self.run_id: str = run.run_id
        self.config = run.config
        self.model = run.model
        self.path = Path(store.path(run.run_id)) if store is not None else Path(run.path)
        model = self.model
        self.vectorizer = model.get_layer("vectorizer")
        self.max_length = int(model.get_layer("truncate").max_length)
        self.vocabulary = [str(w) for w in self.vectorizer.get_vocabulary()]
        self.weights = extract_model_weights(model)
        self.masking = self.weights.masking
        self.layer_names = recurrent_layer_names(model)
        self.embedding = model.get_layer("embedding")
        self.recurrent = [model.get_layer(name) for name in self.layer_names]
        self.classifier = model.get_layer("classifier")
        self._lock = threading.RLock()
        self._cache: dict[str, object] = {}
        self._build_functions()

    # -- compiled functions (one trace each: batch and time are left open) ---------
    def _build_functions(self) -> None:
        vectorizer, embedding, recurrent, classifier = (self.vectorizer, self.embedding, self.recurrent,
                                                        self.classifier)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def prepare(texts):
            # texts[0] is the whole text, the rest its typed words: one call cleans them all.
            cleaned = standardize(texts)
            tokens = tf.strings.split(cleaned[0])
            ids = vectorizer(texts[:1])[0]
            return cleaned, tokens, ids

        def run_layers(x, mask):
            for layer in recurrent:
                x = layer(x, mask=mask, training=False)
            return x

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int64), tf.TensorSpec([None, None], tf.bool)])
        def features(ids, mask):
            # Every row is read up to its mask only: with the mask ending a row at its
            # prefix, the row reads exactly as that prefix alone would, masking or not.
            x = run_layers(embedding(ids), mask)
            return x, classifier(x)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int64), tf.TensorSpec([], tf.int32),
                                      tf.TensorSpec([None], tf.float32)])
        def integrated_gradients(ids, target, alphas):
            x = embedding(ids[None, :])[0]                       # (T, E); the baseline is 0
            scaled = alphas[:, None, None] * x[None]             # (steps, T, E)
            with tf.GradientTape() as tape:
                tape.watch(scaled)
                h = scaled
                for layer in recurrent:
                    h = layer(h, training=False)
                p = classifier(h)[:, target]
            grads = tape.gradient(p, scaled)
            attributions = tf.reduce_sum(tf.reduce_mean(grads, axis=0) * x, axis=-1)
            return attributions, p

        self._prepare_fn, self._features_fn, self._ig_fn = prepare, features, integrated_gradients

    def tracing_counts(self) -> dict[str, int]:
        """How often each compiled function was traced (1 each once used: no retracing)."""
        return {name: fn.experimental_get_tracing_count()
                for name, fn in (("prepare", self._prepare_fn), ("features", self._features_fn),
                                 ("integrated_gradients", self._ig_fn))}

    def features(self, ids: np.ndarray, mask: np.ndarray, max_rows: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Classifier input (B, D) and probabilities (B, 4) for right-padded ids and a mask.

        Each row is read up to its mask only. Large batches go in chunks of ``max_rows``.
        """
        if len(ids) > max_rows:
            parts = [self.features(ids[i:i + max_rows], mask[i:i + max_rows]) for i in range(0, len(ids), max_rows)]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        x, probs = self._features_fn(tf.constant(ids, tf.int64), tf.constant(mask, tf.bool))
        return x.numpy(), probs.numpy()

    # -- tokens --------------------------------------------------------------------
    def tokenize(self, text: str) -> tuple[str, list[TokenInfo], bool]:
        """Cleaned text, the tokens the model reads (cut to max_length) and whether it cut."""
        check_text(text)          # also refuses lone surrogates (not valid Unicode)
        words = [w for w in _WORD_BREAK.split(text) if w]
        cleaned_all, tokens, ids = self._prepare_fn(tf.constant([text, *words]))
        cleaned_all = [c.decode("utf-8", errors="replace") for c in cleaned_all.numpy()]
        tokens = [t.decode("utf-8", errors="replace") for t in tokens.numpy()]
        ids = ids.numpy().tolist()
        if len(tokens) != len(ids):  # cannot happen with Keras' whitespace split; fail loudly if it does
            raise RuntimeError(f"tokenizer mismatch: {len(tokens)} tokens but {len(ids)} ids")
        cleaned = cleaned_all[0]
        if not tokens:
            # The text cleans to nothing (only punctuation, say): read as one [UNK], as Predictor does.
            return cleaned, [TokenInfo("[UNK]", text.strip(), UNK_ID, True)], False
        # Each typed word's own cleanup gives its tokens; if they line up with the whole
        # text's tokens, every token gets its word (else fall back to the tokens).
        per_word = [w for w, c in zip(words, cleaned_all[1:]) for _ in (c.split(" ") if c else [])]
        word_tokens = [t for c in cleaned_all[1:] if c for t in c.split(" ")]
        if word_tokens != tokens:
            per_word = list(tokens)          # cleanup joined or split words differently: show tokens
        infos = [TokenInfo(tok, word, int(i), int(i) == UNK_ID) for tok, word, i in zip(tokens, per_word, ids)]
        truncated = len(infos) > self.max_length
        return cleaned, infos[: self.max_length], truncated

    # -- the trace -----------------------------------------------------------------
    def trace(self, text: str, integrated_gradients: bool = True, projection: bool = True,
              ig_steps: int = IG_STEPS) -> Trace:
        cleaned, tokens, truncated = self.tokenize(text)
        ids = np.array([t.id for t in tokens], dtype=np.int64)
        n = len(ids)

        batch, lengths = prefixes_and_occlusions(ids)      # one batch through the model
        mask = np.arange(n)[None, :] < lengths[:, None]
        feats, probs = self.features(batch, mask)
        prefix = probs[:n].astype(np.float64)
        final = prefix[-1]
        predicted = int(final.argmax())
        attributions = {"occlusion": final[predicted] - probs[n:, predicted].astype(np.float64)}
        if integrated_gradients:
            attributions["integrated_gradients"] = self._integrated_gradients(ids, predicted, ig_steps)

        # Internals from the numpy reference cells (a single unpadded row: no mask).
        runs, _ = forward(self.weights, ids[None], masking=False, internals=True)
        layers = []
        for run in runs:
            for direction, cell_run in run.directions.items():
                row = cell_run.row(0)
                layers.append(LayerTrace(run.weights.name, direction, run.weights.cell, row.hidden,
                                         {k: row.internals[k] for k in CELLS[run.weights.cell].internal_names}))
        last = runs[-1].forward.hidden[0]
        state_change = np.linalg.norm(np.diff(last, axis=0, prepend=np.zeros((1, last.shape[1]), last.dtype)),
                                      axis=1).astype(np.float64)

        points = None
        if projection:
            basis = basis_or_none(self)
            if basis is not None:
                points = basis.project(feats[:n])
        return Trace(self.run_id, text, cleaned, tokens, truncated, self.max_length, layers, prefix, final,
                     CLASS_NAMES[predicted], attributions, state_change, points)

    def _integrated_gradients(self, ids: np.ndarray, target: int, steps: int) -> np.ndarray:
        if not 1 <= steps <= 1024:
            raise TraceError(f"integrated gradients need 1 to 1024 steps, got {steps}")
        alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)   # midpoint rule
        attributions, _ = self._ig_fn(tf.constant(ids), tf.constant(target, tf.int32), tf.constant(alphas))
        return attributions.numpy().astype(np.float64)

    # -- shared with the analyses -------------------------------------------------------
    def token_ids(self, titles: list[str]) -> list[np.ndarray]:
        """The token ids of each title (a title that cleans to nothing reads as one [UNK])."""
        return [np.asarray(row or [UNK_ID], dtype=np.int64) for row in vectorize(self.model, titles)]

    def cached(self, key: str, build):
        """``build()`` computed once per tracer under its lock (the PCA basis, the neuron sample)."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]
