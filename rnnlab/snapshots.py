"""Small snapshots of a run's weights during training, for the training replay.

A training keeps :data:`PER_EPOCH` snapshots per epoch (after equally spaced batches, the
last one after the epoch's last batch; a stopped training adds one where it stopped); the
run saves them as ``snapshots.npz``. Each snapshot holds
every weight after the embedding (recurrent layers, classifier) in float16: a few kB.

The embedding table is the large part (100,000 x 50 for the quick preset), and a full
copy per snapshot would cost 10 MB each. It is stored *backwards from the final table*,
which the run's ``model.keras`` already holds. For each snapshot k before the last, the
rows that moved between snapshot k and k+1 are stored as the step back from their value
at k+1 to their value at k: int8 steps times a float32 scale per row. The table at
snapshot k is the final table with the steps of K-2, K-3, ..., k added in that order.
Rows a training never touches (the GloVe words of no training text, under
:class:`rnnlab.row_adam.RowAdam`) cost nothing, and the last snapshot is the final model
itself, exactly.

A row is stored only when it moved more than ``tolerance`` (in any component) away from
the value the replay already has for it, in int8 steps of ``tolerance`` (or 1/127 of its
move, for a row that moved further than 127 tolerances between two snapshots); the steps
are computed from what the replay rebuilds, so errors do not add up. The replayed table
at every snapshot is within ``tolerance`` of the true one in every component, plus
float16 rounding of the recorded rows. The many rows of rare words, which move a little,
are never stored. (Steps of twice the tolerance would be coarser but leave no margin: a
row stored that way crosses the tolerance again at its next small move, and more rows end
up stored.) ``tolerance`` is :data:`TOLERANCE` times the final table's standard deviation.

No TensorFlow here: the recorder reads :class:`rnnlab.weights.ModelWeights`.
"""
from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .weights import CellWeights, LayerWeights, ModelWeights

PER_EPOCH = 16
FILE = "snapshots.npz"
TOLERANCE = 0.1            # of the final embedding table's standard deviation (see the docstring)
_MAX_FILE_BYTES = 512 * 2**20


class SnapshotError(ValueError):
    """A run's snapshots file cannot be read."""


@dataclass(frozen=True)
class SnapshotPoint:
    """Where in training a snapshot was taken."""

    epoch: int
    batch: int
    samples: int            # training texts read so far


def snapshot_batches(n_batches: int, per_epoch: int = PER_EPOCH) -> set[int]:
    """The batches (1-based) of an epoch after which a snapshot is taken: equally spaced,
    the last batch always among them; fewer when the epoch has fewer batches."""
    return {math.ceil(n_batches * i / per_epoch) for i in range(1, per_epoch + 1)} - {0}


# -- every weight but the embedding, by name --------------------------------------------

def small_arrays(weights: ModelWeights) -> dict[str, np.ndarray]:
    """The recurrent layers' and the classifier's arrays, each under a stable name."""
    out = {"classifier/kernel": weights.classifier_kernel, "classifier/bias": weights.classifier_bias}
    for i, layer in enumerate(weights.layers):
        for direction in layer.directions:
            cell: CellWeights = getattr(layer, direction)
            for part in ("kernel", "recurrent_kernel", "bias"):
                out[f"rnn/{i}/{direction}/{part}"] = getattr(cell, part)
    return out


def with_arrays(final: ModelWeights, arrays: dict[str, np.ndarray], embedding: np.ndarray) -> ModelWeights:
    """``final``'s structure with the arrays of :func:`small_arrays` and ``embedding`` put in (float32)."""
    def get(name):
        return np.asarray(arrays[name], dtype=np.float32)

    layers = []
    for i, layer in enumerate(final.layers):
        cells = {d: CellWeights(getattr(layer, d).cell, getattr(layer, d).units, get(f"rnn/{i}/{d}/kernel"),
                                get(f"rnn/{i}/{d}/recurrent_kernel"), get(f"rnn/{i}/{d}/bias"),
                                getattr(layer, d).reset_after) for d in layer.directions}
        layers.append(LayerWeights(layer.name, layer.cell, layer.units, layer.bidirectional, layer.return_sequences,
                                   cells["forward"], cells.get("backward")))
    return ModelWeights(np.asarray(embedding, dtype=np.float32), final.masking, layers, get("classifier/kernel"),
                        get("classifier/bias"))


