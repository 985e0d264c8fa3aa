"""Pure helpers for the pages' explanations: the recurrence with a run's real shapes,
and the preset pairs the Compare page offers. No Streamlit here."""
from __future__ import annotations

from dataclasses import dataclass

from rnnlab.cells import CELLS
from rnnlab.config import PRESETS, RunConfig

# The one rule every recurrent cell repeats for every word (Home and Lesson pages).
RECURRENCE = r"\Large S_{t+1} = f\left(W_H\,S_t + W_I\,X_t + b\right)"


@dataclass(frozen=True)
class LayerShapes:
    name: str            # "rnn_1"
    cell: str
    units: int           # size of S_t
    input_dim: int       # size of X_t
    gates: int
    directions: int

    @property
    def w_h(self) -> tuple[int, int]:
        return self.units, self.units

    @property
    def w_i(self) -> tuple[int, int]:
        return self.units, self.input_dim


def layer_shapes(config: RunConfig, weights=None) -> list[LayerShapes]:
    """Per recurrent layer the shapes of S_t, X_t, W_H and W_I.

    ``weights``: a :class:`rnnlab.weights.ModelWeights` to read the real kernel shapes
    from; without it they follow from the config (the same numbers).
    """
    out = []
    if weights is not None:
        for lw in weights.layers:
            kernel = lw.forward.kernel
            out.append(LayerShapes(lw.name, lw.cell, lw.units, int(kernel.shape[0]), len(CELLS[lw.cell].gates),
                                   len(lw.directions)))
        return out
    input_dim = config.embed_dim
    directions = 2 if config.bidirectional else 1
    for i in range(1, config.layers + 1):
        out.append(LayerShapes(f"rnn_{i}", config.cell, config.units, input_dim, len(CELLS[config.cell].gates),
                               directions))
        input_dim = config.units * directions
    return out


def recurrence_latex(shape: LayerShapes) -> str:
    """The recurrence of one layer with its shapes under each term."""
    u, d = shape.units, shape.input_dim
    f = r"\tanh" if shape.cell == "simple_rnn" else "f"
    return (rf"\large \underbrace{{S_{{t+1}}}}_{{{u}}} = {f}\Big(\underbrace{{W_H}}_{{{u}\times{u}}}\,"
            rf"\underbrace{{S_t}}_{{{u}}} + \underbrace{{W_I}}_{{{u}\times{d}}}\,\underbrace{{X_t}}_{{{d}}}"
            rf" + \underbrace{{b}}_{{{u}}}\Big)")


def parameter_count(shape: LayerShapes) -> int:
    """Weights in one layer (all directions): k gates of W_H, W_I and b (GRU: two biases)."""
    per_gate = shape.units * shape.units + shape.units * shape.input_dim + shape.units
    extra = shape.units * shape.gates if shape.cell == "gru" else 0     # reset_after: a second bias
    return (per_gate * shape.gates + extra) * shape.directions


# -- Compare: pairs that differ in exactly one thing --------------------------------------

def _base() -> RunConfig:
    return PRESETS["quick"]


def compare_pairs() -> dict[str, tuple[RunConfig, RunConfig]]:
    """name -> (run A, run B). Each pair changes one setting of the quick preset.

    Masking is compared with plain batching (no bucketing), so batches hold padding and
    masking has something to do.
    """
    base = _base()
    plain = base.replace(bucketing=False)
    return {
        "masking": (plain.replace(masking=True), plain.replace(masking=False)),
        "cell": (base.replace(cell="simple_rnn"), base.replace(cell="lstm")),
        "depth": (base.replace(layers=1), base.replace(layers=2)),
    }
