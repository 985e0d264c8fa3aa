"""Seeded samples of AG News test titles, the corpus the analyses fit and search over."""
from __future__ import annotations

import numpy as np

from ..data import load_ag_news


def sample_test_titles(size: int, seed: int) -> tuple[list[str], np.ndarray]:
    """``size`` test titles (all of them if fewer) picked with ``seed``, in file order, and their labels."""
    test = load_ag_news().test
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(len(test), size=min(size, len(test)), replace=False))
    return test["title"].iloc[index].tolist(), test["label"].to_numpy()[index]