# -- the stored snapshots -------------------------------------------------------------------

@dataclass
class Snapshots:
    """A run's snapshots; see the module docstring. ``rows[k]``, ``steps[k]``, ``scales[k]``
    (k < K-1): the embedding rows that go back from snapshot k+1 to k, by ``steps * scales``."""

    points: list[SnapshotPoint]
    total_samples: int                        # texts the whole training was to read
    small: list[dict[str, np.ndarray]]        # per snapshot, float16
    rows: list[np.ndarray]                    # int32, sorted
    steps: list[np.ndarray]                   # int8 (len(rows[k]), embed_dim)
    scales: list[np.ndarray]                  # float32 (len(rows[k]),)
    tolerance: float = 0.0

    def __len__(self) -> int:
        return len(self.points)

    def embedding_rows(self, final_table: np.ndarray, k: int, ids: np.ndarray) -> np.ndarray:
        """The rows ``ids`` of the embedding table at snapshot ``k`` (float32)."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.array(final_table[ids], dtype=np.float32)
        for j in range(len(self) - 2, k - 1, -1):
            rows = self.rows[j]
            if not len(rows):
                continue
            where = np.searchsorted(rows, ids)
            hit = (where < len(rows)) & (rows[np.minimum(where, len(rows) - 1)] == ids)
            out[hit] += _step_back(self.steps[j][where[hit]], self.scales[j][where[hit]])
        return out

    def weights(self, final: ModelWeights, k: int, ids: np.ndarray | None = None) -> tuple[ModelWeights, np.ndarray]:
        """The model at snapshot ``k`` and the token ids to read it with.

        With ``ids`` the embedding holds only those rows (the ids returned index them):
        rebuilding a 100,000-row table for one headline would cost far more than reading it.
        """
        if not 0 <= k < len(self):
            raise SnapshotError(f"no snapshot {k}: this run has {len(self)}")
        if ids is None:
            table = self.embedding_rows(final.embedding, k, np.arange(len(final.embedding)))
            return with_arrays(final, self.small[k], table), None
        unique, local = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
        table = self.embedding_rows(final.embedding, k, unique)
        return with_arrays(final, self.small[k], table), local.reshape(np.shape(ids))


class SnapshotRecorder:
    """Takes the snapshots during a training (numpy copies only: it holds no TensorFlow object).

    ``record`` keeps the small arrays and, for the embedding, the rows that changed since the
    previous snapshot with their previous values; ``finish`` drops the rows that moved less
    than the tolerance, walking back from the final table.
    """

    def __init__(self, total_samples: int):
        self.total_samples = total_samples
        self.points: list[SnapshotPoint] = []
        self.small: list[dict[str, np.ndarray]] = []
        self._changes: list[tuple[np.ndarray, np.ndarray]] = []
        self._table: np.ndarray | None = None

    @property
    def last_samples(self) -> int:
        return self.points[-1].samples if self.points else 0

    def record(self, weights: ModelWeights, point: SnapshotPoint) -> None:
        table = np.array(weights.embedding, dtype=np.float32, copy=True)
        if self._table is not None:
            changed = np.flatnonzero((table != self._table).any(axis=1)).astype(np.int32)
            self._changes.append((changed, self._table[changed].astype(np.float16)))
        self._table = table
        self.points.append(point)
        self.small.append({k: np.asarray(v, dtype=np.float16) for k, v in small_arrays(weights).items()})

    def finish(self, tolerance_fraction: float = TOLERANCE) -> Snapshots | None:
        """The snapshots (the last one is the final model), or None when none was taken."""
        if not self.points:
            return None
        table = self._table.copy()          # what the replay has, walking back from the final table
        tolerance = float(tolerance_fraction * table.std()) if table.size else 0.0
        rows, steps, scales = [], [], []
        for changed, before in reversed(self._changes):
            back = before.astype(np.float32) - table[changed]
            largest = np.abs(back).max(axis=1, initial=0.0)
            moved = largest > tolerance
            keep, back = changed[moved], back[moved]
            scale = np.maximum(largest[moved] / 127, tolerance).astype(np.float32)   # error <= scale / 2
            step = np.clip(np.rint(back / scale[:, None]), -127, 127).astype(np.int8)
            table[keep] += _step_back(step, scale)
            rows.append(keep)
            steps.append(step)
            scales.append(scale)
        return Snapshots(list(self.points), self.total_samples, list(self.small), rows[::-1], steps[::-1],
                         scales[::-1], tolerance)


def _step_back(steps: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The stored step back of each row (the recorder and the replay compute it the same way)."""
    return steps.astype(np.float32) * scales[:, None]


