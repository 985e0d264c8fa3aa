"""What the memory views return: plain dataclasses, without TensorFlow.

:mod:`rnnlab.analysis.memory` fills them in the compute worker; pages receive them through
:mod:`rnnlab.service` and draw them, so this module must not import Keras.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TokenMemory:
    """How much the final answer still depends on one token of the headline."""

    word: str
    distance: int            # tokens after it: 0 for the last token
    gradient_norm: float     # |d p(predicted) / d embedding of this token|
    occlusion_drop: float    # p(predicted) minus p(predicted) with this token read as [UNK]


@dataclass
class Memory:
    """Per token (in reading order) the final answer's dependence on it."""

    predicted: int
    probability: float       # p(predicted) for the whole headline
    tokens: list[TokenMemory]


@dataclass
class Neighbour:
    """One test headline whose state is close to the query's."""

    title: str
    true_class: int
    predicted_class: int
    cosine: float


@dataclass
class Neighbours:
    """The test headlines nearest to a headline's state after ``step`` tokens."""

    step: int                # tokens read for the query state (the whole headline: its length)
    n_tokens: int
    n_corpus: int            # test headlines in the matrix
    neighbours: list[Neighbour]


def nearest_by_cosine(matrix: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of the ``k`` rows of ``matrix`` (N, D) nearest to
    ``query`` (D,), best first; an all-zero row or query has similarity 0."""
    norms = np.linalg.norm(matrix, axis=1)
    q = np.linalg.norm(query)
    sims = (matrix @ query) / np.where(norms * q > 0, norms * q, np.inf)
    order = np.argsort(-sims, kind="stable")[:k]
    return order, sims[order]
