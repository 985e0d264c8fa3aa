"""Background training for a server shared by many people.

A :class:`TrainingQueue` runs trainings in worker threads, at most ``max_concurrent``
at once; the rest wait in order. A request whose config equals a finished run in the
store, or a job already queued or running, gets that run or job instead of a new
training. Workers never touch the UI: pages read :meth:`TrainingJob.snapshot`.

Several processes (app servers) may share one store: the limit then holds for all of
them together, and a run one process trains is awaited and reused by the others (file
locks in the store, see :mod:`rnnlab.storelocks`).
"""
from __future__ import annotations

import collections
import ctypes
import gc
import copy
import itertools
import os
import threading
import time
from dataclasses import dataclass, field

from . import storelocks
from .config import RunConfig
from .runs import RunStore
from .progress import Progress, TrainingCallback

QUEUED, RUNNING, FINISHED, STOPPED, DISCARDED, FAILED, REUSED = (
    "queued", "running", "finished", "stopped", "discarded", "failed", "reused")
ACTIVE = (QUEUED, RUNNING)
POLL_S = 0.5      # how often waiting jobs look again for a store slot another process freed
MAX_ENDED_JOBS = 200          # ended jobs kept for pages to show; older ones are forgotten


def release_memory() -> None:
    """Free a finished training's memory now, and give it back to the system.

    Keras models and TensorFlow functions form reference cycles that Python's collector
    reaches only rarely (their large buffers live outside its counts), and glibc keeps
    freed blocks for reuse: without this a server grew ~60 MB per training.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):      # not glibc: the collection alone still helps
        pass


def release_model(model) -> None:
    """Free a trained model's weights now: the train step that captured them may outlive it
    (see :mod:`rnnlab.step_memory`)."""
    from .step_memory import empty_variables      # TensorFlow is loaded by then
    empty_variables(model.variables)


def default_max_concurrent() -> int:
    value = os.environ.get("RNNLAB_MAX_TRAININGS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


@dataclass
class TrainingJob:
    job_id: str
    config: RunConfig
    run_id: str
    state: str = QUEUED
    progress: Progress = field(default_factory=lambda: Progress("queued"))
    curve: list = field(default_factory=list)        # {"samples", "loss", "accuracy"} per logged batch
    epochs: list = field(default_factory=list)       # {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}
    metrics: dict = field(default_factory=dict)
    error: str = ""
    saved_run_id: str = ""                           # where the result is in the store, if anywhere
    created: float = field(default_factory=time.time)
    keep_partial: bool = True
    requesters: set = field(default_factory=set)     # who waits for this job (e.g. browser sessions)
    stop_event: threading.Event = field(default_factory=threading.Event, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __getstate__(self) -> dict:
        """Pickled (sent from the compute worker to a page) without its lock and stop event."""
        state = dict(self.__dict__)
        for private in ("lock", "stop_event", "requesters"):
            state.pop(private)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, lock=threading.Lock(), stop_event=threading.Event(), requesters=set())

    def snapshot(self) -> "TrainingJob":
        """A consistent copy for a page to draw from (the worker keeps writing the original)."""
        with self.lock:
            return TrainingJob(self.job_id, self.config, self.run_id, self.state, copy.copy(self.progress),
                               list(self.curve), list(self.epochs), dict(self.metrics), self.error,
                               self.saved_run_id, self.created, self.keep_partial)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


class _JobCallback(TrainingCallback):
    def __init__(self, job: TrainingJob):
        self.job = job

    def on_phase(self, progress):
        with self.job.lock:
            self.job.progress = copy.copy(progress)

    def on_batch_end(self, progress):
        with self.job.lock:
            self.job.progress = copy.copy(progress)
            if not self.job.curve or progress.samples_seen - self.job.curve[-1]["samples"] >= max(
                    1, progress.total_samples // 200) or progress.batch == progress.batches:
                self.job.curve.append({"samples": progress.samples_seen, "loss": progress.loss,
                                       "accuracy": progress.accuracy, "epoch": progress.epoch})

    def on_epoch_end(self, progress):
        with self.job.lock:
            self.job.progress = copy.copy(progress)
            self.job.epochs.append({"epoch": progress.epoch, "loss": progress.loss, "accuracy": progress.accuracy,
                                    "val_loss": progress.val_loss, "val_accuracy": progress.val_accuracy})


class TrainingQueue:
    def __init__(self, store: RunStore, max_concurrent: int | None = None, trainer=None):
        """``trainer`` stands in for :func:`rnnlab.training.train` (tests); the queue then
        leaves the models it returns alone, since it does not own them."""
        self.store = store
        self.max_concurrent = max_concurrent or default_max_concurrent()
        self._trainer = trainer
        self._owns_models = trainer is None
        self._jobs: dict[str, TrainingJob] = {}
        self._pending: collections.deque[TrainingJob] = collections.deque()
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._retry_scheduled = False

    # -- requests ---------------------------------------------------------------------
    def submit(self, config: RunConfig, requester: str = "") -> TrainingJob:
        """Queue a training, or hand back the finished run or active job with this config.

        ``requester`` (a session id) is recorded, so that one person's Stop does not end
        a training that others joined (see :meth:`stop`). A job that is stopping (still
        evaluating, say) is never joined: it will not give this config's run.
        """
        run_id = config.run_id()
        with self._lock:
            for job in self._jobs.values():
                if job.run_id == run_id and job.active and not job.stop_event.is_set():
                    job.requesters.add(requester)
                    return job
            job = TrainingJob(f"job-{next(self._ids)}", config, run_id, requesters={requester})
            self._jobs[job.job_id] = job
            info = self.store.info(run_id)
            if info.finished:
                job.state, job.saved_run_id, job.metrics = REUSED, run_id, info.metrics
            else:
                self._pending.append(job)
            self._forget_old_jobs()
        self._dispatch()
        return job

    def stop(self, job_id: str, keep: bool = True, requester: str | None = None) -> bool:
        """Ask a job to stop within one batch; ``keep`` saves what it learned so far.

        With a ``requester``, that person leaves the job; it stops only when nobody else
        waits for it. Returns whether the job was asked to stop.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return False
            if requester is not None:
                job.requesters.discard(requester)
                if job.requesters:
                    return False
            job.keep_partial = keep
            if job.state == QUEUED:
                self._pending.remove(job)
                job.state = DISCARDED
                return True
            job.stop_event.set()        # under the lock, so no request joins it from now on
        return True

    def _forget_old_jobs(self) -> None:
        """Keep every active job and the newest ``MAX_ENDED_JOBS`` ended ones (call under the lock)."""
        ended = [job_id for job_id, job in self._jobs.items() if not job.active]
        for job_id in ended[:-MAX_ENDED_JOBS]:
            del self._jobs[job_id]

    def get(self, job_id: str) -> TrainingJob | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[TrainingJob]:
        return list(self._jobs.values())

    def position(self, job_id: str) -> int:
        """1 = next to start; 0 when not waiting."""
        with self._lock:
            for i, job in enumerate(self._pending, start=1):
                if job.job_id == job_id:
                    return i
        return 0

    def wait(self, job_id: str, timeout: float | None = None) -> TrainingJob:
        """Block until a job has ended (for the CLI and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        job = self._jobs[job_id]
        while job.active:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{job_id} still {job.state} after {timeout} s")
            time.sleep(0.05)
        return job

    # -- workers ----------------------------------------------------------------------
    def _train(self, config, **kwargs):
        if self._trainer is None:                    # imported here: TensorFlow loads with the first training
            from .training import train
            self._trainer = train
        return self._trainer(config, **kwargs)

    def _dispatch(self) -> None:
        with self._lock:
            while len(self._running) < self.max_concurrent and self._start_next():
                pass
            if self._pending and len(self._running) < self.max_concurrent:
                self._retry_soon()

    def _start_next(self) -> bool:
        """Start the first waiting job that no other process trains, if a store slot is free.

        Called with ``self._lock`` held. A job whose run another process saved meanwhile
        ends as reused. Returns whether a job started.
        """
        for job in list(self._pending):
            try:
                run_lock = storelocks.try_run(self.store.root, job.run_id)
            except OSError as exc:           # e.g. the store is not a writable folder
                self._pending.remove(job)
                with job.lock:
                    job.error, job.state = f"cannot lock the run store: {exc}", FAILED
                continue
            if run_lock is None:
                continue                     # being trained elsewhere: wait for that run
            info = self.store.info(job.run_id)
            if info.finished:
                run_lock.release()
                self._pending.remove(job)
                with job.lock:
                    job.state, job.saved_run_id, job.metrics = REUSED, job.run_id, info.metrics
                continue
            slot = storelocks.try_slot(self.store.root, self.max_concurrent)
            if slot is None:
                run_lock.release()
                return False
            self._pending.remove(job)
            job.state = RUNNING
            self._running.add(job.job_id)
            threading.Thread(target=self._run_job, args=(job, (run_lock, slot)), name=f"rnnlab-{job.job_id}",
                             daemon=True).start()
            return True
        return False

    def _retry_soon(self) -> None:
        """Look at the waiting jobs again shortly: another process may free a slot or save a run."""
        if not self._retry_scheduled:
            self._retry_scheduled = True
            timer = threading.Timer(POLL_S, self._retry)
            timer.daemon = True
            timer.start()

    def _retry(self) -> None:
        with self._lock:
            self._retry_scheduled = False
        self._dispatch()

    def _run_job(self, job: TrainingJob, locks: tuple) -> None:
        self._work(job, locks)
        release_memory()          # the training's model, optimizer and data are garbage now

    def _work(self, job: TrainingJob, locks: tuple) -> None:
        try:
            result = self._train(job.config, callbacks=[_JobCallback(job)], stop=job.stop_event)
            if result.stopped_early and not (job.keep_partial and result.metrics.get("samples_seen")):
                state, saved = DISCARDED, ""
            else:
                saved = self.store.save_result(result)
                state = STOPPED if result.stopped_early else FINISHED
            if self._owns_models:
                release_model(result.model)      # saved or discarded: pages load runs from the store
            with job.lock:
                job.metrics, job.saved_run_id, job.state = result.metrics, saved, state
        except Exception as exc:  # any failure ends this job with a message, never the server
            with job.lock:
                job.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
                job.state = FAILED
        finally:
            for lock in locks:
                lock.release()
            with self._lock:
                self._running.discard(job.job_id)
            self._dispatch()
