"""The compute worker: the one process that holds TensorFlow, the models and the trainings.

Why a separate process: after every script run Streamlit calls
``keras.backend.clear_session()`` whenever Keras is imported in its process (which
empties TensorFlow's kernel cache, so the next trace or training step rebuilds its
kernels: 14 ms became 340 ms) and collects all garbage (slow on a heap full of
TensorFlow objects). So the app's pages never import Keras: they send requests to this
worker and get plain dataclasses back (:mod:`rnnlab.tracedata`, :mod:`rnnlab.jobs`).
A worker can also run on its own (``python -m rnnlab worker --address ...``) and serve
several app processes at once, which then share its models and its training queue.

Protocol: :mod:`multiprocessing.connection` (length-prefixed pickles after an HMAC
handshake with a secret key) over a Unix socket or TCP; one thread per connection; a
request is ``(method, args)``, an answer ``("ok", value)`` or ``("error", exception)``.
Exceptions cross only as types a page can import without TensorFlow.
"""
from __future__ import annotations

import os
import pickle
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener

from .errors import WorkerError, WorkerUnavailable

ADDRESS_ENV = "RNNLAB_WORKER"            # "unix:/path/to/socket" or "host:port" of a running worker
KEY_ENV = "RNNLAB_WORKER_KEY"            # the shared secret (never on a command line)
TRACERS_MAX = 12                         # loaded runs held at once (LRU)
ANSWER_TIMEOUT_S = 300.0
START_TIMEOUT_S = 180.0                  # a private worker we started
SHARED_START_TIMEOUT_S = 60.0            # a shared worker started beside us (by serve)
# Exceptions whose types a page process can unpickle without importing TensorFlow.
_PORTABLE_MODULES = frozenset({"builtins", "rnnlab.errors", "rnnlab.runs", "rnnlab.data", "rnnlab.config"})


def parse_address(text: str):
    """``unix:/path`` -> a socket path; ``host:port`` -> ``(host, port)``."""
    if text.startswith("unix:"):
        return text[len("unix:"):]
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"not a worker address: {text!r} (use unix:/path or host:port)")
    return host, int(port)


# -- the worker's side ------------------------------------------------------------------

