"""The compute worker: a separate process that answers pages, and what crosses to them."""
from __future__ import annotations

import os
import signal
import sys

import pytest

from rnnlab import service
from rnnlab.config import RunConfig
from rnnlab.errors import InputError, WorkerError, WorkerUnavailable
from rnnlab.runs import RunStoreError
from rnnlab.tracedata import Trace


@pytest.fixture(scope="module")
def worker():
    client = service.start_worker()
    yield client
    client.close()


def test_a_trace_comes_back_as_plain_data(worker, runs):
    gru, _ = runs
    trace = worker.call("trace", str(gru.path.parent), gru.run_id, "Stocks rally as oil prices fall", True)
    assert isinstance(trace, Trace) and trace.predicted_class in ("World", "Sports", "Business", "Sci/Tech")
    assert [t.word for t in trace.tokens][:2] == ["Stocks", "rally"]
    assert isinstance(worker.call("open_run", str(gru.path.parent), gru.run_id), RunConfig)


def test_errors_cross_as_types_a_page_can_catch(worker, runs):
    gru, _ = runs
    with pytest.raises(InputError):
        worker.call("trace", str(gru.path.parent), gru.run_id, "   ", True)
    with pytest.raises(RunStoreError):
        worker.call("open_run", str(gru.path.parent), "no-such-run")
    with pytest.raises(WorkerError, match="no method"):
        worker.call("__init__")                         # only the listed methods are served


def test_a_wrong_key_is_refused(worker):
    stranger = service.WorkerClient(worker.address, b"not the key")
    with pytest.raises(WorkerUnavailable):
        stranger.call("ping")
    assert worker.call("ping") == worker.process.pid   # and the worker keeps serving


def test_a_page_restarts_a_worker_that_died(runs, monkeypatch):
    """Through the app's cache layer: a killed worker is replaced on the next request."""
    from rnnlab_app import resources
    gru, _ = runs
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(gru.path.parent))
    first = resources.call("ping")
    os.kill(first, signal.SIGKILL)
    assert resources.call("ping") != first
    assert resources.run_config(gru.run_id).cell == gru.config.cell


def test_a_shared_worker_needs_its_key(monkeypatch):
    monkeypatch.setenv(service.ADDRESS_ENV, "127.0.0.1:9")
    monkeypatch.delenv(service.KEY_ENV, raising=False)
    with pytest.raises(WorkerError, match=service.KEY_ENV):
        service.connect()
    with pytest.raises(ValueError, match="not a worker address"):
        service.parse_address("nonsense")


def test_the_worker_exits_with_its_parent(tmp_path):
    """A worker started by a page process never outlives it."""
    import subprocess
    import time
    script = ("from rnnlab.service import start_worker; import sys;"
              "c = start_worker(); print(c.call('ping'), flush=True); sys.stdin.read()")
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    worker_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker_pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_replaced_run_is_never_served_stale(make_run, tmp_path, monkeypatch):
    """The page's caches are keyed by the run's version: a run saved again under the same
    id (retrained) is read anew, by the worker too."""
    from rnnlab.runs import RunStore
    from rnnlab_app import resources
    gru, lstm = make_run(), make_run(cell="lstm")
    store = RunStore(tmp_path / "runs")
    store.save("swap", gru.model, gru.config, gru.history, gru.metrics)
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(store.root))
    assert resources.run_config("swap").cell == "gru"
    assert resources.trace("swap", "Oil prices rise again").layers[0].cell == "gru"
    store.save("swap", lstm.model, lstm.config, lstm.history, lstm.metrics)
    assert resources.run_config("swap").cell == "lstm"
    assert resources.trace("swap", "Oil prices rise again").layers[0].cell == "lstm"
