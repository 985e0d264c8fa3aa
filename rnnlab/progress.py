"""A training progress bar on stderr, for the command line and the benches."""
from __future__ import annotations

import sys
import time


class ProgressBar:
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
