"""The lesson page's experiments: which preset each section trains and which run it shows.

No Streamlit here. A section's run is the run of :func:`section_config`, the section's
lesson preset, looked up in the run store by its run id (equal configs, equal ids), so a
run trained by ``python -m rnnlab zoo``, from the Train page or by anyone else on the
server is found and reused.

``RNNLAB_LESSON_TRAIN_SIZE`` (a whole number, at least 100) makes every section train on
that many texts instead of the preset's: for tests and for slow machines. The page says
so when it is set, and such runs are not the zoo's.

The four steps retell the lesson; the exercise (:data:`EXERCISE`) sets step 2's network
with learned embeddings (:data:`LEARNED`, the same run, never trained twice) against the
same network reading through pretrained GloVe vectors, on a present-day headline.
"""
from __future__ import annotations

import os

from dataclasses import dataclass

from rnnlab.config import PRESETS, RunConfig
from rnnlab.tracedata import TokenInfo

SECTIONS = ("simple-rnn", "masking", "lstm", "bilstm")
EXERCISE = "glove"
GUESS_SECTION = SECTIONS[0]         # where each person guesses the topic before the network answers
LEARNED = "masking"                 # the exercise's learned-embedding side is step 2's run
PRESET_OF = {section: f"lesson-{section}" for section in (*SECTIONS, EXERCISE)}
# Words AG News (2004-05) never had but GloVe (Wikipedia 2014, Gigaword) knows.
EXERCISE_HEADLINE = "Biden warns Facebook and Twitter over Ebola videos on YouTube"
TRAIN_SIZE_ENV = "RNNLAB_LESSON_TRAIN_SIZE"
# The LSTM step's memory example: a long AG-style text whose topic words (oil, OPEC,
# crude, barrel) all come first, read by step 1's SimpleRNN and step 3's LSTM (both
# read up to 64 words, so neither cuts it).
MEMORY_SECTIONS = ("simple-rnn", "lstm")
MEMORY_TEXT = ("Oil prices jumped to a record high after OPEC said crude output would stay flat, and the "
               "price of a barrel rose again on Tuesday while people in many cities said they were "
               "waiting to see what the coming weeks would bring for them and for their families "
               "before the end of the long and cold winter")


def train_size_override() -> int | None:
    """The number of training texts from ``$RNNLAB_LESSON_TRAIN_SIZE``, or None (read on every call)."""
    value = os.environ.get(TRAIN_SIZE_ENV, "").strip()
    if not value.isdigit():
        return None
    n = int(value)
    return n if 100 <= n <= 1_000_000 else None


def section_config(section: str) -> RunConfig:
    """The config a section trains and shows: its lesson preset (shrunk by the env var, if set)."""
    config = PRESETS[PRESET_OF[section]]
    n = train_size_override()
    return config.replace(train_size=n) if n else config


def section_run_ids() -> dict[str, str]:
    """Every section's run id, the exercise's included (its learned side is step 2's run)."""
    return {section: section_config(section).run_id() for section in PRESET_OF}


@dataclass(frozen=True)
class Vocabulary:
    """Which of a headline's tokens a network knows, from a trace of it."""

    seen: str                   # the headline as the network reads it, unknown words as [UNK]
    known: int
    total: int
    unknown: list[str]          # the tokens it lacks, in reading order, each once

    @classmethod
    def of(cls, tokens: list[TokenInfo]) -> "Vocabulary":
        unknown = list(dict.fromkeys(t.token for t in tokens if t.unknown))
        seen = " ".join("[UNK]" if t.unknown else t.token for t in tokens)
        return cls(seen, sum(not t.unknown for t in tokens), len(tokens), unknown)


def newly_known(learned: Vocabulary, glove: Vocabulary) -> list[str]:
    """The words the learned-embedding network lacks and the GloVe network knows."""
    return [w for w in learned.unknown if w not in glove.unknown]
