"""AG News: load the train/test splits, carve a validation set, take stratified subsets.

Data comes from the first source that exists:

1. ``$RNNLAB_DATA_DIR``: a folder holding ``train.csv`` and ``test.csv``;
2. ``data/ag_news/`` in the repository;
3. ``tfds.load("ag_news_subset")`` (downloads the full dataset once, if online).

The CSV files use the original ``ag_news_csv`` format: no header, rows of
``"class","title","description"`` with class 1..4. Frames carry ``label`` (class - 1,
so 0..3 index :data:`rnnlab.config.CLASS_NAMES`), ``title`` and ``description``. The
text is kept raw; the model cleans it (:func:`rnnlab.text.standardize`), so that
training and prediction see the same cleanup. A frame's index is the row's position
in its source split (0-based), so any row can be traced back to its CSV line.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import socket
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rnnlab.config import CLASS_NAMES, TEXT_FIELDS, RunConfig

ENV_VAR = "RNNLAB_DATA_DIR"
# A module attribute rather than a constant inside load_ag_news, so tests can point it elsewhere.
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "ag_news"
SPLIT_FILES = ("train.csv", "test.csv")
COLUMNS = ("label", "title", "description")
_CLASSES = {str(i + 1): i for i in range(len(CLASS_NAMES))}
# Where tfds downloads ag_news_subset from; probed first, because offline tfds retries
# the download for minutes before it gives up.
TFDS_DOWNLOAD_HOST = ("drive.google.com", 443)
ONLINE_PROBE_TIMEOUT_S = 5.0
_HOW_TO_PROVIDE = (f"set {ENV_VAR} to a folder holding train.csv and test.csv (ag_news_csv format), "
                   f"or put those two files in {REPO_DATA_DIR}")


class DataError(ValueError):
    """The data is missing or malformed; the message names the folder or file (and line)."""


# The kinds of data source (see the module docstring), in that order.
SOURCE_KINDS = ("env", "repo", "tfds")


@dataclass(frozen=True, eq=False)
class AgNews:
    """Both official splits. Cached and shared between callers: treat the frames as read-only."""

    train: pd.DataFrame
    test: pd.DataFrame
    source: str      # where exactly, paths included: for logs and the command line
    kind: str        # which kind of source (:data:`SOURCE_KINDS`): what the web app shows

    def __repr__(self):
        return f"AgNews(train={len(self.train)} rows, test={len(self.test)} rows, source={self.source!r})"


@dataclass(eq=False)
class Splits:
    """What one run trains, validates and tests on."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    source: str

    def __repr__(self):
        return (f"Splits(train={len(self.train)} rows, validation={len(self.validation)} rows, "
                f"test={len(self.test)} rows, source={self.source!r})")


# -- reading -------------------------------------------------------------------

def read_csv_split(path) -> pd.DataFrame:
    """Parse one ``ag_news_csv`` file strictly; any bad row raises :class:`DataError`.

    The file is decoded as a whole first, so a bad UTF-8 byte is reported at its true
    line (a streaming decoder fails a whole buffer ahead of the csv reader). Blank lines
    are skipped. Line numbers are 1-based and point at the first line of the bad row.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark, as some editors write
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}, line {line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x})") from None

    labels, titles, descriptions = [], [], []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1  # first line of the row being parsed
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not row:
                continue
            if len(row) != 3:
                raise DataError(f"{path}, line {start}: expected 3 fields (class, title, description), "
                                f"found {len(row)}")
            label = _CLASSES.get(row[0].strip())
            if label is None:
                raise DataError(f"{path}, line {start}: class must be 1, 2, 3 or 4, got {row[0]!r}")
            labels.append(label)
            titles.append(row[1])
            descriptions.append(row[2])
    except csv.Error as exc:
        raise DataError(f"{path}, line {line}: malformed CSV: {exc}") from None
    if not labels:
        raise DataError(f"{path}, line 1: file is empty, expected rows of \"class\",\"title\",\"description\"")
    return pd.DataFrame({"label": np.asarray(labels, dtype=np.int64), "title": titles,
                         "description": descriptions})


def load_ag_news() -> AgNews:
    """Both splits from the first source that exists (see the module docstring); cached.

    A set ``RNNLAB_DATA_DIR`` (non-empty) is a promise: if its folder or a file is missing
    that is an error, not a reason to quietly train on other data.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        folder = Path(env).expanduser().resolve()
        return _load_folder(folder, f"{ENV_VAR}={folder}", "env")
    if REPO_DATA_DIR.is_dir():
        return _load_folder(REPO_DATA_DIR, "data/ag_news (repo)", "repo")
    return _load_tfds()


