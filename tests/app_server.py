"""The app server for browser and load tests: ``rnnlab.appserver``, failing the test if it logged a traceback."""
from __future__ import annotations

import contextlib
from pathlib import Path

from rnnlab.appserver import ROOT, streamlit_server as _streamlit_server

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ROOT", "streamlit_server"]

CHROMIUM = "/usr/bin/chromium"    # Debian's chromium, driven by Playwright (never `playwright install`)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def streamlit_server(runs_dir: Path, log_path: Path, **extra_env: str):
    """Yield ``(url, process)``; on exit stop the server and fail if it logged a traceback."""
    with _streamlit_server(runs_dir, log_path, **extra_env) as server:
        yield server.url, server.process
    traceback = server.logged_traceback()
    assert traceback is None, f"the server logged a traceback:\n{traceback}"
