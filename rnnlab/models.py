"""Keras models for a RunConfig.

A run has one model that takes raw strings (what is saved and what the app and CLI
call) and, sharing its layers, a token model that takes already-vectorized,
right-padded integer batches (what the training loop feeds, so that text is
vectorized once up front instead of per batch).

Layer names are fixed so that later code finds them: ``vectorizer``, ``truncate``,
``embedding``, ``rnn_1`` .. ``rnn_3`` (``Bidirectional`` wrappers when bidirectional)
and ``classifier``.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from .cells import CELLS
from .config import CLASS_NAMES, RunConfig
from .glove import embedding_matrix, extend_vocabulary
from .text import standardize



@keras.saving.register_keras_serializable(package="rnnlab")
class Truncate(keras.layers.Layer):
    """Keep the first ``max_length`` tokens of each row (no padding added)."""

    def __init__(self, max_length: int, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def call(self, tokens):
        return tokens[:, : self.max_length]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_length": self.max_length}


def make_vectorizer(config: RunConfig, vocabulary: list[str] | None = None) -> keras.layers.TextVectorization:
    """The text -> token ids layer; without a vocabulary it still needs ``adapt``.

    ``vocabulary`` excludes the padding token '' and '[UNK]' (as ``get_vocabulary``
    returns them first, they are dropped here if present).
    """
    layer = keras.layers.TextVectorization(
        max_tokens=config.vocab_size, standardize=standardize, split="whitespace",
        output_mode="int", name="vectorizer")
    if vocabulary is not None:
        words = [w for w in vocabulary if w not in ("", "[UNK]")][: config.vocab_size - 2]
        layer.set_vocabulary(words)
    return layer


def adapt_vocabulary(config: RunConfig, texts: list[str]) -> list[str]:
    """The run's vocabulary: :func:`learn_vocabulary`, completed by :func:`complete_vocabulary`."""
    return complete_vocabulary(config, learn_vocabulary(config, texts))


def learn_vocabulary(config: RunConfig, texts: list[str]) -> list[str]:
    """The training texts' words: '' and '[UNK]' first, then by frequency, ``vocab_size`` at most."""
    layer = make_vectorizer(config)
    layer.adapt(tf.data.Dataset.from_tensor_slices(tf.constant(texts)).batch(2048))
    return [str(word) for word in layer.get_vocabulary()]


def complete_vocabulary(config: RunConfig, learned: list[str]) -> list[str]:
    """``learned``, then (glove embeddings) GloVe's most frequent words, up to ``vocab_size``.

    A word the training texts lack still has a meaning in GloVe, so it should not read as
    [UNK]. The learned words stay first: token ids below ``len(learned)`` are the words
    training saw (see :mod:`rnnlab.vocabulary`).
    """
    if config.embeddings == "glove":
        return extend_vocabulary(learned, config.vocab_size, _clean_words)
    return learned


def _clean_words(words: list[str]) -> list[str]:
    return [w.decode("utf-8", errors="replace") for w in standardize(tf.constant(words)).numpy()]


def _recurrent_layer(config: RunConfig, index: int, dtype):
    last = index == config.layers
    cell = CELLS[config.cell].keras_layer()(config.units, return_sequences=not last, dtype=dtype,
                                     name=f"{config.cell}_{index}" if config.bidirectional else f"rnn_{index}")
    if config.bidirectional:
        return keras.layers.Bidirectional(cell, name=f"rnn_{index}", dtype=dtype)
    return cell