def clear_cache() -> None:
    """Forget every cached load (for tests, or after the files changed in place)."""
    _read_folder.cache_clear()
    _load_tfds.cache_clear()


def _load_folder(folder: Path, source: str, kind: str) -> AgNews:
    if not folder.is_dir():
        raise DataError(f"{source}: folder {folder} does not exist; {_HOW_TO_PROVIDE}")
    stamps = []
    for name in SPLIT_FILES:
        try:
            stat = (folder / name).stat()
        except OSError:
            raise DataError(f"{source}: {folder / name} is missing; {_HOW_TO_PROVIDE}") from None
        stamps.append((stat.st_mtime_ns, stat.st_size))
    # Size and mtime join the cache key so that replaced files are read again.
    return _read_folder(str(folder), tuple(stamps), source, kind)


@functools.lru_cache(maxsize=8)
def _read_folder(folder: str, stamps: tuple, source: str, kind: str) -> AgNews:
    train, test = (read_csv_split(Path(folder) / name) for name in SPLIT_FILES)
    return AgNews(train=train, test=test, source=source, kind=kind)


@functools.lru_cache(maxsize=1)
def _load_tfds() -> AgNews:
    try:
        import tensorflow_datasets as tfds

        if not tfds.builder("ag_news_subset").is_prepared():
            _check_download_reachable()
        # tfds prints its download progress to stdout, which would corrupt `rnnlab data --json`.
        with contextlib.redirect_stdout(sys.stderr):
            train, test = tfds.load("ag_news_subset", split=["train", "test"])
            # Batches, not batch_size=-1: that needs split sizes, which a mocked dataset lacks.
            frames = [_frame_from_batches(tfds.as_numpy(ds.batch(8192))) for ds in (train, test)]
    except Exception as exc:  # offline, not downloaded, tfds missing or broken: all mean "no data"
        raise DataError(f"no AG News data found: {ENV_VAR} is not set, {REPO_DATA_DIR} does not exist, "
                        f"and tfds could not load ag_news_subset ({type(exc).__name__}: {exc}). "
                        f"To provide the data, {_HOW_TO_PROVIDE}.") from exc
    return AgNews(train=frames[0], test=frames[1], source="tfds ag_news_subset", kind="tfds")


