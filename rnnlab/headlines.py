"""Labelled present-day headlines: reading them and scoring a model's predictions on them.

A model trained on AG News (2004-05 titles and descriptions) is read by people typing
today's bare headlines; a labelled set of those (``label,headline,source``, label 1..4 as
in AG News) measures how well it does. This module reads such a file strictly (a bad
file gets one message naming it and the line) and scores class probabilities against
its labels. It holds no Keras: the caller predicts, so that training can use it too.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import CLASS_NAMES

HEADLINES_ENV = "RNNLAB_HEADLINES_DEV"
_SHARED_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "headlines_dev" / "real_headlines_dev.csv"
REQUIRED_COLUMNS = ("label", "headline")
MAX_FILE_BYTES = 64 * 1024 * 1024


class HeadlinesError(ValueError):
    """A headlines file cannot be read; the message names the file and, where known, the line."""


@dataclass(frozen=True)
class LabelledHeadlines:
    """Headlines with their classes (0-based indexes into ``CLASS_NAMES``)."""

    path: str
    texts: list[str]
    labels: np.ndarray


@dataclass(frozen=True)
class HeadlinesScore:
    """How a model reads a labelled headlines file; ``confusion[i][j]``: true class i predicted as j."""

    path: str
    rows: int
    accuracy: float
    recall: dict[str, float]
    confusion: list[list[int]]

    def to_dict(self) -> dict:
        return {"file": self.path, "rows": self.rows, "accuracy": self.accuracy, "recall": dict(self.recall),
                "confusion_matrix": [list(row) for row in self.confusion]}

    def metrics(self, prefix: str = "headlines_dev") -> dict:
        """The entries a run's ``metrics.json`` keeps (the file's path is not one)."""
        return {f"{prefix}_accuracy": self.accuracy, f"{prefix}_recall": dict(self.recall),
                f"{prefix}_rows": self.rows}


def default_headlines_path() -> Path | None:
    """The development set runs are scored on: ``$RNNLAB_HEADLINES_DEV``, else the shared copy.

    ``None`` when neither names an existing file (then runs skip the score).
    """
    named = os.environ.get(HEADLINES_ENV)
    path = Path(named) if named else _SHARED_DEV
    return path if path.is_file() else None


def read_headlines(path: str | os.PathLike) -> LabelledHeadlines:
    """Read a UTF-8 CSV with a header naming at least ``label`` and ``headline``."""
    name = str(path)
    text = _decode(name, _read_bytes(name))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise HeadlinesError(f"{name}, line 1: the file is empty (expected a header label,headline,source)")
        columns = [c.strip().lstrip("\ufeff").lower() for c in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise HeadlinesError(f"{name}, line 1: the header has no {' or '.join(missing)} column "
                                 f"(expected label,headline,source)")
        label_at, headline_at = columns.index("label"), columns.index("headline")
        texts, labels = [], []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != len(columns):
                raise HeadlinesError(f"{name}, line {line}: {len(row)} fields, the header names {len(columns)}")
            labels.append(_label(name, line, row[label_at]))
            texts.append(_headline(name, line, row[headline_at]))
    except csv.Error as exc:
        raise HeadlinesError(f"{name}, line {reader.line_num}: not valid CSV ({exc})") from None
    if not texts:
        raise HeadlinesError(f"{name}, line 2: no headlines after the header")
    return LabelledHeadlines(name, texts, np.asarray(labels, dtype=np.int32))


def _read_bytes(name: str) -> bytes:
    try:
        if os.path.getsize(name) > MAX_FILE_BYTES:
            raise HeadlinesError(f"{name}: the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        with open(name, "rb") as f:
            return f.read()
    except IsADirectoryError:
        raise HeadlinesError(f"{name}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise HeadlinesError(f"{name}: cannot be read ({exc.strerror or exc})") from None


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise HeadlinesError(f"{name}, line {line}: bytes that are not UTF-8 "
                             f"({data[exc.start:exc.end]!r})") from None


def _label(name: str, line: int, value: str) -> int:
    value = value.strip()
    if value not in ("1", "2", "3", "4"):
        raise HeadlinesError(f"{name}, line {line}: label must be 1..4 "
                             f"(World, Sports, Business, Sci/Tech), got {value[:40]!r}")
    return int(value) - 1


def _headline(name: str, line: int, value: str) -> str:
    if not value.strip():
        raise HeadlinesError(f"{name}, line {line}: the headline is empty")
    return value


def score(headlines: LabelledHeadlines, probabilities: np.ndarray) -> HeadlinesScore:
    """Accuracy, recall per class and confusion matrix of ``probabilities`` (one row per headline)."""
    predicted = np.asarray(probabilities).argmax(axis=1)
    k = len(CLASS_NAMES)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (headlines.labels, predicted), 1)
    totals = confusion.sum(axis=1)
    recall = {name: float(confusion[c, c] / totals[c]) if totals[c] else 0.0 for c, name in enumerate(CLASS_NAMES)}
    accuracy = float(np.trace(confusion) / confusion.sum())
    return HeadlinesScore(headlines.path, len(headlines.texts), accuracy, recall, confusion.tolist())
