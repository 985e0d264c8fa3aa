"""Start the app with ``streamlit run app.py`` on a free loopback port and wait until it is up.

Used by the load and browser tests and by ``python -m rnnlab bench app``: they all
measure or drive the real server, as a class would meet it.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"


class AppServerError(RuntimeError):
    """The server did not start, or stopped before it became healthy."""


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def logged_traceback(self) -> str | None:
        """The end of the server's log when it holds a Python traceback, else None."""
        text = self.log()
        return text[-4000:] if "Traceback" in text else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AppServerError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AppServerError(f"streamlit did not become healthy within {timeout:g} s")


@contextlib.contextmanager
def streamlit_server(runs_dir: Path, log_path: Path, timeout: float = 60, **extra_env: str):
    """Yield an :class:`AppServer` reading ``runs_dir``; stop it on exit. Its output goes to ``log_path``.

    The server leads a process group of its own, so worker processes it started and
    left behind are stopped with it.
    """
    if not APP.is_file():
        raise AppServerError(f"{APP} not found: the app server runs from a checkout of RNN Lab")
    env = {**os.environ, "RNNLAB_RUNS_DIR": str(Path(runs_dir).resolve()), "PYTHONUNBUFFERED": "1", **extra_env}
    port = free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    server = AppServer(f"http://127.0.0.1:{port}", proc, Path(log_path))
    try:
        wait_healthy(server.url, proc, timeout)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
