"""Checks of a run's files against what the pages and commands read from them.

A run folder may have been edited by hand, copied half-way or crafted to hurt: each
check here returns ``""`` when a file holds what a real run writes (the right types,
shapes and sizes), else a short reason for the runs list. :class:`rnnlab.runs.RunStore`
calls them, so a bad file makes a run *damaged* instead of crashing a page.

Size limits are far above anything a real run writes (the largest config allowed gives
model weights of about 300 MB and a vocabulary of a few MB), so only a broken or
hostile file meets them.
"""
from __future__ import annotations

import math
import zipfile
from pathlib import Path

from .config import CLASS_NAMES

MiB = 1024 * 1024
# Largest size on disk of each JSON file of a run (checked before it is parsed).
MAX_JSON_BYTES = {"config.json": 1 * MiB, "metrics.json": 16 * MiB, "history.json": 16 * MiB}
# Largest uncompressed size of each member of model.keras (checked before Keras opens it).
# Members Keras reads whole into memory have tight limits; the weights (at most about
# 300 MB for the largest config) and anything else share the wide one and the total.
MAX_MODEL_MEMBER_BYTES = {"metadata.json": 1 * MiB, "config.json": 16 * MiB}
MAX_MODEL_ASSET_BYTES = 64 * MiB            # each file under assets/ (the vocabulary)
MAX_MODEL_OTHER_BYTES = 512 * MiB           # model.weights.h5 and anything else
MAX_MODEL_TOTAL_BYTES = 640 * MiB
MAX_MODEL_MEMBERS = 64

_UNIT_NUMBERS = ("accuracy", "test_accuracy", "test_titles_accuracy", "headlines_dev_accuracy")
_COUNT_NUMBERS = ("loss", "train_seconds", "samples_per_second", "samples_seen", "train_rows",
                  "validation_rows", "test_rows", "replicas", "headlines_dev_rows", "vocabulary_trained_words")
_FLAGS = ("stopped_early", "mixed_precision", "cudnn")
_STRINGS = ("stop_reason", "data_source", "device", "headlines_dev_error")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def file_size_problem(path: Path) -> str:
    """Whether a run's JSON file is larger than any real run writes (found by its size alone)."""
    limit = MAX_JSON_BYTES[path.name]
    size = path.stat().st_size
    if size > limit:
        return f"{path.name} is {size / MiB:,.1f} MB, more than a run ever writes ({limit / MiB:g} MB)"
    return ""


def metrics_problem(metrics) -> str:
    """What is wrong with a parsed ``metrics.json`` (``""`` when nothing is)."""
    if not isinstance(metrics, dict):
        return f"metrics.json must hold an object, not {type(metrics).__name__}"
    if "test_accuracy" not in metrics:
        return "metrics.json has no test_accuracy"
    for key in _UNIT_NUMBERS:
        if key in metrics and not (_is_number(metrics[key]) and 0 <= metrics[key] <= 1):
            return f"metrics.json: {key} must be a number from 0 to 1, got {_short(metrics[key])}"
    for key in _COUNT_NUMBERS:
        if key in metrics and not (_is_number(metrics[key]) and metrics[key] >= 0):
            return f"metrics.json: {key} must be a number of at least 0, got {_short(metrics[key])}"
    for key in _FLAGS:
        if key in metrics and not isinstance(metrics[key], bool):
            return f"metrics.json: {key} must be true or false, got {_short(metrics[key])}"
    for key in _STRINGS:
        if key in metrics and not isinstance(metrics[key], str):
            return f"metrics.json: {key} must be text, got {_short(metrics[key])}"
    return (_per_class_problem(metrics) or _recall_problem(metrics.get("headlines_dev_recall", {}))
            or _misclassified_problem(metrics.get("misclassified", [])))


def _recall_problem(recall) -> str:
    if not (isinstance(recall, dict) and set(recall) <= set(CLASS_NAMES)
            and all(_is_number(v) and 0 <= v <= 1 for v in recall.values())):
        return "metrics.json: headlines_dev_recall must map classes to numbers from 0 to 1"
    return ""