class ComputeWorker:
    """What the worker serves: traces, run summaries and the training queue, per run store.

    Every method takes the run store's folder first, so one worker serves any store
    (tests open several; a class uses one).
    """

    EXPOSED = frozenset({"ping", "device", "open_run", "trace", "padding_demo", "neuron_contexts",
                         "projection_basis", "tracing_counts", "loads", "token_lengths",
                         "memory", "neighbours", "corpus_builds", "embedding_neighbour", "replay_index", "replay",
                         "confusion_cell",
                         "submit", "stop", "job", "jobs", "position"})

    def __init__(self):
        self._queues_lock = threading.Lock()
        self._tracers_lock = threading.Lock()
        self._queues: dict = {}
        self._tracers: OrderedDict = OrderedDict()
        self._loads: dict[tuple[str, str], int] = {}

    def handle(self, method: str, args: tuple) -> tuple[str, object]:
        if method not in self.EXPOSED:
            return "error", WorkerError(f"the worker has no method {method!r}")
        try:
            return "ok", getattr(self, method)(*args)
        except Exception as exc:  # every failure goes back to the page as a message
            return "error", _portable(exc)

    # -- runs and traces ----------------------------------------------------------------
    def ping(self) -> int:
        return os.getpid()

    def device(self) -> str:
        from .devices import configure_devices
        return configure_devices()

    def _store(self, root: str):
        return self._queue(root).store

    def _queue(self, root: str):
        from .jobs import TrainingQueue
        from .runs import RunStore
        with self._queues_lock:
            if root not in self._queues:
                self._queues[root] = TrainingQueue(RunStore(root))
            return self._queues[root]

    def _tracer(self, root: str, run_id: str):
        """The run's Tracer, loaded once per version of the run (LRU of TRACERS_MAX)."""
        from .analysis.trace import Tracer
        store = self._store(root)
        key = (root, run_id, store.stamp(run_id))
        with self._tracers_lock:           # held while loading: 30 people asking at once load it once
            tracer = self._tracers.get(key)
            if tracer is None:
                tracer = Tracer(store.load(run_id), store)
                self._loads[root, run_id] = self._loads.get((root, run_id), 0) + 1
                self._tracers[key] = tracer
            self._tracers.move_to_end(key)
            while len(self._tracers) > TRACERS_MAX:
                self._tracers.popitem(last=False)
        return tracer

    def open_run(self, root: str, run_id: str):
        """Load the run (raising what is wrong with it) and return its RunConfig."""
        return self._tracer(root, run_id).config

    def trace(self, root: str, run_id: str, text: str, full: bool = True):
        return self._tracer(root, run_id).trace(text, integrated_gradients=full, projection=full)

    def padding_demo(self, root: str, run_id: str, text: str, pads: int):
        from .analysis.padding import padding_demo
        return padding_demo(self._tracer(root, run_id), text, pads=pads)

    def neuron_contexts(self, root: str, run_id: str, layer: str, direction: str, unit: int, n: int):
        from .analysis.neurons import neuron_contexts
        return neuron_contexts(self._tracer(root, run_id), layer, direction, unit, n=n)

    def memory(self, root: str, run_id: str, text: str):
        from .analysis.memory import memory
        return memory(self._tracer(root, run_id), text)

    def neighbours(self, root: str, run_id: str, text: str, step: int | None, k: int):
        from .analysis.memory import neighbours
        return neighbours(self._tracer(root, run_id), text, step, k)

    def embedding_neighbour(self, root: str, run_id: str, token_id: int):
        """The word nearest to ``token_id`` in the run's embedding (rnnlab.analysis.edits)."""
        from .analysis.edits import nearest_in_embedding
        tracer = self._tracer(root, run_id)
        return nearest_in_embedding(tracer.weights.embedding, tracer.vocabulary, token_id)

    def confusion_cell(self, root: str, run_id: str, true_class: int, predicted_class: int, limit: int):
        from .analysis.mistakes import confusion_cell
        return confusion_cell(self._tracer(root, run_id), true_class, predicted_class, limit)

    def corpus_builds(self, root: str, run_id: str) -> int:
        """How often this worker computed the run's state matrix for neighbours."""
        from .analysis.memory import corpus_builds
        return corpus_builds(self._tracer(root, run_id))

    def replay_index(self, root: str, run_id: str):
        from .analysis.replay import replay_index
        return replay_index(self._tracer(root, run_id))

    def replay(self, root: str, run_id: str, text: str, k: int):
        from .analysis.replay import replay
        return replay(self._tracer(root, run_id), text, k)

    def projection_basis(self, root: str, run_id: str):
        from .analysis.projection import projection_basis
        return projection_basis(self._tracer(root, run_id))

    def tracing_counts(self, root: str, run_id: str) -> dict:
        return self._tracer(root, run_id).tracing_counts()

    def loads(self, root: str, run_id: str) -> int:
        """How often this worker has loaded the run's model."""
        return self._loads.get((root, run_id), 0)

    def token_lengths(self, field: str, split: str):
        """Words per text (after the model's cleanup) for one split and text field."""
        from .data import load_ag_news, texts
        from .text import token_counts
        ag = load_ag_news()
        return token_counts(texts(ag.train if split == "train" else ag.test, field))

    # -- the training queue ----------------------------------------------------------
    def submit(self, root: str, config, requester: str):
        return self._queue(root).submit(config, requester=requester).snapshot()

    def stop(self, root: str, job_id: str, keep: bool, requester):
        return self._queue(root).stop(job_id, keep=keep, requester=requester)

    def job(self, root: str, job_id: str):
        job = self._queue(root).get(job_id)
        return None if job is None else job.snapshot()

    def jobs(self, root: str) -> list:
        return [job.snapshot() for job in self._queue(root).jobs()]

    def position(self, root: str, job_id: str) -> int:
        return self._queue(root).position(job_id)


def _portable(exc: Exception) -> Exception:
    if type(exc).__module__ in _PORTABLE_MODULES:
        try:
            pickle.loads(pickle.dumps(exc))
            return exc
        except Exception:
            pass
    return WorkerError(f"{type(exc).__name__}: {exc}")


def serve(address: str, authkey: bytes, parent_pid: int | None = None) -> None:
    """Answer requests until killed (or until ``parent_pid`` exits)."""
    worker = ComputeWorker()
    parsed = parse_address(address)
    listener = Listener(parsed, authkey=authkey)
    if parent_pid:
        threading.Thread(target=_exit_with_parent, args=(parent_pid, parsed), daemon=True).start()
    print(f"rnnlab worker {os.getpid()} listening on {address}", file=sys.stderr, flush=True)
    while True:
        try:
            conn = listener.accept()
        except Exception:  # a failed handshake (wrong key) or a dropped connection: keep serving
            continue
        threading.Thread(target=_answer, args=(worker, conn), daemon=True).start()