def build_layers(config: RunConfig, mixed_precision: bool = False) -> list[keras.layers.Layer]:
    """Embedding, recurrent layers and classifier: the part the token model trains.

    With ``mixed_precision`` the embedding and recurrent layers compute in float16 (their
    weights stay float32); the softmax classifier stays float32 for stable probabilities.
    """
    dtype = "mixed_float16" if mixed_precision else None
    # mask_zero carries the mask to every recurrent layer; tanh/sigmoid activations, no
    # recurrent dropout and right padding keep the layers eligible for fused cuDNN kernels.
    # Pretrained vectors stay as they are unless asked to train (build_model fills them in).
    frozen = config.embeddings == "glove" and not config.embeddings_trainable
    layers = [keras.layers.Embedding(config.vocab_size, config.embed_dim, mask_zero=config.masking,
                                     name="embedding", dtype=dtype, trainable=not frozen)]
    layers += [_recurrent_layer(config, i, dtype) for i in range(1, config.layers + 1)]
    layers.append(keras.layers.Dense(len(CLASS_NAMES), activation="softmax", name="classifier", dtype="float32"))
    return layers


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def build_model(config: RunConfig, vocabulary: list[str], mixed_precision: bool = False) -> keras.Model:
    """The end-to-end model: a batch of raw strings in, class probabilities out."""
    keras.utils.set_random_seed(config.seed)
    text = keras.Input(shape=(1,), dtype="string", name="text")
    vectorizer = make_vectorizer(config, vocabulary)
    tokens = Truncate(config.max_length, name="truncate")(vectorizer(text))
    model = keras.Model(text, _apply(build_layers(config, mixed_precision), tokens), name="rnnlab")
    if config.embeddings == "glove":
        model.get_layer("embedding").embeddings.assign(
            embedding_matrix(vectorizer.get_vocabulary(), config.vocab_size, config.seed, config.embed_dim))
    return model


def recurrent_layer_names(model: keras.Model) -> list[str]:
    return [layer.name for layer in model.layers if layer.name.startswith("rnn_")]


def token_model(model: keras.Model) -> keras.Model:
    """A model over token ids that shares every weight with the text ``model``."""
    names = ["embedding", *recurrent_layer_names(model), "classifier"]
    tokens = keras.Input(shape=(None,), dtype="int64", name="tokens")
    return keras.Model(tokens, _apply([model.get_layer(n) for n in names], tokens), name="rnnlab_tokens")


def vectorize(model: keras.Model, texts: list[str]) -> list[list[int]]:
    """Token ids per text, truncated to the model's max_length, without padding."""
    vectorizer = model.get_layer("vectorizer")
    max_length = model.get_layer("truncate").max_length
    out: list[list[int]] = []
    for start in range(0, len(texts), 4096):
        chunk = tf.constant(texts[start:start + 4096])
        # A ragged result keeps each text's own length.
        ragged = tf.RaggedTensor.from_tensor(vectorizer(chunk), padding=0)
        out.extend(row[:max_length] for row in ragged.to_list())
    return out


def model_problem(model, config: RunConfig) -> str:
    """What makes a loaded model other than the text model ``config`` builds (``""`` if nothing).

    A foreign ``.keras`` file (any valid Keras model) loads fine but lacks the named
    layers every reader relies on; this says so before a reader trips over it.
    """
    expected = {"vectorizer": keras.layers.TextVectorization, "truncate": Truncate,
                "embedding": keras.layers.Embedding, "classifier": keras.layers.Dense}
    layers = {layer.name: layer for layer in getattr(model, "layers", [])}
    for name, kind in expected.items():
        if not isinstance(layers.get(name), kind):
            return f"is not an RNN Lab model (no {kind.__name__} layer named {name!r})"
    recurrent = [layers[name] for name in recurrent_layer_names(model)]
    cell = CELLS[config.cell].keras_layer()
    if len(recurrent) != config.layers or not all(
            isinstance(getattr(layer, "forward_layer", layer) if config.bidirectional else layer, cell)
            and isinstance(layer, keras.layers.Bidirectional) == config.bidirectional for layer in recurrent):
        return f"does not hold the recurrent layers its config.json describes ({config.describe()})"
    if layers["classifier"].units != len(CLASS_NAMES):
        return f"does not end in {len(CLASS_NAMES)} classes"
    return ""
