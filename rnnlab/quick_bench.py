"""``bench quick``: the ``quick`` preset as a person gets it, one seed per repetition.

Reports the training loop's seconds (the figure the preset's description promises),
the whole wait (data, vocabulary and GloVe vectors prepared, training, evaluation), and
accuracy on AG News test texts, their bare titles and the present-day dev headlines
(when the file is there), so one command checks speed and reading together.
"""
from __future__ import annotations

import sys
import time

from .config import preset


def bench_quick(seed: int = 0) -> dict:
    from .training import train
    config = preset("quick").replace(seed=seed)
    print(f"bench quick: seed {seed} ({config.describe()})", file=sys.stderr)
    start = time.perf_counter()
    result = train(config)
    wall = time.perf_counter() - start
    m = result.metrics
    return {
        "train_seconds": round(result.train_seconds, 2), "wall_seconds": round(wall, 2),
        "test_accuracy": round(m["test_accuracy"], 4), "titles_accuracy": round(m["test_titles_accuracy"], 4),
        "headlines_dev_accuracy": m.get("headlines_dev_accuracy"), "train_rows": m["train_rows"],
    }
