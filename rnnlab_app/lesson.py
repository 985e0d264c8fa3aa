"""The lesson page's four experiments: which preset each section trains and which run it shows.

No Streamlit here. A section's run is the run of :func:`section_config`, the section's
lesson preset, looked up in the run store by its run id (equal configs, equal ids), so a
run trained by ``python -m rnnlab zoo``, from the Train page or by anyone else on the
server is found and reused.

``RNNLAB_LESSON_TRAIN_SIZE`` (a whole number, at least 100) makes every section train on
that many texts instead of the preset's: for tests and for slow machines. The page says
so when it is set, and such runs are not the zoo's.
"""
from __future__ import annotations

import os

from rnnlab.config import PRESETS, RunConfig

SECTIONS = ("simple-rnn", "masking", "lstm", "bilstm")
PRESET_OF = {section: f"lesson-{section}" for section in SECTIONS}
TRAIN_SIZE_ENV = "RNNLAB_LESSON_TRAIN_SIZE"


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
    return {section: section_config(section).run_id() for section in SECTIONS}
