"""What padding does to a model: a text followed by 0..P padding tokens, read with masking and without."""
from __future__ import annotations

import numpy as np

from ..config import CLASS_NAMES
from ..errors import TraceError
from ..tracedata import PaddingDemo, PaddingRead

MAX_PADS = 512


def padding_demo(tracer, text: str, pads: int = 20) -> PaddingDemo:
    """Each read's probabilities after k padding tokens and how far the classifier's input
    (last layer, directions concatenated) moved from the unpadded text's."""
    if isinstance(pads, bool) or not isinstance(pads, (int, np.integer)) or not 0 <= pads <= MAX_PADS:
        raise TraceError(f"pads must be a whole number from 0 to {MAX_PADS}, got {pads!r}")
    _, tokens, truncated = tracer.tokenize(text)
    ids = np.array([t.id for t in tokens], dtype=np.int64)
    n, k = len(ids), np.arange(pads + 1)
    batch = np.zeros((pads + 1, n + pads), dtype=np.int64)
    batch[:, :n] = ids
    width = np.arange(n + pads)[None, :]
    masked = np.broadcast_to(width < n, batch.shape)          # padding skipped
    unmasked = width < (n + k)[:, None]                       # padding read as a token
    feats, probs = tracer.features(np.concatenate([batch, batch]), np.concatenate([masked, unmasked]))
    reads = [_read(feats[j * (pads + 1):(j + 1) * (pads + 1)], probs[j * (pads + 1):(j + 1) * (pads + 1)])
             for j in range(2)]
    return PaddingDemo(int(pads), [t.token for t in tokens], truncated, bool(tracer.masking), *reads)


def _read(feats: np.ndarray, probs: np.ndarray) -> PaddingRead:
    feats, probs = feats.astype(np.float64), probs.astype(np.float64)
    return PaddingRead(probs, np.linalg.norm(feats - feats[0], axis=1), [CLASS_NAMES[i] for i in probs.argmax(axis=1)])
