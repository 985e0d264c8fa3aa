"""What a trace and its analyses hold: plain dataclasses of numpy arrays, without TensorFlow.

:class:`rnnlab.analysis.trace.Tracer` and :mod:`rnnlab.analysis` fill them in the
compute worker; pages receive them through :mod:`rnnlab.service` and draw them, so this
module must not import Keras.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import CLASS_NAMES


# -- results -------------------------------------------------------------------------

@dataclass
class TokenInfo:
    """One token as the model reads it, and the word the person typed for it."""

    token: str
    word: str
    id: int
    unknown: bool

    def to_dict(self) -> dict:
        return {"token": self.token, "word": self.word, "id": int(self.id), "unknown": bool(self.unknown)}


@dataclass
class LayerTrace:
    """One direction of one recurrent layer over the text, rows in reading order.

    ``hidden`` (T, units): row t is the state after reading token t (backward: the
    backward state at position t, after reading tokens T-1 .. t). ``internals``: LSTM
    ``cell``, ``input_gate``, ``forget_gate``, ``output_gate``, ``candidate``; GRU
    ``update_gate``, ``reset_gate``, ``candidate``; SimpleRNN ``preactivation``
    (W_I x_t + W_H s_(t-1) + b); (T, units) each.
    """

    name: str
    direction: str
    cell: str
    hidden: np.ndarray
    internals: dict[str, np.ndarray] = field(default_factory=dict)

    def to_dict(self) -> dict:
        # "cell" is the LSTM cell state in the JSON (as the CLI promises); the type is "cell_type".
        out = {"name": self.name, "direction": self.direction, "cell_type": self.cell,
               "units": int(self.hidden.shape[1]), "hidden": _floats(self.hidden)}
        out.update({key: _floats(value) for key, value in self.internals.items()})
        return out


@dataclass
class Trace:
    """Everything the network computed for one text; see the module docstring."""

    run_id: str
    text: str
    cleaned: str
    tokens: list[TokenInfo]
    truncated: bool
    max_length: int
    layers: list[LayerTrace]
    prefix_probabilities: np.ndarray          # (T, 4): after tokens 1..t, each prefix alone
    probabilities: np.ndarray                 # (4,): the model's prediction for the text
    predicted_class: str
    attributions: dict[str, np.ndarray]       # "occlusion", "integrated_gradients": (T,)
    state_change: np.ndarray                  # (T,): ||h_t - h_(t-1)||, last layer, forward
    projection: np.ndarray | None = None      # (T, 2): classifier input after each prefix, PCA

    def layer(self, name: str, direction: str = "forward") -> LayerTrace:
        for layer in self.layers:
            if layer.name == name and layer.direction == direction:
                return layer
        raise KeyError(f"no layer {name!r} direction {direction!r} in this trace")

    @property
    def predicted_index(self) -> int:
        return CLASS_NAMES.index(self.predicted_class)

    def to_dict(self) -> dict:
        """Plain JSON-able data (lists, floats, strings, bools)."""
        return {
            "run_id": self.run_id, "text": self.text, "cleaned": self.cleaned,
            "tokens": [t.to_dict() for t in self.tokens], "truncated": bool(self.truncated),
            "max_length": int(self.max_length), "classes": list(CLASS_NAMES),
            "layers": [layer.to_dict() for layer in self.layers],
            "prefix_probabilities": _floats(self.prefix_probabilities),
            "probabilities": _floats(self.probabilities), "predicted_class": self.predicted_class,
            "attributions": {key: _floats(value) for key, value in self.attributions.items()},
            "state_change": _floats(self.state_change),
            "projection": None if self.projection is None else _floats(self.projection),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per token, for tables and CSV download."""
        top = self.prefix_probabilities.argmax(axis=1)
        data = {
            "position": np.arange(1, len(self.tokens) + 1),
            "token": [t.token for t in self.tokens],
            "word": [t.word for t in self.tokens],
            "unknown": [t.unknown for t in self.tokens],
            "top_class": [CLASS_NAMES[i] for i in top],
            "top_probability": self.prefix_probabilities[np.arange(len(top)), top],
        }
        for c, name in enumerate(CLASS_NAMES):
            data[f"p_{name}"] = self.prefix_probabilities[:, c]
        for key, value in self.attributions.items():
            data[key] = value
        data["state_change"] = self.state_change
        if self.projection is not None:
            data["pca_x"], data["pca_y"] = self.projection[:, 0], self.projection[:, 1]
        return pd.DataFrame(data)

    def to_csv(self) -> bytes:
        """:meth:`to_frame` as UTF-8 CSV that a spreadsheet never runs: text cells are
        neutralised as OWASP recommends for CSV injection (see :func:`csv_text`)."""
        frame = self.to_frame()
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].map(csv_text)
        return frame.to_csv(index=False).encode("utf-8")


@dataclass(frozen=True)
class ProjectionBasis:
    """A run's 2-D PCA basis of the classifier's input after each prefix
    (:mod:`rnnlab.analysis.projection`); stored in the run as ``pca.json``."""

    run_id: str
    dim: int
    mean: list[float]                          # (D,)
    components: list[list[float]]              # (2, D)
    explained_variance_ratio: list[float]      # (2,)
    x_bounds: list[float]                      # [min, max] of the sample along each axis
    y_bounds: list[float]
    class_centroids: dict[str, list[float]]    # where each true class's whole titles lie
    n_headlines: int
    n_states: int
    seed: int

    def centroid(self, class_name: str) -> list[float] | None:
        return self.class_centroids.get(class_name)

    def project(self, states: np.ndarray) -> np.ndarray:
        """Points (N, 2) of states (N, D) in this basis."""
        return (np.asarray(states, dtype=np.float64) - np.asarray(self.mean)) @ np.asarray(self.components).T


@dataclass(frozen=True)
class NeuronContext:
    """One place in a test title where a unit's hidden state is extreme."""

    context: str             # the token with its neighbours, the token in «guillemets»
    token: str
    value: float
    headline: str
    position: int            # the token's index in the headline
    left: str
    right: str


@dataclass(frozen=True)
class NeuronContexts:
    """Where one unit fires most (``top``) and least (``bottom``) over a sample of test titles."""

    layer: str
    direction: str
    unit: int
    top: list[NeuronContext]
    bottom: list[NeuronContext]
    n_headlines: int
    n_states: int


@dataclass(frozen=True)
class PaddingRead:
    """A text followed by 0..P padding tokens, read one way (with masking or without)."""

    probabilities: np.ndarray        # (P+1, 4) after k padding tokens
    state_drift: np.ndarray          # (P+1,): distance of the classifier's input from the unpadded text's
    predicted_class: list[str]       # (P+1,)


@dataclass(frozen=True)
class PaddingDemo:
    """What padding does to a model read with masking and without."""

    pads: int
    tokens: list[str]
    truncated: bool
    model_masking: bool              # which of the two reads the run itself does
    masked: PaddingRead
    unmasked: PaddingRead

    @property
    def own(self) -> PaddingRead:
        """The read the run's model really does."""
        return self.masked if self.model_masking else self.unmasked


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value):
    """A text cell a spreadsheet shows as text: one starting with ``= + - @``, a tab or a
    carriage return (a formula to Excel, LibreOffice, Sheets) gets a leading ``'``."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _floats(array) -> list:
    return np.asarray(array, dtype=np.float64).tolist()
