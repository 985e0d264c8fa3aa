"""The shared training queue: order, concurrency limit, reuse, stop, failure."""
import threading
import time

import pytest

from rnnlab.config import RunConfig
from rnnlab.jobs import DISCARDED, FAILED, FINISHED, QUEUED, REUSED, RUNNING, STOPPED, TrainingQueue
from rnnlab.runs import RunStore
from rnnlab.training import TrainingError


class FakeTrainer:
    """Stands in for rnnlab.training.train: blocks until released, returns a real tiny run's result."""

    def __init__(self, result):
        self.result, self.release, self.started = result, threading.Event(), []

    def __call__(self, config, callbacks=(), stop=None):
        self.started.append(config)
        while not self.release.is_set():
            if stop.is_set():
                return _Result(self.result, config, stopped=True)
            time.sleep(0.01)
        if config.seed == 13:
            raise TrainingError("the loss became nan at epoch 1, batch 3")
        return _Result(self.result, config, stopped=False)


class _Result:
    """What rnnlab.training.train returns, for ``config``, with a tiny run's model."""

    def __init__(self, run, config, stopped):
        self.config, self.model, self.history = config, run.model, run.history
        self.metrics = {**run.metrics, "samples_seen": 64}
        self.stopped_early = stopped


@pytest.fixture
def queue(tmp_path, make_run):
    trainer = FakeTrainer(make_run())
    return TrainingQueue(RunStore(tmp_path), max_concurrent=1, trainer=trainer), trainer


def _wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_one_at_a_time_in_order_with_positions(queue):
    q, trainer = queue
    jobs = [q.submit(RunConfig(seed=s, train_size=400)) for s in (1, 2, 3)]
    _wait_for(lambda: jobs[0].state == RUNNING)
    assert [j.state for j in jobs] == [RUNNING, QUEUED, QUEUED]
    assert [q.position(j.job_id) for j in jobs] == [0, 1, 2]
    trainer.release.set()
    for job in jobs:
        assert q.wait(job.job_id, timeout=20).state == FINISHED
    assert [c.seed for c in trainer.started] == [1, 2, 3]
    assert all(q.store.info(j.run_id).ok for j in jobs)


def test_identical_requests_share_one_training_and_reuse_the_result(queue):
    q, trainer = queue
    config = RunConfig(seed=4, train_size=400)
    first, second = q.submit(config), q.submit(config)
    assert first is second
    trainer.release.set()
    q.wait(first.job_id, timeout=20)
    third = q.submit(config)
    assert third.state == REUSED and third.saved_run_id == config.run_id()
    assert len(trainer.started) == 1


def test_stop_keeps_or_discards_the_partial_run(queue):
    q, trainer = queue
    keep = q.submit(RunConfig(seed=5, train_size=400))
    _wait_for(lambda: keep.state == RUNNING)
    q.stop(keep.job_id, keep=True)
    assert q.wait(keep.job_id, timeout=20).state == STOPPED
    assert keep.saved_run_id.endswith("-partial") and q.store.info(keep.saved_run_id).ok
    assert not q.store.exists(keep.run_id), "a partial run must not pose as the full config's run"
    drop = q.submit(RunConfig(seed=6, train_size=400))
    _wait_for(lambda: drop.state == RUNNING)
    q.stop(drop.job_id, keep=False)
    assert q.wait(drop.job_id, timeout=20).state == DISCARDED
    assert not q.store.exists(drop.run_id) and not q.store.exists(drop.run_id + "-partial")


def test_a_waiting_job_can_be_cancelled(queue):
    q, trainer = queue
    running, waiting = q.submit(RunConfig(seed=7, train_size=400)), q.submit(RunConfig(seed=8, train_size=400))
    q.stop(waiting.job_id, keep=False)
    assert waiting.state == DISCARDED and q.position(waiting.job_id) == 0
    trainer.release.set()
    q.wait(running.job_id, timeout=20)
    assert [c.seed for c in trainer.started] == [7]


