"""One-click edits of a headline, and what one step of its reading holds (plain numpy, no TensorFlow).

Pages import this module, so it must not import Keras. The edits work on the words as
the network reads them (:attr:`rnnlab.tracedata.TokenInfo.token`: lower case, without
punctuation), so the edited headline reads as exactly the tokens the edit left, one per
position: dropping word ``i`` shifts only the words after it, reversing keeps each word.
:func:`nearest_in_embedding` runs in the compute worker on a run's embedding matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .memorydata import nearest_by_cosine

PAD_ID, UNK_ID = 0, 1


# -- text edits ----------------------------------------------------------------------

def drop_word(words: Sequence[str], index: int) -> str:
    """The headline without word ``index``."""
    if not 0 <= index < len(words):
        raise IndexError(f"no word {index} in a headline of {len(words)} words")
    return " ".join(w for i, w in enumerate(words) if i != index)


def reverse_words(words: Sequence[str]) -> str:
    """The headline's words in the opposite order."""
    return " ".join(reversed(list(words)))


def swap_word(words: Sequence[str], index: int, replacement: str) -> str:
    """The headline with word ``index`` replaced by ``replacement``."""
    if not 0 <= index < len(words):
        raise IndexError(f"no word {index} in a headline of {len(words)} words")
    return " ".join(replacement if i == index else w for i, w in enumerate(words))


def most_important(attribution) -> int:
    """The position of the word with the largest attribution (the first, on a tie)."""
    values = np.nan_to_num(np.asarray(attribution, dtype=float), nan=-np.inf)
    if values.size == 0:
        raise ValueError("a headline without words has no most important word")
    return int(np.argmax(values))


@dataclass(frozen=True)
class EmbeddingNeighbour:
    """The vocabulary word whose embedding is nearest (by cosine) to another word's."""

    word: str
    id: int
    cosine: float


def nearest_in_embedding(embedding: np.ndarray, vocabulary: Sequence[str], token_id: int) -> EmbeddingNeighbour | None:
    """The nearest other word to ``token_id`` in the embedding matrix (vocab, dim); never the
    word itself, padding (id 0) or [UNK] (id 1). None for padding, [UNK], an id outside the
    vocabulary, or a word whose vector is all zeros (no direction to compare)."""
    if not UNK_ID < token_id < min(len(vocabulary), len(embedding)):
        return None
    matrix = np.asarray(embedding, dtype=np.float64)
    query = matrix[token_id]
    if not np.any(query):
        return None
    order, sims = nearest_by_cosine(matrix, query, len(matrix))
    for index, sim in zip(order, sims):
        if index > UNK_ID and index != token_id:
            return EmbeddingNeighbour(str(vocabulary[index]), int(index), float(sim))
    return None


# -- one step of a reading -------------------------------------------------------------

@dataclass(frozen=True)
class StepNumbers:
    """What Explore shows for one word of a trace: after reading it, the prediction, how far
    the state moved, the word's attributions and each gate's mean over the layer's units."""

    position: int                       # 0-based
    word: str
    probabilities: np.ndarray           # (4,) after reading words 0..position
    state_change: float
    attributions: dict[str, float]
    gate_means: dict[str, float]        # empty for a SimpleRNN


def step_numbers(trace, position: int, layer) -> StepNumbers:
    """Step ``position`` of ``trace`` (a :class:`rnnlab.tracedata.Trace`); gates of ``layer``."""
    if not 0 <= position < len(trace.tokens):
        raise IndexError(f"no step {position} in a trace of {len(trace.tokens)} words")
    gates = {name: float(np.mean(values[position])) for name, values in layer.internals.items()
             if name.endswith("_gate")}
    return StepNumbers(position, trace.tokens[position].word, np.asarray(trace.prefix_probabilities[position]),
                       float(trace.state_change[position]),
                       {k: float(v[position]) for k, v in trace.attributions.items()}, gates)


def state_difference(pinned_hidden: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """|h - h_pinned| per position both headlines have (positions compared as they stand:
    no alignment of words), for two (T, units) hidden states of one layer."""
    n = min(len(pinned_hidden), len(hidden))
    return np.linalg.norm(np.asarray(hidden[:n], float) - np.asarray(pinned_hidden[:n], float), axis=1)


def last_forward(trace):
    """The last recurrent layer's forward direction: the state whose change the trace measures."""
    return [layer for layer in trace.layers if layer.direction == "forward"][-1]
