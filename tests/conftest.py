"""Point the tests at the shared offline AG News copy when this checkout has one beside it."""
import os
from pathlib import Path

_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ag_news"
if _SHARED_DATA.is_dir():
    os.environ.setdefault("RNNLAB_DATA_DIR", str(_SHARED_DATA))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def run_store(tmp_path_factory):
    """A run store shared by the whole test session (tests must not delete others' runs)."""
    from rnnlab.runs import RunStore
    return RunStore(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="session")
def make_run(run_store):
    """Train (once per session and config) a tiny run and return it loaded from the store.

    ``make_run(cell="lstm", layers=2, bidirectional=True)``: keyword arguments override
    a small, fast RunConfig (400 training rows, one epoch, 8 units).
    """
    from rnnlab.config import RunConfig
    from rnnlab.training import train

    base = RunConfig(units=8, embed_dim=8, vocab_size=2000, train_size=400, epochs=1, batch_size=32,
                     max_length=32, text="title")
    cache = {}

    def _make(**changes):
        config = base.replace(**changes)
        run_id = config.run_id()
        if run_id not in cache:
            if not run_store.exists(run_id):
                run_store.save_result(train(config), run_id)
            cache[run_id] = run_store.load(run_id)
        return cache[run_id]

    return _make


@pytest.fixture(scope="session")
def tracer_of():
    """``tracer_of(run)``: one Tracer per tiny run for the whole session (building one
    compiles its functions, which would cost every test a second or more)."""
    from rnnlab.analysis.trace import Tracer
    cache = {}

    def _tracer(run):
        key = (str(run.path), id(run.model))
        if key not in cache:
            cache[key] = Tracer(run)
        return cache[key]

    return _tracer


@pytest.fixture
def runs(make_run, run_store, monkeypatch):
    """A tiny GRU run and a tiny LSTM run, in the store the app reads."""
    gru, lstm = make_run(), make_run(cell="lstm")
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    return gru, lstm


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    from app_server import CHROMIUM, CHROMIUM_ARGS
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
