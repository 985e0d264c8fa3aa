"""One app process's training queue on a shared run store, for tests/test_store_locks.py.

``python tests/queue_process.py STORE SEED [--max N] [--hold]`` prints ``ready``, waits
for a line on stdin (so that several processes submit at once), submits a small config
with this seed and prints ``training`` when its trainer starts and, at the end, one JSON
line: the job's state, where its run is, and the [start, end] times of what this process
trained. The trainer trains nothing: it takes 1.5 s (``--hold``: until killed) and
returns a one-layer model.
"""
import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from rnnlab.config import RunConfig  # noqa: E402
from rnnlab.jobs import TrainingQueue  # noqa: E402
from rnnlab.runs import RunStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("seed", type=int)
    parser.add_argument("--max", type=int, default=1)
    parser.add_argument("--hold", action="store_true")
    args = parser.parse_args()
    trained = []

    def trainer(config, callbacks=(), stop=None):
        start = time.time()
        print("training", flush=True)
        while args.hold or time.time() - start < 1.5:
            time.sleep(0.05)
        trained.append([start, time.time()])
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        return SimpleNamespace(config=config, model=model, history={"loss": [1.0]}, metrics={"test_accuracy": 0.5},
                               stopped_early=False)

    queue = TrainingQueue(RunStore(args.store), max_concurrent=args.max, trainer=trainer)
    print("ready", flush=True)
    sys.stdin.readline()
    job = queue.wait(queue.submit(RunConfig(seed=args.seed, train_size=400)).job_id, timeout=60)
    print(json.dumps({"state": job.state, "saved_run_id": job.saved_run_id, "error": job.error,
                      "trained": trained}), flush=True)


main()
