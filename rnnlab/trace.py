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
  input through a fixed 2-D PCA basis per run (cached as ``pca.json`` in the run).

:meth:`Tracer.neuron_contexts` finds where one unit fires most and least over a sample
of test titles (as LSTMVis does), and :meth:`Tracer.padding_demo` shows what padding
does to a model with and without masking.
"""
from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections import OrderedDict
from pathlib import Path

import numpy as np
import tensorflow as tf

from .config import CLASS_NAMES
from .errors import TraceError
from .errors import check_text
from .models import recurrent_layer_names, vectorize
from .cells import CELLS
from .reference import extract_model_weights, forward
from .text import standardize
from .tracedata import LayerTrace, TokenInfo, Trace

UNK_ID = 1
PAD_ID = 0
PCA_FILE = "pca.json"
PCA_VERSION = 1
PCA_MAX_BYTES = 16 * 1024 * 1024            # a basis is a few hundred kB at most
PCA_SAMPLE_SIZE = 300
PCA_SEED = 20240
NEURON_SAMPLE_SIZE = 1000
NEURON_SEED = 7
IG_STEPS = 32
MAX_PADS = 512
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
        self._embedding = model.get_layer("embedding")
        self._recurrent = [model.get_layer(name) for name in self.layer_names]
        self._classifier = model.get_layer("classifier")
        self._lock = threading.RLock()
        self._basis: dict | None = None
        self._neuron_sample: dict | None = None
        self._build_functions()

    # -- compiled functions (one trace each: batch and time are left open) ---------
    def _build_functions(self) -> None:
        vectorizer, embedding, recurrent, classifier = (self.vectorizer, self._embedding, self._recurrent,
                                                        self._classifier)

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

    def layer_info(self) -> list[dict]:
        """Per recurrent layer: name, cell type, units and directions (for pickers)."""
        return [{"name": lw.name, "cell": lw.cell, "units": lw.units, "directions": lw.directions}
                for lw in self.weights.layers]

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

        # One batch through the model: rows 0..n-1 are the prefixes (row n-1 the whole
        # text), rows n..2n-1 the text with token j replaced by [UNK].
        batch = np.tile(ids, (2 * n, 1))
        batch[n + np.arange(n), np.arange(n)] = UNK_ID
        lengths = np.concatenate([np.arange(1, n + 1), np.full(n, n)])
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
            basis = self._basis_or_none()
            if basis is not None:
                points = project(basis, feats[:n])
        return Trace(self.run_id, text, cleaned, tokens, truncated, self.max_length, layers, prefix, final,
                     CLASS_NAMES[predicted], attributions, state_change, points)

    def _integrated_gradients(self, ids: np.ndarray, target: int, steps: int) -> np.ndarray:
        if not 1 <= steps <= 1024:
            raise TraceError(f"integrated gradients need 1 to 1024 steps, got {steps}")
        alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)   # midpoint rule
        attributions, _ = self._ig_fn(tf.constant(ids), tf.constant(target, tf.int32), tf.constant(alphas))
        return attributions.numpy().astype(np.float64)

    # -- samples of test titles ----------------------------------------------------
    def _sample_titles(self, size: int, seed: int) -> tuple[list[str], list[np.ndarray], np.ndarray]:
        from .data import load_ag_news
        test = load_ag_news().test
        rng = np.random.default_rng(seed)
        index = np.sort(rng.choice(len(test), size=min(size, len(test)), replace=False))
        titles = test["title"].iloc[index].tolist()
        ids = [np.asarray(row or [UNK_ID], dtype=np.int64) for row in vectorize(self.model, titles)]
        return titles, ids, test["label"].to_numpy()[index]

    # -- projection ----------------------------------------------------------------
    def projection_basis(self) -> dict:
        """The run's 2-D PCA basis of the classifier's input after each prefix.

        Fitted once on every prefix of a fixed seeded sample of test titles (for a
        unidirectional model these are the last layer's hidden states after each token),
        then cached in the run folder as ``pca.json`` and reused. Keys: ``mean`` (D,),
        ``components`` (2, D), ``explained_variance_ratio``, ``bounds`` (x and y range
        of the sample), ``class_centroids`` (where each true class's whole titles lie),
        and what it was fitted on.
        """
        with self._lock:
            if self._basis is None:
                self._basis = self._load_basis() or self._fit_basis()
            return self._basis

    def _basis_or_none(self) -> dict | None:
        from .data import DataError
        try:
            return self.projection_basis()
        except DataError:
            return None

    def _load_basis(self) -> dict | None:
        """The cached basis, or None (then it is fitted and written again) when pca.json is
        missing, stale or wrong in any field a page draws from."""
        try:
            if (self.path / PCA_FILE).stat().st_size > PCA_MAX_BYTES:
                return None
            with open(self.path / PCA_FILE, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError, RecursionError):
            return None
        return data if _valid_basis(data, self.run_id, self.weights.layers[-1].output_dim) else None

    def _fit_basis(self) -> dict:
        titles, ids, labels = self._sample_titles(PCA_SAMPLE_SIZE, PCA_SEED)
        rows, lengths, finals = [], [], []
        for row in ids:
            for k in range(1, len(row) + 1):
                rows.append(row)
                lengths.append(k)
            finals.append(len(rows) - 1)
        feats = self._batched_features(rows, np.asarray(lengths))
        mean = feats.mean(axis=0)
        _, s, vt = np.linalg.svd(feats - mean, full_matrices=False)
        components = vt[:2]
        if components.shape[0] < 2:              # one-unit models: pad with a zero axis
            components = np.vstack([components, np.zeros((2 - components.shape[0], feats.shape[1]))])
        # A fixed sign per axis (largest loading positive), so refits draw the same picture.
        signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
        components = components * np.where(signs == 0, 1.0, signs)[:, None]
        variance = s ** 2
        ratio = (variance[:2] / variance.sum()) if variance.sum() > 0 else np.zeros(2)
        points = (feats - mean) @ components.T
        final_points = points[finals]
        centroids = {name: final_points[labels == c].mean(axis=0).tolist()
                     for c, name in enumerate(CLASS_NAMES) if np.any(labels == c)}
        basis = {
            "version": PCA_VERSION, "run_id": self.run_id, "dim": int(feats.shape[1]),
            "space": "classifier input after each prefix (last recurrent layer, directions concatenated)",
            "fitted_on": f"every prefix of {len(titles)} test titles (seed {PCA_SEED})",
            "n_headlines": len(titles), "n_states": int(len(feats)), "seed": PCA_SEED,
            "mean": mean.tolist(), "components": components.tolist(),
            "explained_variance_ratio": np.pad(ratio, (0, 2 - len(ratio))).tolist(),
            "bounds": {"x": [float(points[:, 0].min()), float(points[:, 0].max())],
                       "y": [float(points[:, 1].min()), float(points[:, 1].max())]},
            "class_centroids": centroids,
        }
        self._write_basis(basis)
        return basis

    def _write_basis(self, basis: dict) -> None:
        tmp = self.path / f".{PCA_FILE}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(basis, f, allow_nan=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path / PCA_FILE)
        except (OSError, ValueError):       # a read-only run folder: keep the basis in memory only
            try:
                tmp.unlink()
            except OSError:
                pass

    def _batched_features(self, rows: list[np.ndarray], lengths: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Classifier input for each row read up to its length; rows batched by similar length."""
        order = np.argsort([len(r) for r in rows], kind="stable")
        out = np.zeros((len(rows), self.weights.layers[-1].output_dim), dtype=np.float64)
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            width = max(len(rows[i]) for i in index)
            batch = np.zeros((len(index), width), dtype=np.int64)
            for j, i in enumerate(index):
                batch[j, :len(rows[i])] = rows[i]
            mask = np.arange(width)[None, :] < lengths[index][:, None]
            out[index] = self.features(batch, mask)[0]
        return out

    # -- neurons -------------------------------------------------------------------
    def _neurons(self) -> dict:
        with self._lock:
            if self._neuron_sample is None:
                titles, ids, _ = self._sample_titles(NEURON_SAMPLE_SIZE, NEURON_SEED)
                lengths = np.array([len(r) for r in ids])
                states: dict[tuple[str, str], list[np.ndarray]] = {}
                order = np.argsort(lengths, kind="stable")
                positions = []                              # (title index, token position) per state row
                for start in range(0, len(order), 256):
                    index = order[start:start + 256]
                    width = lengths[index].max()
                    batch = np.zeros((len(index), width), dtype=np.int64)
                    for j, i in enumerate(index):
                        batch[j, :lengths[i]] = ids[i]
                    runs, _ = forward(self.weights, batch, lengths=lengths[index], internals=False)
                    valid = np.arange(width)[None, :] < lengths[index][:, None]
                    rows, cols = np.nonzero(valid)
                    positions.append(np.stack([index[rows], cols], axis=1))
                    for run in runs:
                        for direction, cell_run in run.directions.items():
                            states.setdefault((run.weights.name, direction), []).append(
                                cell_run.hidden[valid].astype(np.float32))
                tokens = [[self.vocabulary[i] if i != UNK_ID else "[UNK]" for i in row] for row in ids]
                self._neuron_sample = {"titles": titles, "tokens": tokens,
                                       "positions": np.concatenate(positions),
                                       "states": {k: np.concatenate(v) for k, v in states.items()}}
            return self._neuron_sample

    def neuron_contexts(self, layer: str, direction: str, unit: int, n: int = 8, window: int = 3) -> dict:
        """Where one unit's hidden state is highest and lowest over a sample of test titles.

        Each of ``top`` and ``bottom`` lists up to ``n`` distinct contexts: the token with
        ``window`` neighbours either side (``context``, the token in «guillemets»), the
        ``token``, its ``value`` and the whole ``headline``.
        """
        lw = next((lw for lw in self.weights.layers if lw.name == layer), None)
        if lw is None:
            raise TraceError(f"no layer {layer!r}; this run has {', '.join(self.layer_names)}")
        if direction not in lw.directions:
            raise TraceError(f"layer {layer} has no {direction!r} direction; it has {', '.join(lw.directions)}")
        if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < lw.units:
            raise TraceError(f"unit must be a whole number from 0 to {lw.units - 1}, got {unit!r}")
        if not 1 <= n <= 1000 or not 0 <= window <= 50:
            raise TraceError("n must be from 1 to 1000 and window from 0 to 50")
        sample = self._neurons()
        values = sample["states"][(layer, direction)][:, int(unit)]
        order = np.argsort(values, kind="stable")

        def pick(indices):
            out, seen = [], set()
            for k in indices:
                title, pos = sample["positions"][k]
                tokens = sample["tokens"][title]
                left = tokens[max(0, pos - window):pos]
                right = tokens[pos + 1:pos + 1 + window]
                context = " ".join([*left, f"«{tokens[pos]}»", *right])
                if context in seen:
                    continue
                seen.add(context)
                out.append({"context": context, "token": tokens[pos], "value": float(values[k]),
                            "headline": sample["titles"][title], "position": int(pos),
                            "left": " ".join(left), "right": " ".join(right)})
                if len(out) == n:
                    break
            return out

        return {"layer": layer, "direction": direction, "unit": int(unit), "top": pick(order[::-1]),
                "bottom": pick(order), "n_headlines": len(sample["titles"]), "n_states": int(len(values))}

    # -- padding -------------------------------------------------------------------
    def padding_demo(self, text: str, pads: int = 20) -> dict:
        """The text followed by 0..pads padding tokens, read with masking and without.

        For each of ``masked`` and ``unmasked``: ``probabilities`` (pads+1, 4) after k
        padding tokens and ``state_drift`` (pads+1,): how far the classifier's input
        (last layer, directions concatenated) moved from the unpadded text's.
        ``model_masking`` says which of the two the run itself uses.
        """
        if isinstance(pads, bool) or not isinstance(pads, (int, np.integer)) or not 0 <= pads <= MAX_PADS:
            raise TraceError(f"pads must be a whole number from 0 to {MAX_PADS}, got {pads!r}")
        _, tokens, truncated = self.tokenize(text)
        ids = np.array([t.id for t in tokens], dtype=np.int64)
        n, k = len(ids), np.arange(pads + 1)
        batch = np.zeros((pads + 1, n + pads), dtype=np.int64)
        batch[:, :n] = ids
        width = np.arange(n + pads)[None, :]
        masks = {"masked": np.broadcast_to(width < n, batch.shape),      # padding skipped
                 "unmasked": width < (n + k)[:, None]}                    # padding read as a token
        both, probs = self.features(np.concatenate([batch, batch]), np.concatenate([masks["masked"],
                                                                                    masks["unmasked"]]))
        out = {"pads": int(pads), "tokens": [t.token for t in tokens], "truncated": truncated,
               "model_masking": bool(self.masking)}
        for j, name in enumerate(("masked", "unmasked")):
            feats = both[j * (pads + 1):(j + 1) * (pads + 1)].astype(np.float64)
            p = probs[j * (pads + 1):(j + 1) * (pads + 1)].astype(np.float64)
            out[name] = {"probabilities": p, "state_drift": np.linalg.norm(feats - feats[0], axis=1),
                         "predicted_class": [CLASS_NAMES[i] for i in p.argmax(axis=1)]}
        return out


def _valid_basis(data, run_id: str, dim: int) -> bool:
    """Whether a parsed pca.json is this run's basis with every field of the right type and shape."""
    if not isinstance(data, dict) or any(data.get(key) != value for key, value in
                                         (("version", PCA_VERSION), ("run_id", run_id), ("dim", dim))):
        return False
    bounds, centroids = data.get("bounds"), data.get("class_centroids")
    return (_numbers(data.get("mean"), (dim,)) and _numbers(data.get("components"), (2, dim))
            and _numbers(data.get("explained_variance_ratio"), (2,))
            and isinstance(bounds, dict) and all(_numbers(bounds.get(axis), (2,)) for axis in "xy")
            and isinstance(centroids, dict) and set(centroids) <= set(CLASS_NAMES)
            and all(_numbers(point, (2,)) for point in centroids.values()))


def _numbers(value, shape: tuple) -> bool:
    """Whether ``value`` is an array of finite JSON numbers (not text, not booleans) of ``shape``."""
    try:
        array = np.asarray(value)
    except ValueError:                      # ragged nesting
        return False
    return array.shape == shape and array.dtype.kind in "iuf" and bool(np.isfinite(array).all())


def project(basis: dict, states: np.ndarray) -> np.ndarray:
    """Points (N, 2) of states (N, D) in a run's PCA basis."""
    return (np.asarray(states, dtype=np.float64) - np.asarray(basis["mean"])) @ np.asarray(basis["components"]).T


# -- one cached tracer per run -----------------------------------------------------------

_TRACERS: "OrderedDict[tuple, Tracer]" = OrderedDict()
_TRACERS_LOCK = threading.Lock()
_TRACERS_MAX = 4


def get_tracer(run, store=None) -> Tracer:
    """The cached Tracer of a loaded run (keyed by its folder and model object; LRU of 4)."""
    key = (str(Path(run.path).resolve()), id(run.model))
    with _TRACERS_LOCK:
        tracer = _TRACERS.get(key)
        # The tracer holds its model, so an id in the cache cannot be reused by another model.
        if tracer is not None and tracer.model is run.model:
            _TRACERS.move_to_end(key)
            return tracer
    tracer = Tracer(run, store)
    with _TRACERS_LOCK:
        _TRACERS[key] = tracer
        _TRACERS.move_to_end(key)
        while len(_TRACERS) > _TRACERS_MAX:
            _TRACERS.popitem(last=False)
    return tracer


def trace_headline(run, text: str, **kwargs) -> Trace:
    """Trace one text with the run's cached :class:`Tracer` (see :meth:`Tracer.trace`)."""
    return get_tracer(run).trace(text, **kwargs)
