"""A small numpy reference of Keras' SimpleRNN, GRU and LSTM, reading trained weights.

The trace engine takes every gate and state it shows from here, so that students see
the textbook equations at work; ``tests/test_reference.py`` checks that these
functions reproduce Keras' own layer outputs (masked and unmasked, stacked,
bidirectional) to 1e-5.

Keras semantics reproduced (Keras 3, TensorFlow backend):

* Gate order in the fused kernels: GRU ``z, r, h`` (``reset_after=True``: the reset
  gate multiplies ``h_(t-1) @ U_h + b_h``), LSTM ``i, f, c, o``.
* A masked timestep leaves the state as it was. Its *output* is the previous output
  (which equals the carried state) for a plain layer, and zero for the layers inside a
  ``Bidirectional`` wrapper that return sequences (Keras forces
  ``zero_output_for_mask`` there).
* The backward layer of ``Bidirectional`` reads the reversed sequence (masked steps of
  right padding come first and are skipped); its sequence output is flipped back to
  reading order before the two directions are concatenated.

Everything here works on batches ``(B, T, features)``; a single ``(T, features)``
sequence is accepted too and gives unbatched results. Results are always in
*reading order*: row ``t`` of a backward direction is the backward state at position
``t``, i.e. after reading tokens ``T-1 .. t``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cells import CELLS
from .weights import CellWeights, LayerWeights, ModelWeights, UnsupportedLayerError


# -- elementwise -----------------------------------------------------------------------

def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# -- one direction over a sequence -----------------------------------------------------

@dataclass
class CellRun:
    """One direction of one layer over a batch, in reading order.

    ``hidden`` (B, T, units): the state after the step that read token t (carried
    unchanged through masked steps). ``outputs``: what Keras returns for the sequence
    (``hidden``, or zero at masked steps when ``zero_output_for_mask``). ``final``
    (B, units): the state after the last step, Keras' output without
    ``return_sequences``. ``internals``: (B, T, units) each, named as in
    :attr:`rnnlab.cells.CellSpec.internals`; the LSTM ``cell`` state is carried through masked steps
    like ``hidden``, gates, candidates and pre-activations are 0 there.
    """

    hidden: np.ndarray
    outputs: np.ndarray
    final: np.ndarray
    internals: dict[str, np.ndarray] = field(default_factory=dict)

    def row(self, b: int) -> "CellRun":
        return CellRun(self.hidden[b], self.outputs[b], self.final[b], {k: v[b] for k, v in self.internals.items()})


def _as_batch(x, mask, lengths):
    x = np.asarray(x)
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"expected a (T, features) or (B, T, features) array, got shape {x.shape}")
    b, t = x.shape[:2]
    if mask is not None and lengths is not None:
        raise ValueError("give mask or lengths, not both")
    if lengths is not None:
        lengths = np.atleast_1d(np.asarray(lengths))
        mask = np.arange(t)[None, :] < lengths[:, None]
    elif mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if single and mask.ndim == 1:
            mask = mask[None]
    if mask is not None and mask.shape != (b, t):
        raise ValueError(f"mask shape {mask.shape} does not match the inputs' (batch, time) {(b, t)}")
    return x, mask, single


def run_cell(w: CellWeights, x, mask=None, lengths=None, go_backwards: bool = False,
             zero_output_for_mask: bool = False, internals: bool = True) -> CellRun:
    """Step one direction of a SimpleRNN, GRU or LSTM over ``x``, as Keras does.

    ``mask`` (B, T) bool or ``lengths`` (B,) (right padding) mark the real steps;
    ``go_backwards`` reads from the last step to the first (results still in reading
    order). ``internals=False`` skips recording gates (faster).
    """
    spec = CELLS.get(w.cell)
    if spec is None:
        raise UnsupportedLayerError(f"unknown cell type {w.cell!r}")
    x, mask, single = _as_batch(x, mask, lengths)
    dtype = np.result_type(x.dtype, w.kernel.dtype)
    x = x.astype(dtype, copy=False)
    b, steps, _ = x.shape
    u = w.units
    kernel, recurrent, bias = (a.astype(dtype, copy=False) for a in (w.kernel, w.recurrent_kernel, w.bias))
    if w.cell == "gru" and w.reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, None
    # The input projection is done step by step rather than for the whole sequence at once:
    # the same arithmetic, but small matrix products stay on one thread. A whole-sequence
    # product is large enough for OpenBLAS to go multi-threaded, and on a busy 2-core
    # machine its threads stall each call for milliseconds.
    h = np.zeros((b, u), dtype)
    carried = np.zeros((b, u), dtype) if spec.carried else None
    hidden = np.empty((b, steps, u), dtype)
    rec = {name: np.zeros((b, steps, u), dtype) for name in spec.internal_names} if internals else {}
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        m = None if mask is None else mask[:, t:t + 1]
        xw = x[:, t] @ kernel + input_bias
        h_new, carried_new, parts = spec.step(xw, h, carried, recurrent, recurrent_bias, w.reset_after)
        if carried is not None:           # the LSTM's cell state: kept through masked steps, like h
            carried = carried_new if m is None else np.where(m, carried_new, carried)
            if internals:
                rec[spec.carried][:, t] = carried
        if internals:                     # gates, candidates, pre-activations: 0 at masked steps
            for name, value in parts.items():
                rec[name][:, t] = value if m is None else np.where(m, value, 0.0)
        h = h_new if m is None else np.where(m, h_new, h)
        hidden[:, t] = h
    if mask is not None and zero_output_for_mask:
        outputs = hidden * mask[:, :, None]
    else:
        outputs = hidden
    result = CellRun(hidden, outputs, h, rec)
    return result.row(0) if single else result


def simple_rnn(w: CellWeights, x, mask=None, lengths=None, go_backwards=False, **kwargs) -> CellRun:
    """SimpleRNN: ``s_t = tanh(W_I x_t + W_H s_(t-1) + b)``; internals: ``preactivation``."""
    _expect(w, "simple_rnn")
    return run_cell(w, x, mask, lengths, go_backwards, **kwargs)


def gru(w: CellWeights, x, mask=None, lengths=None, go_backwards=False, **kwargs) -> CellRun:
    """GRU (Keras, reset_after): internals ``update_gate``, ``reset_gate``, ``candidate``."""
    _expect(w, "gru")
    return run_cell(w, x, mask, lengths, go_backwards, **kwargs)


def lstm(w: CellWeights, x, mask=None, lengths=None, go_backwards=False, **kwargs) -> CellRun:
    """LSTM: internals ``cell``, ``input_gate``, ``forget_gate``, ``output_gate``, ``candidate``."""
    _expect(w, "lstm")
    return run_cell(w, x, mask, lengths, go_backwards, **kwargs)


def _expect(w: CellWeights, cell: str) -> None:
    if w.cell != cell:
        raise UnsupportedLayerError(f"these are {w.cell} weights, not {cell}")


# -- layers and whole models -----------------------------------------------------------

@dataclass
class LayerRun:
    """One layer over a batch: its directions and what Keras would output."""

    weights: LayerWeights
    forward: CellRun
    backward: CellRun | None
    outputs: np.ndarray      # (B, T, output_dim): Keras' output with return_sequences=True
    final: np.ndarray        # (B, output_dim): Keras' output with return_sequences=False

    @property
    def directions(self) -> dict[str, CellRun]:
        out = {"forward": self.forward}
        if self.backward is not None:
            out["backward"] = self.backward
        return out


def run_layer(lw: LayerWeights, x, mask=None, internals: bool = True) -> LayerRun:
    """One ``rnn_i`` layer over a batch (B, T, in) with an optional (B, T) mask."""
    if not lw.bidirectional:
        fwd = run_cell(lw.forward, x, mask, internals=internals)
        return LayerRun(lw, fwd, None, fwd.outputs, fwd.final)
    # Inside Bidirectional, layers returning sequences output zeros at masked steps.
    zero = lw.return_sequences
    fwd = run_cell(lw.forward, x, mask, zero_output_for_mask=zero, internals=internals)
    bwd = run_cell(lw.backward, x, mask, go_backwards=True, zero_output_for_mask=zero, internals=internals)
    return LayerRun(lw, fwd, bwd, np.concatenate([fwd.outputs, bwd.outputs], axis=-1),
                    np.concatenate([fwd.final, bwd.final], axis=-1))


def run_layers(layers: list[LayerWeights], x, mask=None, internals: bool = True) -> list[LayerRun]:
    """Stacked layers: each reads the previous layer's sequence output (and the same mask)."""
    runs = []
    for lw in layers:
        run = run_layer(lw, x, mask, internals=internals)
        runs.append(run)
        x = run.outputs
    return runs


