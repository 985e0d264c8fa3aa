"""Training progress as callbacks see it; light, so pages can read a job's progress
without importing TensorFlow."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Progress:
    """A snapshot of a training run, handed to every callback."""

    phase: str                     # "prepare", "train", "evaluate", "done"
    epoch: int = 0                 # 1-based while training
    epochs: int = 0
    batch: int = 0                 # 1-based within the epoch
    batches: int = 0               # per epoch
    samples_seen: int = 0
    total_samples: int = 0         # over all epochs
    loss: float = math.nan         # running mean over the current epoch
    accuracy: float = math.nan
    samples_per_second: float = 0.0
    elapsed_seconds: float = 0.0   # training time so far (preparation excluded)
    eta_seconds: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.samples_seen / self.total_samples if self.total_samples else 0.0


class TrainingCallback:
    """Override what you need; every hook is called from the training thread."""

    def on_phase(self, progress: Progress) -> None: ...

    def on_batch_end(self, progress: Progress) -> None: ...

    def on_epoch_end(self, progress: Progress) -> None: ...