def _check_download_reachable() -> None:
    """Raise OSError within seconds when tfds could not download (offline, say).

    Behind an HTTPS proxy a direct connection says nothing, so tfds is left to try.
    """
    if urllib.request.getproxies().get("https"):
        return
    try:
        socket.create_connection(TFDS_DOWNLOAD_HOST, timeout=ONLINE_PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise OSError(f"offline? {TFDS_DOWNLOAD_HOST[0]} cannot be reached to download it "
                      f"({exc.strerror or exc})") from None


def _frame_from_batches(batches) -> pd.DataFrame:
    columns = {name: [] for name in COLUMNS}
    for batch in batches:
        columns["label"].extend(batch["label"].tolist())
        for name in ("title", "description"):
            columns[name].extend(b.decode("utf-8") for b in batch[name])
    return pd.DataFrame({**columns, "label": np.asarray(columns["label"], dtype=np.int64)})


# -- views and subsets ---------------------------------------------------------

def texts(df: pd.DataFrame, field: str) -> list[str]:
    """The model's input strings: titles, or title + " " + description."""
    if field == "title":
        return df["title"].tolist()
    if field == "title_description":
        return (df["title"] + " " + df["description"]).tolist()
    raise ValueError(f"field must be one of {', '.join(TEXT_FIELDS)}, got {field!r}")


def split_train_validation(train_df: pd.DataFrame, seed: int,
                           validation_fraction: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out ``validation_fraction`` of each class (rounded), seeded; both parts shuffled."""
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be between 0 and 1, got {validation_fraction}")
    rng = np.random.default_rng(seed)
    labels = train_df["label"].to_numpy()
    train_pos, val_pos = [], []
    for label in np.unique(labels):
        positions = rng.permutation(np.flatnonzero(labels == label))
        n_val = int(round(len(positions) * validation_fraction))
        val_pos.append(positions[:n_val])
        train_pos.append(positions[n_val:])
    return tuple(train_df.iloc[rng.permutation(np.concatenate(parts or [np.zeros(0, int)]))]
                 for parts in (train_pos, val_pos))


def stratified_subset(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows with class counts as equal as the data allows, seeded and shuffled.

    ``n`` 0 or at least ``len(df)`` gives every row, shuffled. Each class is shuffled once
    per seed and its first rows are taken, so for one seed a smaller subset is contained
    in a larger one: growing ``train_size`` only adds rows.
    """
    if n < 0:
        raise ValueError(f"n must be 0 (all rows) or positive, got {n}")
    rng = np.random.default_rng(seed)
    if n == 0 or n >= len(df):
        return df.iloc[rng.permutation(len(df))]
    labels = df["label"].to_numpy()
    classes = np.unique(labels)
    # Shuffle every class before anything depends on n, so the orders are the same for every n.
    orders = {label: rng.permutation(np.flatnonzero(labels == label)) for label in classes}
    priority = list(rng.permutation(classes))  # which classes get the rounding remainder
    quota = dict.fromkeys(classes, 0)
    remaining = n
    while remaining:  # water-filling: equal shares, capped by what each class holds
        open_ = [c for c in priority if quota[c] < len(orders[c])]
        share, extra = divmod(remaining, len(open_))
        if share == 0:
            for c in open_[:extra]:
                quota[c] += 1
            break
        for c in open_:
            add = min(share, len(orders[c]) - quota[c])
            quota[c] += add
            remaining -= add
    chosen = np.concatenate([orders[c][:quota[c]] for c in classes])
    return df.iloc[chosen[rng.permutation(len(chosen))]]


def search(df: pd.DataFrame, label: int | None, needle: str) -> pd.DataFrame:
    """Rows of one class (``None``: all) whose title or description holds ``needle`` (any case)."""
    if label is not None:
        df = df[df["label"] == label]
    needle = needle.strip()
    if needle:
        hit = (df["title"].str.contains(needle, case=False, regex=False)
               | df["description"].str.contains(needle, case=False, regex=False))
        df = df[hit]
    return df


def prepare_splits(config: RunConfig, data: AgNews | None = None) -> Splits:
    """Train/validation/test frames for one run.

    Validation is carved from the full train split before subsetting, so runs with
    different ``train_size`` (and the same seed) are scored on the same validation rows.
    """
    data = data if data is not None else load_ag_news()
    train, validation = split_train_validation(data.train, config.seed)
    train = stratified_subset(train, config.train_size, config.seed)
    return Splits(train=train, validation=validation, test=data.test, source=data.source)


def summary(data: AgNews | None = None) -> dict:
    """Source, row counts and class names, for ``python -m rnnlab data --json``."""
    data = data if data is not None else load_ag_news()
    return {"source": data.source, "train": len(data.train), "test": len(data.test),
            "classes": list(CLASS_NAMES)}
