"""The catalogue of recurrent cells: one :class:`CellSpec` per cell the lab trains and explains.

Everything that differs between SimpleRNN, GRU and LSTM lives in one row here: the
name a config uses, the label people read, the Keras layer, the blocks of the fused
kernel, the internals a trace records (and how a chart colours them) and the numpy
step the reference (:mod:`rnnlab.reference`) runs. Adding a cell means adding a row
(and its texts in the locales: ``internal.<name>``, ``note.internal.<name>``).

No Keras at import time: the config, the run store and ``serve`` read this table
without loading TensorFlow; :meth:`CellSpec.keras_layer` imports Keras when a model is
built or read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

STATE, GATE = "state", "gate"   # how a chart shows an internal: diverging around 0, or 0..1


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@dataclass(frozen=True)
class Internal:
    """A per-unit value a trace records at every step besides the hidden state."""

    name: str          # "forget_gate"; its texts are internal.<name> and note.internal.<name>
    kind: str          # STATE or GATE


# A step reads (xw, h, carried, recurrent_kernel, recurrent_bias, reset_after), where xw is
# the input projection x_t @ W_I + b, and gives (new h, new carried state or None, the
# internals it computed, by name). ``carried`` is the LSTM's cell state, None otherwise.
Step = Callable[..., tuple[np.ndarray, "np.ndarray | None", dict[str, np.ndarray]]]


@dataclass(frozen=True)
class CellSpec:
    name: str                         # the config's value: "lstm"
    label: str                        # what people read: "LSTM"
    layer: str                        # the keras.layers class: "LSTM"
    gates: tuple[str, ...]            # the fused kernel's blocks, in Keras' order (i, f, c, o)
    internals: tuple[Internal, ...]   # in the order a trace records them
    step: Step
    carried: str | None = None        # the internal that is carried through masked steps like h

    @property
    def internal_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.internals)

    def keras_layer(self):
        """The Keras layer class (imports Keras)."""
        import keras
        return getattr(keras.layers, self.layer)


def _simple_rnn_step(xw, h, c, recurrent, recurrent_bias, reset_after):
    """``s_t = tanh(W_I x_t + W_H s_(t-1) + b)``."""
    pre = xw + h @ recurrent
    return np.tanh(pre), None, {"preactivation": pre}


def _gru_step(xw, h, c, recurrent, recurrent_bias, reset_after):
    """Keras' GRU: gates z, r; ``reset_after`` (the default) applies r to ``U_h h + b_h``."""
    u = h.shape[-1]
    if reset_after:
        inner = h @ recurrent + recurrent_bias
        zr = sigmoid(xw[:, :2 * u] + inner[:, :2 * u])
        z, r = zr[:, :u], zr[:, u:]
        g = np.tanh(xw[:, 2 * u:] + r * inner[:, 2 * u:])
    else:                    # the original GRU: the reset gate scales h before U_h
        zr = sigmoid(xw[:, :2 * u] + h @ recurrent[:, :2 * u])
        z, r = zr[:, :u], zr[:, u:]
        g = np.tanh(xw[:, 2 * u:] + (r * h) @ recurrent[:, 2 * u:])
    return z * h + (1.0 - z) * g, None, {"update_gate": z, "reset_gate": r, "candidate": g}


def _lstm_step(xw, h, c, recurrent, recurrent_bias, reset_after):
    """Keras' LSTM: gates i, f, o and candidate g; ``c_t = f c + i g``, ``h_t = o tanh(c_t)``."""
    u = h.shape[-1]
    z = xw + h @ recurrent
    s = sigmoid(z)
    i, f, o = s[:, :u], s[:, u:2 * u], s[:, 3 * u:]
    g = np.tanh(z[:, 2 * u:3 * u])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new, {"input_gate": i, "forget_gate": f, "output_gate": o, "candidate": g}


CELLS: dict[str, CellSpec] = {spec.name: spec for spec in (
    CellSpec("simple_rnn", "SimpleRNN", "SimpleRNN", ("h",), (Internal("preactivation", STATE),), _simple_rnn_step),
    CellSpec("gru", "GRU", "GRU", ("z", "r", "h"),
             (Internal("update_gate", GATE), Internal("reset_gate", GATE), Internal("candidate", STATE)), _gru_step),
    CellSpec("lstm", "LSTM", "LSTM", ("i", "f", "c", "o"),
             (Internal("cell", STATE), Internal("input_gate", GATE), Internal("forget_gate", GATE),
              Internal("output_gate", GATE), Internal("candidate", STATE)), _lstm_step, carried="cell"),
)}
CELL_NAMES = tuple(CELLS)
# internal name -> STATE or GATE (a name means the same in every cell that has it)
INTERNAL_KIND = {i.name: i.kind for spec in CELLS.values() for i in spec.internals}


def label(cell: str) -> str:
    """What people read for a config's cell ("LSTM"); an unknown value as it is."""
    spec = CELLS.get(cell)
    return spec.label if spec else cell