def _per_class_problem(metrics: dict) -> str:
    if "per_class" not in metrics:
        return ""
    per_class = metrics["per_class"]
    if not isinstance(per_class, dict) or not set(per_class) <= set(CLASS_NAMES):
        return f"metrics.json: per_class must map the classes {', '.join(CLASS_NAMES)} to their scores"
    for name, scores in per_class.items():
        if not isinstance(scores, dict):
            return f"metrics.json: per_class[{name!r}] must be an object"
        for key in ("precision", "recall", "f1"):
            if key in scores and not (_is_number(scores[key]) and 0 <= scores[key] <= 1):
                return f"metrics.json: per_class[{name!r}].{key} must be a number from 0 to 1"
        if "support" in scores and not _is_count(scores["support"]):
            return f"metrics.json: per_class[{name!r}].support must be a whole number"
    matrix = metrics.get("confusion_matrix")
    k = len(CLASS_NAMES)
    if not (isinstance(matrix, list) and len(matrix) == k
            and all(isinstance(row, list) and len(row) == k and all(map(_is_count, row)) for row in matrix)):
        return f"metrics.json: confusion_matrix must be {k} rows of {k} whole numbers"
    return ""


def _misclassified_problem(rows) -> str:
    if not isinstance(rows, list):
        return "metrics.json: misclassified must be a list"
    for row in rows:
        if not (isinstance(row, dict) and all(isinstance(row.get(key), str) for key in ("text", "true", "predicted"))
                and _is_number(row.get("probability", 0))):
            return "metrics.json: each misclassified entry must hold text, true, predicted and probability"
    return ""


def history_problem(history) -> str:
    """What is wrong with a parsed ``history.json`` (``""`` when nothing is)."""
    if not isinstance(history, dict):
        return f"history.json must hold an object, not {type(history).__name__}"
    batches, epochs = history.get("batches", []), history.get("epochs", [])
    if not isinstance(batches, list) or not all(
            isinstance(b, dict) and all(_is_number(b.get(key)) for key in ("samples", "loss", "accuracy", "epoch"))
            for b in batches):
        return "history.json: batches must be a list of objects with numbers samples, loss, accuracy and epoch"
    if not isinstance(epochs, list) or not all(
            isinstance(e, dict) and _is_number(e.get("epoch"))
            and all(e.get(key) is None or _is_number(e[key]) for key in ("loss", "accuracy", "val_loss", "val_accuracy"))
            for e in epochs):
        return "history.json: epochs must be a list of objects with a number epoch and numbers or null scores"
    fractions = history.get("padding_fraction", [])
    if not isinstance(fractions, list) or not all(map(_is_number, fractions)):
        return "history.json: padding_fraction must be a list of numbers"
    return ""


def model_zip_problem(path: Path) -> str:
    """Whether ``model.keras`` is a zip whose members stay within a real run's sizes.

    Reads only the zip's directory (the declared sizes, which bound what unpacking can
    give), so a zip bomb is refused before Keras unpacks anything.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        return f"model.keras is not a readable zip file ({_short(exc)})"
    if len(members) > MAX_MODEL_MEMBERS:
        return f"model.keras holds {len(members)} files; a run's model has a handful"
    total = 0
    for member in members:
        limit = MAX_MODEL_MEMBER_BYTES.get(member.filename)
        if limit is None:
            limit = MAX_MODEL_ASSET_BYTES if member.filename.startswith("assets/") else MAX_MODEL_OTHER_BYTES
        if member.file_size > limit:
            return (f"model.keras: {member.filename[:80]!r} unpacks to {member.file_size / MiB:,.1f} MB, "
                    f"more than a run's model ever holds ({limit / MiB:g} MB)")
        total += member.file_size
    if total > MAX_MODEL_TOTAL_BYTES:
        return f"model.keras unpacks to {total / MiB:,.0f} MB, more than a run's model ever holds"
    return ""


def _short(value) -> str:
    text = repr(value) if not isinstance(value, BaseException) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