def keras_mask(ids: np.ndarray, masking: bool, lengths=None) -> np.ndarray | None:
    """The steps a model processes for right-padded ``ids`` (B, T).

    With the model's masking, padding id 0 is skipped. ``lengths`` (B,) additionally
    cuts each row to its first ``lengths[b]`` steps, which makes a row read exactly as
    that shorter sequence alone would (whatever the model's masking).
    """
    ids = np.asarray(ids)
    mask = None
    if masking:
        mask = ids != 0
    if lengths is not None:
        cut = np.arange(ids.shape[1])[None, :] < np.asarray(lengths)[:, None]
        mask = cut if mask is None else mask & cut
    return mask


def classify(mw: ModelWeights, features: np.ndarray) -> np.ndarray:
    """Class probabilities from the last layer's output (any leading shape)."""
    return softmax(features @ mw.classifier_kernel + mw.classifier_bias)


def forward(mw: ModelWeights, ids, lengths=None, masking: bool | None = None,
            internals: bool = True) -> tuple[list[LayerRun], np.ndarray]:
    """The whole token model on right-padded ids (B, T): layer runs and probabilities.

    ``masking`` defaults to the model's own; ``lengths`` see :func:`keras_mask`.
    """
    ids = np.atleast_2d(np.asarray(ids, dtype=np.int64))
    masking = mw.masking if masking is None else masking
    mask = keras_mask(ids, masking, lengths)
    runs = run_layers(mw.layers, mw.embedding[ids], mask, internals=internals)
    return runs, classify(mw, runs[-1].final)


