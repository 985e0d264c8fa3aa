"""Which test headlines sit in one cell of a run's confusion matrix (true class, predicted class).

The run's metrics keep only the counts and the first few mistakes, so the worker
predicts the whole test split once per run version, exactly as training scored it
(:func:`rnnlab.evaluation.encode` and :func:`rnnlab.evaluation.predict_encoded`: the cell
counts equal the metrics' confusion matrix), and writes the predictions to the run folder
(``test_predictions.npz``, a few tens of kilobytes); later questions read that file.
Titles come from the test split at question time. This module imports no TensorFlow
itself, so pages can unpickle :class:`ConfusionCell`.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ..ag_escapes import readable
from ..config import CLASS_NAMES
from ..errors import TraceError
from ..runs import write_run_file_atomically

PREDICTIONS_FILE = "test_predictions.npz"
PREDICTIONS_VERSION = 1
MAX_LISTED = 200


@dataclass
class CellHeadline:
    """One test headline of a confusion-matrix cell."""

    row: int                 # its row in the test split
    title: str               # as a person reads it (crawl escapes undone)
    text: str                # what the model read (title, or title + description), readable
    confidence: float        # the model's probability for the class it predicted


@dataclass
class ConfusionCell:
    """The test headlines of true class ``true_class`` that the run read as ``predicted_class``,
    most confident first; ``total`` counts them all, ``headlines`` holds at most ``limit``."""

    true_class: int
    predicted_class: int
    total: int
    headlines: list[CellHeadline]


@dataclass
class TestPredictions:
    """The run's prediction for every test row: class and its probability."""

    labels: np.ndarray       # (N,) true classes
    predicted: np.ndarray    # (N,) predicted classes
    confidence: np.ndarray   # (N,) probability of the predicted class


def compute_predictions(model, texts: list[str], labels) -> TestPredictions:
    """Predict ``texts`` as training's evaluation does (same encoding, same batches)."""
    from ..evaluation import encode, predict_encoded     # TensorFlow: the worker only
    from ..models import token_model
    split = encode(model, texts, labels)
    probs = predict_encoded(token_model(model), split.ids)
    predicted = probs.argmax(axis=1)
    return TestPredictions(split.labels.astype(np.int64), predicted.astype(np.int64),
                           probs[np.arange(len(predicted)), predicted].astype(np.float32))


def test_predictions(tracer) -> TestPredictions:
    """The run's test predictions: from memory, else the run folder, else computed and written."""
    def build() -> TestPredictions:
        from ..data import load_ag_news, texts
        test = load_ag_news().test
        found = read_predictions(tracer.path, tracer.run_id, len(test))
        if found is None:
            found = compute_predictions(tracer.model, texts(test, tracer.config.text), test["label"].to_numpy())
            write_predictions(tracer.path, tracer.run_id, found)
        return found
    return tracer.cached("test_predictions", build)


def read_predictions(folder, run_id: str, rows: int) -> TestPredictions | None:
    """The stored predictions, or None when missing, another run's, of another test split or malformed."""
    try:
        with np.load(folder / PREDICTIONS_FILE, allow_pickle=False) as data:
            found = {k: data[k] for k in ("run_id", "version", "labels", "predicted", "confidence")}
    except (OSError, ValueError, KeyError):
        return None
    k = len(CLASS_NAMES)
    arrays = [found[name] for name in ("labels", "predicted", "confidence")]
    if (str(found["run_id"]) != run_id or int(found["version"]) != PREDICTIONS_VERSION
            or any(a.shape != (rows,) for a in arrays)
            or not all(((a >= 0) & (a < k)).all() for a in arrays[:2])
            or not np.isfinite(found["confidence"]).all()):
        return None
    return TestPredictions(*(a.astype(t) for a, t in zip(arrays, (np.int64, np.int64, np.float32))))


def write_predictions(folder, run_id: str, predictions: TestPredictions) -> None:
    """Write atomically; a read-only run keeps them in memory only."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, run_id=np.array(run_id), version=np.array(PREDICTIONS_VERSION),
                        labels=predictions.labels.astype(np.int8), predicted=predictions.predicted.astype(np.int8),
                        confidence=predictions.confidence)
    write_run_file_atomically(folder, PREDICTIONS_FILE, buffer.getvalue())


def cell_rows(predictions: TestPredictions, true_class: int, predicted_class: int) -> np.ndarray:
    """Test rows in the cell, most confident first (ties in file order)."""
    k = len(CLASS_NAMES)
    for name, value in (("true class", true_class), ("predicted class", predicted_class)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < k:
            raise TraceError(f"the {name} must be a whole number from 0 to {k - 1}, got {value!r}")
    rows = np.flatnonzero((predictions.labels == true_class) & (predictions.predicted == predicted_class))
    return rows[np.argsort(-predictions.confidence[rows], kind="stable")]


def confusion_cell(tracer, true_class: int, predicted_class: int, limit: int = 50) -> ConfusionCell:
    """The test headlines of one confusion-matrix cell (at most ``limit`` of them listed)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LISTED:
        raise TraceError(f"limit must be from 1 to {MAX_LISTED}, got {limit!r}")
    from ..data import load_ag_news, texts
    predictions = test_predictions(tracer)
    rows = cell_rows(predictions, true_class, predicted_class)
    test = load_ag_news().test
    shown = rows[:limit]
    read = texts(test.iloc[shown], tracer.config.text)
    titles = test["title"].iloc[shown].tolist()
    return ConfusionCell(int(true_class), int(predicted_class), int(len(rows)), [
        CellHeadline(int(i), readable(str(title)), readable(str(text)), float(predictions.confidence[i]))
        for i, title, text in zip(shown, titles, read)])
