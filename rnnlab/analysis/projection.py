"""A run's 2-D PCA basis of the classifier's input after each prefix.

Fitted once on every prefix of a fixed seeded sample of test titles (for a
unidirectional model these are the last layer's hidden states after each token), then
cached in the run folder as ``pca.json`` and reused; a missing, stale or malformed file
is fitted and written again.
"""
from __future__ import annotations

import json

import numpy as np

from ..config import CLASS_NAMES
from ..data import DataError
from ..runs import write_run_file_atomically
from ..tracedata import ProjectionBasis
from .samples import sample_test_titles

PCA_FILE = "pca.json"
PCA_VERSION = 1
PCA_MAX_BYTES = 16 * 1024 * 1024            # a basis is a few hundred kB at most
PCA_SAMPLE_SIZE = 300
PCA_SEED = 20240


def projection_basis(tracer) -> ProjectionBasis:
    """The run's basis: read from ``pca.json``, else fitted on the seeded sample and written."""
    def load_or_fit():
        return load_basis(tracer) or fit_and_write(tracer, sample_test_titles(PCA_SAMPLE_SIZE, PCA_SEED))
    return tracer.cached("projection_basis", load_or_fit)


def basis_or_none(tracer) -> ProjectionBasis | None:
    """The basis, or None when there is no data to fit it on."""
    try:
        return projection_basis(tracer)
    except DataError:
        return None


def load_basis(tracer) -> ProjectionBasis | None:
    """The cached basis, or None when pca.json is missing, stale or wrong in any field a page draws from."""
    path = tracer.path / PCA_FILE
    try:
        if path.stat().st_size > PCA_MAX_BYTES:
            return None
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError, RecursionError):
        return None
    if not _valid_basis(data, tracer.run_id, tracer.weights.layers[-1].output_dim):
        return None
    return ProjectionBasis(data["run_id"], data["dim"], data["mean"], data["components"],
                           data["explained_variance_ratio"], data["bounds"]["x"], data["bounds"]["y"],
                           data["class_centroids"], data["n_headlines"], data["n_states"], data["seed"])


def fit_and_write(tracer, sample: tuple[list[str], np.ndarray]) -> ProjectionBasis:
    basis = fit_basis(tracer, *sample)
    try:
        text = json.dumps(_to_json(basis), allow_nan=False)
    except ValueError:                       # a diverged run's NaNs: keep the basis in memory only
        return basis
    write_run_file_atomically(tracer.path, PCA_FILE, text.encode("utf-8"))
    return basis


def fit_basis(tracer, titles: list[str], labels: np.ndarray) -> ProjectionBasis:
    """PCA of the classifier's input after every prefix of ``titles``; each axis's sign fixed."""
    rows, lengths, finals = [], [], []
    for row in tracer.token_ids(titles):
        for k in range(1, len(row) + 1):
            rows.append(row)
            lengths.append(k)
        finals.append(len(rows) - 1)
    feats = _batched_features(tracer, rows, np.asarray(lengths))
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
    return ProjectionBasis(
        tracer.run_id, int(feats.shape[1]), mean.tolist(), components.tolist(),
        np.pad(ratio, (0, 2 - len(ratio))).tolist(),
        [float(points[:, 0].min()), float(points[:, 0].max())], [float(points[:, 1].min()), float(points[:, 1].max())],
        centroids, len(titles), int(len(feats)), PCA_SEED)


def _to_json(basis: ProjectionBasis) -> dict:
    return {
        "version": PCA_VERSION, "run_id": basis.run_id, "dim": basis.dim,
        "space": "classifier input after each prefix (last recurrent layer, directions concatenated)",
        "fitted_on": f"every prefix of {basis.n_headlines} test titles (seed {basis.seed})",
        "n_headlines": basis.n_headlines, "n_states": basis.n_states, "seed": basis.seed,
        "mean": basis.mean, "components": basis.components,
        "explained_variance_ratio": basis.explained_variance_ratio,
        "bounds": {"x": basis.x_bounds, "y": basis.y_bounds}, "class_centroids": basis.class_centroids,
    }


def _batched_features(tracer, rows: list[np.ndarray], lengths: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Classifier input for each row read up to its length; rows batched by similar length."""
    order = np.argsort([len(r) for r in rows], kind="stable")
    out = np.zeros((len(rows), tracer.weights.layers[-1].output_dim), dtype=np.float64)
    for start in range(0, len(order), batch_size):
        index = order[start:start + batch_size]
        width = max(len(rows[i]) for i in index)
        batch = np.zeros((len(index), width), dtype=np.int64)
        for j, i in enumerate(index):
            batch[j, :len(rows[i])] = rows[i]
        mask = np.arange(width)[None, :] < lengths[index][:, None]
        out[index] = tracer.features(batch, mask)[0]
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
            and all(_numbers(point, (2,)) for point in centroids.values())
            and all(isinstance(data.get(key), int) and not isinstance(data.get(key), bool)
                    for key in ("n_headlines", "n_states", "seed")))


def _numbers(value, shape: tuple) -> bool:
    """Whether ``value`` is an array of finite JSON numbers (not text, not booleans) of ``shape``."""
    try:
        array = np.asarray(value)
    except ValueError:                      # ragged nesting
        return False
    return array.shape == shape and array.dtype.kind in "iuf" and bool(np.isfinite(array).all())
