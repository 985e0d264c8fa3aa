"""Where a run knows each word from: its training texts, only pretrained vectors, or nowhere.

A run's vocabulary is the training texts' words first (ids 0 and 1 are padding and
[UNK]); with GloVe embeddings GloVe's most frequent words follow, words the network
never saw in training but whose pretrained vectors still carry a meaning. Training keeps
how many entries came from the texts in ``metrics.json`` (:data:`TRAINED_WORDS`); runs
saved before that have no such entry, and then nothing is said about their words.
"""
from __future__ import annotations

from typing import Sequence

TRAINED_WORDS = "vocabulary_trained_words"
TRAINED, PRETRAINED, UNKNOWN = "trained", "pretrained", "unknown"
SOURCES = (TRAINED, PRETRAINED, UNKNOWN)
# A small mark per source, drawn beside each word (Explore's word strip) and in its legend.
MARKS = {TRAINED: "●", PRETRAINED: "○", UNKNOWN: "?"}


def trained_words(metrics: dict) -> int | None:
    """How many vocabulary entries the training texts gave, or None for a run that did not keep it."""
    value = metrics.get(TRAINED_WORDS) if isinstance(metrics, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 2 else None


def word_sources(tokens: Sequence, trained: int | None) -> list[str] | None:
    """One of :data:`SOURCES` per token (objects with ``id`` and ``unknown``), or None when unknown.

    [UNK] is ``unknown``; a token id below ``trained`` is a word of the training texts;
    any other id is a word the run has only from its pretrained vectors.
    """
    if trained is None:
        return None
    return [UNKNOWN if t.unknown else TRAINED if t.id < trained else PRETRAINED for t in tokens]


def possible_sources(embeddings: str) -> tuple[str, ...]:
    """The sources a run's words can have: only GloVe runs have words from pretrained vectors alone."""
    return SOURCES if embeddings == "glove" else (TRAINED, UNKNOWN)
