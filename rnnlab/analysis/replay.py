"""The training replay: how a run read a text at one of the snapshots its training kept.

The weights of snapshot k come from :class:`rnnlab.snapshots.Snapshots` (only the
embedding rows of the text's tokens are rebuilt), and everything is computed by the
numpy reference cells (:mod:`rnnlab.reference`): no Keras model is built or changed.
What it returns (:class:`rnnlab.snapshots.ReplayFrame`) is what Explore's replay draws:
the prediction, the word strip (occlusion) and the hidden states.
"""
from __future__ import annotations

import numpy as np

from ..errors import TraceError
from ..reference import forward
from ..runs import RunStoreError
from ..snapshots import FILE, ReplayFrame, ReplayIndex, SnapshotError, Snapshots, load
from ..tracedata import LayerTrace
from .trace import prefixes_and_occlusions


def snapshots(tracer) -> Snapshots | None:
    """The run's snapshots (loaded once per tracer); None for a run without them."""
    def build():
        try:
            return load(tracer.path / FILE)
        except SnapshotError as exc:
            raise RunStoreError(f"run {tracer.run_id!r}: {exc}") from None
    return tracer.cached("snapshots", build)


def replay_index(tracer) -> ReplayIndex | None:
    """What the replay's slider offers; None when the run kept fewer than two snapshots."""
    found = snapshots(tracer)
    if found is None or len(found) < 2:
        return None
    samples = [p.samples for p in found.points]
    return ReplayIndex(len(found), samples, found.total_samples, samples[-1] >= found.total_samples)


def replay(tracer, text: str, k: int) -> ReplayFrame:
    """The run at snapshot ``k`` (0-based) reading ``text``."""
    found = snapshots(tracer)
    if found is None:
        raise TraceError("this run kept no snapshots of its training (it was trained before they were kept)")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < len(found):
        raise TraceError(f"the snapshot must be a whole number from 0 to {len(found) - 1}, got {k!r}")
    _, tokens, _ = tracer.tokenize(text)
    ids = np.array([t.id for t in tokens], dtype=np.int64)
    n = len(ids)
    batch, lengths = prefixes_and_occlusions(ids)
    weights, local = found.weights(tracer.weights, int(k), batch)
    # The ids are re-numbered (only these rows are rebuilt) and no row is padded, so the
    # lengths alone say what each row reads.
    _, probs = forward(weights, local, lengths=lengths, masking=False, internals=False)
    runs, _ = forward(weights, local[n - 1:n], masking=False, internals=False)
    prefix = probs[:n].astype(np.float64)
    final = prefix[-1]
    predicted = int(final.argmax())
    layers = [LayerTrace(run.weights.name, direction, run.weights.cell, cell_run.hidden[0].astype(np.float64))
              for run in runs for direction, cell_run in run.directions.items()]
    return ReplayFrame(tracer.run_id, text, int(k), tokens, final, prefix,
                       final[predicted] - probs[n:, predicted].astype(np.float64), layers)
