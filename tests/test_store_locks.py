"""Trainings do not multiply with processes: app processes sharing one run store share
its training limit and its runs (file locks in ``<store>/.locks``).

Each process below is a real Python process with its own TrainingQueue on the same
store (tests/queue_process.py); its trainer records when it ran.
"""
import json
import subprocess
import sys
from pathlib import Path

from rnnlab import storelocks
from rnnlab.config import RunConfig
from rnnlab.jobs import FAILED, TrainingQueue
from rnnlab.runs import RunStore

HELPER = Path(__file__).with_name("queue_process.py")


def start(store: Path, seed: int, *flags: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(HELPER), str(store), str(seed), *flags], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready", "the queue process did not start"
    return proc


def go(procs) -> None:
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()


def result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return json.loads(out.strip().splitlines()[-1])


def test_two_processes_with_a_limit_of_one_never_train_at_once(tmp_path):
    procs = [start(tmp_path, seed) for seed in (1, 2)]
    go(procs)
    results = [result(p) for p in procs]
    assert [r["state"] for r in results] == ["finished", "finished"], results
    (_, first_end), (second_start, _) = sorted(t for r in results for t in r["trained"])
    assert first_end <= second_start, f"both trained at once: {results}"


def test_two_processes_asked_for_one_config_train_it_once_and_both_get_it(tmp_path):
    run_id = RunConfig(seed=3, train_size=400).run_id()
    procs = [start(tmp_path, 3, "--max", "2") for _ in range(2)]      # two slots: only the run lock keeps it single
    go(procs)
    results = [result(p) for p in procs]
    assert sorted(r["state"] for r in results) == ["finished", "reused"], results
    assert sum(len(r["trained"]) for r in results) == 1
    assert [r["saved_run_id"] for r in results] == [run_id, run_id]
    store = RunStore(tmp_path)
    assert [r.run_id for r in store.list()] == [run_id] and store.list()[0].ok, "the locks folder is not a run"
    assert store.clean_leftovers() == 0 and (tmp_path / storelocks.LOCKS_DIR).is_dir()


def test_a_killed_trainer_frees_its_slot_and_its_run(tmp_path):
    run_id = RunConfig(seed=4, train_size=400).run_id()
    proc = start(tmp_path, 4, "--hold")
    go([proc])
    assert proc.stdout.readline().strip() == "training"
    assert storelocks.try_slot(tmp_path, 1) is None and storelocks.try_run(tmp_path, run_id) is None
    proc.kill()
    proc.wait(timeout=10)
    slot, run = storelocks.try_slot(tmp_path, 1), storelocks.try_run(tmp_path, run_id)
    assert slot is not None and run is not None
    slot.release()
    run.release()


def test_a_store_that_cannot_hold_locks_fails_the_job_with_a_message(tmp_path):
    not_a_folder = tmp_path / "runs"
    not_a_folder.write_text("a file where the store should be")
    queue = TrainingQueue(RunStore(not_a_folder), max_concurrent=1, trainer=None)
    job = queue.submit(RunConfig(seed=5, train_size=400))
    assert job.state == FAILED and job.error.startswith("cannot lock the run store:"), job.error
