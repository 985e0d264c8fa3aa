"""A training process killed (SIGKILL) while training or while saving leaves no run that looks whole."""
import os
import signal
import subprocess
import sys
import textwrap
import time

from rnnlab.runs import RunStore

TINY = ["--train-size", "2000", "--units", "8", "--embed-dim", "8", "--vocab-size", "2000", "--epochs", "20"]


def _wait_for_line(proc, needle, timeout=120):
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
        if needle in seen:
            return seen
    raise AssertionError(f"never saw {needle!r}: {seen[-2000:]!r}")


def test_sigkill_while_training_leaves_nothing(tmp_path):
    env = {**os.environ, "RNNLAB_RUNS_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "rnnlab", "train", *TINY], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_line(proc, b"epoch 2/20")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert RunStore(tmp_path).list() == []


SAVE_AND_HANG = textwrap.dedent('''
    import sys, time
    import rnnlab.runs as runs
    from rnnlab.config import RunConfig
    from rnnlab.training import train
    config = RunConfig(train_size=400, units=8, embed_dim=8, vocab_size=2000)
    result = train(config)
    original = runs._write_json
    def slow_write(path, data):
        original(path, data)
        if path.name == sys.argv[1]:
            print("SAVING", file=sys.stderr, flush=True)
            time.sleep(600)
    runs._write_json = slow_write
    runs.RunStore().save_result(result)
''')


def test_sigkill_while_saving_leaves_no_whole_looking_run(tmp_path):
    env = {**os.environ, "RNNLAB_RUNS_DIR": str(tmp_path)}
    for hang_after in ("metrics.json", "config.json"):   # config.json is written last
        proc = subprocess.Popen([sys.executable, "-c", SAVE_AND_HANG, hang_after], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for_line(proc, b"SAVING")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            proc.kill()
        store = RunStore(tmp_path)
        assert store.list() == [], [(r.run_id, r.damaged) for r in store.list()]
        leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
        assert leftovers, "the half-written run should sit in a hidden temporary folder"
        assert store.clean_leftovers() == len(leftovers)
