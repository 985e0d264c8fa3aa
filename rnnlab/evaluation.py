"""Texts as token ids, predictions over them, and the metrics a run records.

Shared by training (which feeds encoded batches and evaluates at the end), the CLI's
``eval``, inference and the worker's analyses.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from .config import CLASS_NAMES
from .headlines import HeadlinesError, HeadlinesScore, LabelledHeadlines, default_headlines_path, read_headlines, score
from .models import token_model, vectorize


# -- input pipeline ------------------------------------------------------------------

@dataclass
class EncodedSplit:
    """Token ids per text (unpadded) and labels."""

    ids: list[np.ndarray]
    labels: np.ndarray
    texts: list[str] = field(repr=False, default_factory=list)

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(x) for x in self.ids), dtype=np.int64, count=len(self.ids))


def encode(model: keras.Model, text_list: list[str], labels) -> EncodedSplit:
    # An empty text would give a zero-length row; one [UNK] keeps every row readable.
    ids = [np.asarray(row or [1], dtype=np.int64) for row in vectorize(model, text_list)]
    return EncodedSplit(ids, np.asarray(labels, dtype=np.int32), list(text_list))


def pad_batch(ids: list[np.ndarray], index: np.ndarray) -> np.ndarray:
    """Right-pad the rows at ``index`` with 0 to the longest of them."""
    rows = [ids[i] for i in index]
    out = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    for j, row in enumerate(rows):
        out[j, :len(row)] = row
    return out


# -- prediction and evaluation ---------------------------------------------------------

def predict_encoded(tokens: keras.Model, ids: list[np.ndarray], batch_size: int = 512) -> np.ndarray:
    """Class probabilities for every row, batched only among rows of equal length.

    Equal-length batches need no padding, so the result is exactly what the model gives
    each text on its own, masked or not.
    """
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    probs = np.zeros((len(ids), len(CLASS_NAMES)), dtype=np.float32)
    predict = _predict_fn(tokens)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        for start in range(0, len(rows), batch_size):
            index = rows[start:start + batch_size]
            batch = np.stack([ids[i] for i in index])
            probs[index] = predict(tf.constant(batch)).numpy()
    return probs


# Weak keys, and functions that reach their model only through a weak reference: a
# dropped model (every training makes one) is freed with its compiled function.
_PREDICT_FNS: "weakref.WeakKeyDictionary[keras.Model, tf.types.experimental.GenericFunction]" = (
    weakref.WeakKeyDictionary())
_PREDICT_FNS_LOCK = threading.Lock()


def _predict_fn(tokens: keras.Model):
    """One compiled prediction function per token model, reused across calls."""
    with _PREDICT_FNS_LOCK:
        fn = _PREDICT_FNS.get(tokens)
        if fn is None:
            model = weakref.ref(tokens)

            @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int64)], reduce_retracing=True)
            def fn(batch):
                return model()(batch, training=False)
            _PREDICT_FNS[tokens] = fn
    return fn


def classification_metrics(labels: np.ndarray, probs: np.ndarray) -> dict:
    """Accuracy, per-class precision/recall/F1 and the confusion matrix (rows = true)."""
    predicted = probs.argmax(axis=1)
    k = len(CLASS_NAMES)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {}
    for c, name in enumerate(CLASS_NAMES):
        tp = confusion[c, c]
        precision = tp / confusion[:, c].sum() if confusion[:, c].sum() else 0.0
        recall = tp / confusion[c, :].sum() if confusion[c, :].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": float(precision), "recall": float(recall), "f1": float(f1),
                           "support": int(confusion[c, :].sum())}
    return {
        "accuracy": float((predicted == labels).mean()) if len(labels) else 0.0,
        "per_class": per_class,
        "confusion_matrix": confusion.tolist(),
    }


def evaluate(model: keras.Model, split: EncodedSplit, tokens: keras.Model | None = None,
             misclassified: int = 50) -> dict:
    """Metrics on an encoded split, plus the first ``misclassified`` wrong predictions."""
    probs = predict_encoded(tokens or token_model(model), split.ids)
    metrics = classification_metrics(split.labels, probs)
    wrong = np.flatnonzero(probs.argmax(axis=1) != split.labels)[:misclassified]
    metrics["misclassified"] = [
        {"text": split.texts[i], "true": CLASS_NAMES[split.labels[i]],
         "predicted": CLASS_NAMES[int(probs[i].argmax())], "probability": float(probs[i].max())}
        for i in wrong if split.texts
    ]
    metrics["loss"] = float(-np.mean(np.log(np.maximum(probs[np.arange(len(probs)), split.labels], 1e-7))))
    return metrics


def score_headlines(model: keras.Model, headlines: LabelledHeadlines,
                    tokens: keras.Model | None = None) -> HeadlinesScore:
    """How ``model`` reads a labelled headlines file (see :mod:`rnnlab.headlines`)."""
    split = encode(model, headlines.texts, headlines.labels)
    return score(headlines, predict_encoded(tokens or token_model(model), split.ids))


def headlines_dev_metrics(model: keras.Model, tokens: keras.Model | None = None) -> dict:
    """The development headlines' score for a run's metrics; ``{}`` when there is no file.

    Only scored, never trained on. A damaged file does not cost the finished training:
    its message is kept as ``headlines_dev_error`` instead.
    """
    path = default_headlines_path()
    if path is None:
        return {}
    try:
        return score_headlines(model, read_headlines(path), tokens).metrics()
    except HeadlinesError as exc:
        return {"headlines_dev_error": str(exc)}