def _answer(worker: ComputeWorker, conn) -> None:
    with conn:
        while True:
            try:
                method, args = conn.recv()
            except (EOFError, OSError):
                return
            except Exception as exc:  # a request that does not unpickle
                conn.send(("error", WorkerError(f"unreadable request: {exc}")))
                continue
            conn.send(worker.handle(method, args))


def _exit_with_parent(parent_pid: int, address) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    if isinstance(address, str):
        shutil.rmtree(os.path.dirname(address), ignore_errors=True)
    os._exit(0)


# -- the page's side --------------------------------------------------------------------

class WorkerClient:
    """Calls the worker; thread-safe (one connection per concurrent call, reused)."""

    def __init__(self, address: str, authkey: bytes, process: subprocess.Popen | None = None):
        self.address, self.process = address, process
        self._parsed, self._authkey = parse_address(address), authkey
        self._idle: list = []
        self._lock = threading.Lock()

    def call(self, method: str, *args, timeout: float = ANSWER_TIMEOUT_S):
        conn = self._checkout()
        try:
            conn.send((method, args))
            if not conn.poll(timeout):
                raise TimeoutError(f"no answer within {timeout:.0f} s")
            status, value = conn.recv()
        except (EOFError, OSError, TimeoutError) as exc:
            conn.close()
            raise WorkerUnavailable(f"the compute worker did not answer ({type(exc).__name__}: {exc})") from None
        with self._lock:
            self._idle.append(conn)
        if status == "error":
            raise value
        return value

    def _checkout(self):
        with self._lock:
            if self._idle:
                return self._idle.pop()
        # A worker that is still starting (importing TensorFlow) has no socket yet: wait for it.
        deadline = time.monotonic() + (START_TIMEOUT_S if self.process else SHARED_START_TIMEOUT_S)
        while True:
            try:
                return Client(self._parsed, authkey=self._authkey)
            except AuthenticationError:
                raise WorkerUnavailable(f"the compute worker at {self.address} refused our key "
                                        f"(is {KEY_ENV} the worker's?)") from None
            except (OSError, EOFError) as exc:
                if not self.alive():
                    raise WorkerUnavailable(f"the compute worker exited with code {self.process.returncode}") from None
                if time.monotonic() > deadline:
                    raise WorkerUnavailable(f"cannot reach the compute worker at {self.address}: {exc}") from None
                time.sleep(0.1)

    def alive(self, grace: float = 0.0) -> bool:
        """Whether our private worker still runs (a shared one counts as alive); ``grace``
        waits that long for a worker whose connection just broke to finish dying."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=grace) if grace else self.process.poll()
        except subprocess.TimeoutExpired:
            pass
        return self.process.returncode is None

    def close(self) -> None:
        with self._lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()


class RemoteQueue:
    """A run store's training queue in the worker, as pages use it (jobs come as snapshots)."""

    def __init__(self, call, root: str):
        self._call, self.root = call, root

    def submit(self, config, requester: str = ""):
        return self._call("submit", self.root, config, requester)

    def stop(self, job_id: str, keep: bool = True, requester: str | None = None) -> bool:
        return self._call("stop", self.root, job_id, keep, requester)

    def get(self, job_id: str):
        return self._call("job", self.root, job_id)

    def jobs(self) -> list:
        return self._call("jobs", self.root)

    def position(self, job_id: str) -> int:
        return self._call("position", self.root, job_id)

    def wait(self, job_id: str, timeout: float | None = None):
        """Block until a job has ended (for tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (job := self.get(job_id)) is not None and job.active:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{job_id} still {job.state} after {timeout} s")
            time.sleep(0.1)
        return job


def start_worker() -> WorkerClient:
    """Start a private worker for this process (it exits with this process)."""
    folder = tempfile.mkdtemp(prefix="rnnlab-worker-")      # mode 700: only this user reaches the socket
    address = f"unix:{os.path.join(folder, 'worker.sock')}"
    key = secrets.token_hex(16)
    process = subprocess.Popen(
        [sys.executable, "-m", "rnnlab", "worker", "--address", address, "--parent-pid", str(os.getpid())],
        env={**os.environ, KEY_ENV: key}, stdin=subprocess.DEVNULL)
    return WorkerClient(address, key.encode(), process)


def connect() -> WorkerClient:
    """The worker named by ``$RNNLAB_WORKER`` (with ``$RNNLAB_WORKER_KEY``), else a new private one."""
    address = os.environ.get(ADDRESS_ENV, "").strip()
    if not address:
        return start_worker()
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise WorkerError(f"{ADDRESS_ENV} is set but {KEY_ENV} is not: both are needed to reach a shared worker")
    return WorkerClient(address, key.encode())