# -- the file ---------------------------------------------------------------------------

def save(snapshots: Snapshots, path: str | Path) -> None:
    arrays = {"points": np.array([[p.epoch, p.batch, p.samples] for p in snapshots.points], dtype=np.int64),
              "meta": np.frombuffer(json.dumps({"total_samples": snapshots.total_samples,
                                                "tolerance": snapshots.tolerance,
                                                "names": sorted(snapshots.small[0])}).encode(), dtype=np.uint8)}
    for k, small in enumerate(snapshots.small):
        arrays.update({f"small/{k}/{name}": value for name, value in small.items()})
    for k, parts in enumerate(zip(snapshots.rows, snapshots.steps, snapshots.scales)):
        arrays[f"rows/{k}"], arrays[f"steps/{k}"], arrays[f"scales/{k}"] = parts
    # An .npz written at zlib level 1: four times faster than np.savez_compressed's level 6
    # (seconds for a large run, at the end of every training) for 5-7 % more bytes.
    with open(path, "wb") as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, value in arrays.items():
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def load(path: str | Path) -> Snapshots | None:
    """A run's snapshots; None when the run has none (older runs); SnapshotError when damaged."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise SnapshotError(f"{path.name} is larger than {_MAX_FILE_BYTES // 2**20} MB")
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(npz["meta"].tobytes().decode())
            points = [SnapshotPoint(*map(int, p)) for p in npz["points"]]
            small = [{name: npz[f"small/{k}/{name}"] for name in meta["names"]} for k in range(len(points))]
            rows = [npz[f"rows/{k}"] for k in range(len(points) - 1)]
            steps = [npz[f"steps/{k}"] for k in range(len(points) - 1)]
            scales = [npz[f"scales/{k}"] for k in range(len(points) - 1)]
        return Snapshots(points, int(meta["total_samples"]), small, rows, steps, scales, float(meta["tolerance"]))
    except SnapshotError:
        raise
    except Exception as exc:  # a truncated or foreign file: say so, never crash the reader
        raise SnapshotError(f"{path.name} cannot be read ({type(exc).__name__}: {str(exc)[:200]})") from None


# -- what the replay returns (plain data: pages unpickle it without TensorFlow) -----------

@dataclass(frozen=True)
class ReplayIndex:
    """A run's snapshots as the replay's slider shows them."""

    count: int
    samples: list[int]             # texts read at each snapshot
    total_samples: int
    complete: bool                 # the last snapshot is the end of the planned training

    def fraction(self, k: int) -> float:
        return self.samples[k] / self.total_samples if self.total_samples else 1.0


@dataclass(frozen=True)
class ReplayFrame:
    """How the network read one text at snapshot ``k``: what Explore draws for the replay."""

    run_id: str
    text: str
    k: int
    tokens: list                               # rnnlab.tracedata.TokenInfo
    probabilities: np.ndarray                  # (4,)
    prefix_probabilities: np.ndarray           # (T, 4): after tokens 1..t, each prefix alone
    occlusion: np.ndarray                      # (T,): the predicted class's drop with token t as [UNK]
    layers: list = field(default_factory=list) # rnnlab.tracedata.LayerTrace, hidden states only

    @property
    def predicted_index(self) -> int:
        return int(np.argmax(self.probabilities))
