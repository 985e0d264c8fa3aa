"""Training progress: the snapshot every callback gets, the callback interface, and the
command line's progress bar. Light (no TensorFlow), so pages can read a job's progress."""
from __future__ import annotations

import math
import sys
import time
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


class ProgressBar(TrainingCallback):
    """A training callback drawing one line on stderr."""

    def __init__(self, stream=None, width: int = 30):
        self.stream, self.width, self._last = stream or sys.stderr, width, 0.0

    def on_phase(self, progress):
        if progress.phase != "train":
            self._newline()
            self.stream.write(f"{progress.message}\n" if progress.message else "")
            self.stream.flush()

    def on_batch_end(self, progress):
        now = time.monotonic()
        if now - self._last < 0.2 and progress.batch != progress.batches:
            return
        self._last = now
        done = int(self.width * progress.fraction)
        eta = f"{progress.eta_seconds:4.0f}s left" if progress.eta_seconds is not None else ""
        self.stream.write(f"\repoch {progress.epoch}/{progress.epochs} [{'#' * done}{'.' * (self.width - done)}] "
                          f"loss {progress.loss:.3f} acc {progress.accuracy:.3f} "
                          f"{progress.samples_per_second:6.0f} samples/s {eta}  ")
        self.stream.flush()

    def on_epoch_end(self, progress):
        self._newline()
        self.stream.write(f"epoch {progress.epoch}: loss {progress.loss:.3f}, accuracy {progress.accuracy:.3f}, "
                          f"validation accuracy {progress.val_accuracy:.3f}\n")
        self.stream.flush()

    def _newline(self):
        if self._last:
            self.stream.write("\n")
            self._last = 0.0
