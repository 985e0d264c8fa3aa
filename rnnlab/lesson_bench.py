"""``bench lesson``: the Lesson page's four trainings in the app's worker against the CLI.

The app trains in its compute worker (:mod:`rnnlab.service`), through the same queue
the Lesson page's buttons submit to; the command line trains in a fresh
``python -m rnnlab train`` process. Both record the seconds of their training loop
(``train_seconds``), which is what Streamlit's Keras reset used to inflate in the app.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from .config import PRESETS
from .runs import RunStore
from .service import RemoteQueue, start_worker

SECTIONS = ("simple-rnn", "masking", "lstm", "bilstm")


@dataclass
class LessonTiming:
    section: str
    cli_seconds: float
    app_seconds: float

    @property
    def ratio(self) -> float:
        return self.app_seconds / self.cli_seconds if self.cli_seconds else float("nan")


def cli_seconds(preset: str, train_size: int, store: str) -> float:
    done = subprocess.run([sys.executable, "-m", "rnnlab", "train", "--preset", preset, "--train-size",
                           str(train_size), "--json"], capture_output=True, text=True,
                          env={**os.environ, "RNNLAB_RUNS_DIR": store}, check=True)
    return float(json.loads(done.stdout)["train_seconds"])


def app_seconds(configs: dict, store: str) -> dict[str, float]:
    """Train every config, one after another, in one compute worker, as a lesson does."""
    worker = start_worker()
    try:
        queue = RemoteQueue(worker.call, store)
        out = {}
        for section, config in configs.items():
            job = queue.wait(queue.submit(config, requester="bench").job_id)
            if job.state != "finished":
                raise RuntimeError(f"{section}: the app's training ended {job.state}: {job.error}")
            out[section] = float(RunStore(store).info(job.saved_run_id).metrics["train_seconds"])
        return out
    finally:
        worker.close()


def lesson_bench(train_size: int = 4000) -> list[LessonTiming]:
    configs = {s: PRESETS[f"lesson-{s}"].replace(train_size=train_size) for s in SECTIONS}
    with tempfile.TemporaryDirectory() as app_store, tempfile.TemporaryDirectory() as cli_store:
        app = app_seconds(configs, app_store)
        return [LessonTiming(s, cli_seconds(f"lesson-{s}", train_size, cli_store), app[s]) for s in SECTIONS]


def report(timings: list[LessonTiming]) -> str:
    lines = [f"{'section':12s} {'CLI s':>8s} {'app s':>8s} {'app/CLI':>8s}"]
    lines += [f"{t.section:12s} {t.cli_seconds:8.2f} {t.app_seconds:8.2f} {t.ratio:8.2f}" for t in timings]
    return "\n".join(lines)