# -- Keras' own numbers, to hold the reference to -----------------------------------------

def keras_sequences(model, ids) -> list[dict[str, np.ndarray]]:
    """Keras' hidden-state sequences per layer and direction for right-padded ids (B, T).

    One dict per recurrent layer, ``{"forward": (B, T, units)[, "backward": ...]}`` in
    reading order, computed by the model's own Keras layers (the last layer, which only
    returns its final state, through a copy that returns every step). Each layer reads
    the previous layer's real output under the model's own mask. At masked steps the
    values follow Keras (a plain layer carries its state; compare real steps only).
    """
    import keras
    from keras import ops

    ids = np.atleast_2d(np.asarray(ids, dtype=np.int64))
    embedding = model.get_layer("embedding")
    x = embedding(ids)
    mask = embedding.compute_mask(ids)
    out = []
    for layer in model.layers:
        if not layer.name.startswith("rnn_"):
            continue
        if isinstance(layer, keras.layers.Bidirectional):
            directions = {}
            for name, inner in (("forward", layer.forward_layer), ("backward", layer.backward_layer)):
                clone = inner.__class__.from_config({**inner.get_config(), "return_sequences": True,
                                                     "name": f"{inner.name}_sequences"})
                y = clone(x, mask=mask)               # builds the copy, then take the weights
                clone.set_weights(inner.get_weights())
                y = clone(x, mask=mask)
                if name == "backward":
                    y = ops.flip(y, axis=1)           # go_backwards returns steps in reading-reversed order
                directions[name] = np.asarray(y)
            out.append(directions)
        else:
            clone = layer.__class__.from_config({**layer.get_config(), "return_sequences": True,
                                                 "name": f"{layer.name}_sequences"})
            clone(x, mask=mask)
            clone.set_weights(layer.get_weights())
            out.append({"forward": np.asarray(clone(x, mask=mask))})
        x = layer(x, mask=mask)
    return out