def test_a_failed_training_reports_and_saves_nothing_and_the_queue_goes_on(queue):
    q, trainer = queue
    bad, good = q.submit(RunConfig(seed=13, train_size=400)), q.submit(RunConfig(seed=9, train_size=400))
    trainer.release.set()
    assert q.wait(bad.job_id, timeout=20).state == FAILED
    assert "loss became nan" in bad.error and not q.store.exists(bad.run_id)
    assert q.wait(good.job_id, timeout=20).state == FINISHED


def test_a_real_training_reports_progress(tmp_path):
    q = TrainingQueue(RunStore(tmp_path))
    job = q.submit(RunConfig(train_size=400, units=8, epochs=2, batch_size=32))
    q.wait(job.job_id, timeout=120)
    snap = job.snapshot()
    assert snap.state == FINISHED, snap.error
    assert len(snap.epochs) == 2 and snap.curve[-1]["samples"] == 800
    assert snap.progress.phase == "done" and 0 <= snap.metrics["test_accuracy"] <= 1
    assert q.store.load(job.run_id).config == job.config


def test_one_persons_stop_does_not_end_a_training_others_joined(queue):
    q, trainer = queue
    config = RunConfig(seed=10, train_size=400)
    job = q.submit(config, requester="alice")
    assert q.submit(config, requester="bob") is job
    _wait_for(lambda: job.state == RUNNING)
    assert q.stop(job.job_id, keep=False, requester="alice") is False
    assert not job.stop_event.is_set() and job.requesters == {"bob"}
    assert q.stop(job.job_id, keep=False, requester="bob") is True
    assert q.wait(job.job_id, timeout=20).state == DISCARDED


def test_a_stopped_run_under_the_full_id_is_not_reused(queue):
    """Finding 4 (issue 16): an untrained run stored under its config's full id (as
    `train --time-budget -5` once saved) was handed to everyone asking for that config."""
    q, trainer = queue
    config = RunConfig(seed=11, train_size=400)
    q.store.save(config.run_id(), trainer.result.model, config, trainer.result.history,
                 {**trainer.result.metrics, "stopped_early": True, "samples_seen": 0})
    job = q.submit(config)
    assert job.state != REUSED
    trainer.release.set()
    assert q.wait(job.job_id, timeout=20).state == FINISHED
    assert not q.store.info(config.run_id()).metrics["stopped_early"]


class SlowToStop(FakeTrainer):
    """A training that, once stopped, still evaluates until ``evaluated`` is set."""

    def __init__(self, result):
        super().__init__(result)
        self.evaluated = threading.Event()

    def __call__(self, config, callbacks=(), stop=None):
        result = super().__call__(config, callbacks, stop)
        if result.stopped_early:
            self.evaluated.wait(20)
        return result


def test_a_request_never_joins_a_training_that_is_stopping(tmp_path, make_run):
    """Finding 5 (issue 16): A stopped a training with "discard"; while its test evaluation
    still ran, B asked for the same config, was joined to A's dying job and lost the request."""
    trainer = SlowToStop(make_run())
    q = TrainingQueue(RunStore(tmp_path), max_concurrent=1, trainer=trainer)
    config = RunConfig(seed=12, train_size=400)
    first = q.submit(config, requester="a")
    _wait_for(lambda: first.state == RUNNING)
    assert q.stop(first.job_id, keep=False, requester="a")
    second = q.submit(config, requester="b")
    assert second is not first and second.requesters == {"b"}
    trainer.evaluated.set()
    assert q.wait(first.job_id, timeout=20).state == DISCARDED
    trainer.release.set()
    assert q.wait(second.job_id, timeout=20).state == FINISHED and q.store.info(config.run_id()).finished


def test_the_queue_forgets_old_ended_jobs(queue, monkeypatch):
    """Issue 16 (stores and caches are bounded): every request, even one that reuses a
    finished run, added a job the server kept for good."""
    from rnnlab import jobs
    q, trainer = queue
    monkeypatch.setattr(jobs, "MAX_ENDED_JOBS", 5)
    config = RunConfig(seed=14, train_size=400)
    trainer.release.set()
    q.wait(q.submit(config).job_id, timeout=20)
    reused = [q.submit(config) for _ in range(20)]
    assert all(job.state == REUSED for job in reused)
    assert len(q.jobs()) == 5 and q.jobs()[-1] is reused[-1]
    assert q.stop(reused[0].job_id) is False          # a forgotten job is no error
