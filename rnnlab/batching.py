"""Which rows go into which batch, and how much padding that costs (numpy only)."""
from __future__ import annotations

import numpy as np


def plan_batches(lengths: np.ndarray, batch_size: int, bucketing: bool,
                 rng: np.random.Generator) -> list[np.ndarray]:
    """Index arrays, one per batch, in training order.

    With bucketing, rows are sorted by length (ties broken at random) and cut into
    batches of neighbours, so a batch holds rows of nearly equal length and little
    padding; the order of the batches is shuffled.
    """
    n = len(lengths)
    if bucketing:
        order = np.lexsort((rng.random(n), lengths))
    else:
        order = rng.permutation(n)
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    if bucketing:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def padding_fraction(lengths: np.ndarray, batches: list[np.ndarray]) -> float:
    """Share of padding tokens in the padded batches."""
    real = sum(int(lengths[b].sum()) for b in batches)
    padded = sum(int(lengths[b].max()) * len(b) for b in batches)
    return 1.0 - real / padded if padded else 0.0


def padding_with_and_without_bucketing(lengths: np.ndarray, batch_size: int, max_length: int,
                                       seed: int) -> tuple[float, float]:
    """Share of padding for texts of these lengths (cut at ``max_length``): plain, bucketed."""
    capped = np.clip(lengths, 1, max_length)
    return tuple(padding_fraction(capped, plan_batches(capped, batch_size, bucketing, np.random.default_rng(seed)))
                 for bucketing in (False, True))
