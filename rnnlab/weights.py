"""A trained model's weights as numpy arrays: what the numpy reference cells read.

``extract_model_weights`` reads a Keras model (the only Keras contact); everything
downstream (rnnlab/reference.py, the trace engine, training snapshots) works on these
dataclasses.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import CELLS


class UnsupportedLayerError(ValueError):
    """A model uses a layer or setting the numpy reference does not implement."""


@dataclass
class CellWeights:
    """One direction of one recurrent layer, as numpy arrays.

    ``kernel`` (in, k*units), ``recurrent_kernel`` (units, k*units) and ``bias``:
    (k*units,), or (2, 3*units) for a GRU with ``reset_after`` (input bias, recurrent
    bias). k is 1 (SimpleRNN), 3 (GRU: z, r, h) or 4 (LSTM: i, f, c, o).
    """

    cell: str
    units: int
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    reset_after: bool = True

    def astype(self, dtype) -> "CellWeights":
        return CellWeights(self.cell, self.units, self.kernel.astype(dtype), self.recurrent_kernel.astype(dtype),
                           self.bias.astype(dtype), self.reset_after)


@dataclass
class LayerWeights:
    """One recurrent layer (``rnn_i``): one direction, or forward and backward."""

    name: str
    cell: str
    units: int
    bidirectional: bool
    return_sequences: bool
    forward: CellWeights
    backward: CellWeights | None = None

    @property
    def directions(self) -> list[str]:
        return ["forward", "backward"] if self.bidirectional else ["forward"]

    @property
    def output_dim(self) -> int:
        return self.units * (2 if self.bidirectional else 1)

    def astype(self, dtype) -> "LayerWeights":
        return LayerWeights(self.name, self.cell, self.units, self.bidirectional, self.return_sequences,
                            self.forward.astype(dtype), self.backward.astype(dtype) if self.backward else None)


@dataclass
class ModelWeights:
    """Everything after the vectorizer: embedding, recurrent layers, classifier."""

    embedding: np.ndarray            # (vocab, embed_dim)
    masking: bool                    # the embedding's mask_zero
    layers: list[LayerWeights]
    classifier_kernel: np.ndarray    # (features, classes)
    classifier_bias: np.ndarray      # (classes,)

    def astype(self, dtype) -> "ModelWeights":
        return ModelWeights(self.embedding.astype(dtype), self.masking, [lw.astype(dtype) for lw in self.layers],
                            self.classifier_kernel.astype(dtype), self.classifier_bias.astype(dtype))


def _cell_type(layer) -> str:
    for spec in CELLS.values():
        if isinstance(layer, spec.keras_layer()):
            return spec.name
    labels = [spec.label for spec in CELLS.values()]
    raise UnsupportedLayerError(f"layer {layer.name!r} ({type(layer).__name__}) is not a "
                                f"{', '.join(labels[:-1])} or {labels[-1]}")


def _cell_weights(layer) -> CellWeights:
    cell_type = _cell_type(layer)
    cell = layer.cell
    activation = getattr(cell.activation, "__name__", str(cell.activation))
    if activation != "tanh":
        raise UnsupportedLayerError(f"layer {layer.name!r}: activation {activation!r} is not tanh")
    if cell_type != "simple_rnn":
        recurrent = getattr(cell.recurrent_activation, "__name__", str(cell.recurrent_activation))
        if recurrent != "sigmoid":
            raise UnsupportedLayerError(f"layer {layer.name!r}: recurrent activation {recurrent!r} is not sigmoid")
    if getattr(layer, "stateful", False):
        raise UnsupportedLayerError(f"layer {layer.name!r} is stateful")
    kernel = np.asarray(cell.kernel.numpy())
    recurrent_kernel = np.asarray(cell.recurrent_kernel.numpy())
    units = int(cell.units)
    reset_after = bool(getattr(cell, "reset_after", True))
    if cell.use_bias:
        bias = np.asarray(cell.bias.numpy())
    else:
        k = len(CELLS[cell_type].gates) * units
        bias = np.zeros((2, k) if cell_type == "gru" and reset_after else (k,), dtype=kernel.dtype)
    return CellWeights(cell_type, units, kernel, recurrent_kernel, bias, reset_after)


def extract_weights(model) -> list[LayerWeights]:
    """The recurrent layers ``rnn_1 .. rnn_n`` of a model, in order, as numpy weights."""
    import keras
    out = []
    for layer in model.layers:
        if not layer.name.startswith("rnn_"):
            continue
        if isinstance(layer, keras.layers.Bidirectional):
            if layer.merge_mode != "concat":
                raise UnsupportedLayerError(f"layer {layer.name!r}: merge mode {layer.merge_mode!r} is not concat")
            fwd, bwd = _cell_weights(layer.forward_layer), _cell_weights(layer.backward_layer)
            if bwd.cell != fwd.cell or not layer.backward_layer.go_backwards:
                raise UnsupportedLayerError(f"layer {layer.name!r}: unexpected backward layer")
            out.append(LayerWeights(layer.name, fwd.cell, fwd.units, True, bool(layer.return_sequences), fwd, bwd))
        else:
            if layer.go_backwards:
                raise UnsupportedLayerError(f"layer {layer.name!r} reads backwards outside a Bidirectional wrapper")
            fwd = _cell_weights(layer)
            out.append(LayerWeights(layer.name, fwd.cell, fwd.units, False, bool(layer.return_sequences), fwd))
    if not out:
        raise UnsupportedLayerError("the model has no recurrent layers named rnn_1 .. rnn_n")
    return out


def extract_model_weights(model) -> ModelWeights:
    """Embedding, recurrent layers and classifier of an rnnlab model."""
    embedding = model.get_layer("embedding")
    classifier = model.get_layer("classifier")
    activation = getattr(classifier.activation, "__name__", "")
    if activation != "softmax":
        raise UnsupportedLayerError(f"the classifier's activation is {activation!r}, not softmax")
    return ModelWeights(np.asarray(embedding.embeddings.numpy()), bool(embedding.mask_zero), extract_weights(model),
                        np.asarray(classifier.kernel.numpy()), np.asarray(classifier.bias.numpy()))
