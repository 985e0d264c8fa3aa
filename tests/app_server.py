"""The app server for browser and load tests: ``rnnlab.appserver``, failing the test if it logged a traceback."""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from rnnlab.appserver import ROOT, streamlit_server as _streamlit_server

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ROOT", "needs_chromium", "one_run_server_fixtures", "streamlit_server"]

CHROMIUM = "/usr/bin/chromium"    # Debian's chromium, driven by Playwright (never `playwright install`)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")


@contextlib.contextmanager
def streamlit_server(runs_dir: Path, log_path: Path, **extra_env: str):
    """Yield ``(url, process)``; on exit stop the server and fail if it logged a traceback."""
    with _streamlit_server(runs_dir, log_path, **extra_env) as server:
        yield server.url, server.process
    traceback = server.logged_traceback()
    assert traceback is None, f"the server logged a traceback:\n{traceback}"


def one_run_server_fixtures(name: str):
    """A browser test module's ``run`` (one small trained run) and ``server`` (the app on the
    shared run store), both module-scoped: ``run, server = one_run_server_fixtures("replay")``."""
    @pytest.fixture(scope="module")
    def run(make_run):
        return make_run()

    @pytest.fixture(scope="module")
    def server(run, run_store, tmp_path_factory):
        with streamlit_server(run_store.root, tmp_path_factory.mktemp(f"{name}-log") / "streamlit.log") as (url, _):
            yield url

    return run, server
