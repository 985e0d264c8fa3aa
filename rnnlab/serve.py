"""``python -m rnnlab serve``: the app for a classroom, in several processes behind nginx.

One ``streamlit run`` process runs every session's script in one Python process. ``serve
--workers N`` starts N of them on free loopback ports and Debian's nginx in front, on the
address students open. Streamlit keeps a session in its websocket and a session's media
and downloads in its own process's memory, so all requests of one browser must reach one
process: nginx gives each browser a cookie and hashes on it (on the client's address
when a client sends no cookie). nginx runs in the foreground as the current user, with
its configuration, logs and temporary files in one temporary folder, so it needs no
system path. All app processes share one run store (and so one training limit, see
:mod:`rnnlab.storelocks`) and one cookie secret.

SIGINT, SIGTERM and SIGHUP stop everything. When any process dies, the others are
stopped and serve fails naming it (the folder with the logs is then kept). Each child
also gets SIGTERM when serve itself dies, even by SIGKILL, so nothing is left behind.
"""
from __future__ import annotations

import ctypes
import grp
import math
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .runs import default_store_dir
from .service import ADDRESS_ENV, KEY_ENV

APP = Path(__file__).resolve().parents[1] / "app.py"
NGINX_PATHS = ("/usr/sbin/nginx",)
STICKY_COOKIE = "rnnlab_sticky"
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 15.0
POLL_S = 0.2
_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServeError(Exception):
    """Serving cannot start or go on: one line for the command line."""


@dataclass
class Served:
    """What a teacher needs once everything answers."""

    url: str                  # what students open
    workers: int
    folder: str               # nginx's configuration and logs, the app logs ("" with one worker)


@dataclass
class Child:
    name: str                 # "nginx", "app process 2 (127.0.0.1:40123)"
    proc: subprocess.Popen
    log: Path | None          # None: it writes to serve's own terminal

    def ended(self) -> str:
        """Why serving stopped, when this process ended on its own."""
        code = self.proc.returncode
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        if self.log is None:
            return f"{self.name} {how}"
        text = self.log.read_text(errors="replace")
        why = _nginx_complaints(text) or [line.strip() for line in text.splitlines() if line.strip()][-1:]
        return f"{self.name} {how}{': ' + why[0] if why and code > 0 else ''} (log: {self.log})"


def _nginx_complaints(text: str) -> list[str]:
    """nginx's fatal messages in a log, without time and process id (the first says why)."""
    return re.findall(r"\[(?:emerg|alert)\] (?:\d+#\d+: )?(.*)", text)


def app_env(runs_dir: Path, cookie_secret: str, worker: str | None = None,
            worker_key: str = "") -> dict[str, str]:
    """The environment of every app process: the one place for what they all must share.

    One run store (an absolute path, whatever each process's working folder), one
    cookie secret, so that a cookie one process signed is valid in the others, and one
    compute worker (models loaded once, one training queue), when ``worker`` is given.
    """
    env = {**os.environ, "RNNLAB_RUNS_DIR": str(runs_dir), "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,
           "PYTHONUNBUFFERED": "1"}
    if worker:
        env.update({ADDRESS_ENV: worker, KEY_ENV: worker_key})
    return env


def worker_command(worker: str) -> list[str]:
    return [sys.executable, "-m", "rnnlab", "worker", "--address", worker]


def streamlit_command(address: str, port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
            "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none"]


def find_nginx() -> str:
    for path in (*NGINX_PATHS, shutil.which("nginx")):
        if path and os.access(path, os.X_OK):
            return path
    raise ServeError("nginx is not installed (serve --workers 2 or more needs it): apt-get install nginx")


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports free right now (all held open together while choosing)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def nginx_config(folder: Path, address: str, port: int, backends: list[int]) -> str:
    listen = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    user = ""
    if os.geteuid() == 0:       # nginx's workers would switch to 'nobody', who cannot write this folder
        user = f"user {pwd.getpwuid(0).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    temp_paths = "\n".join(f"    {kind}_temp_path {folder / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in backends)
    forward = ("proxy_http_version 1.1;\n            proxy_set_header Host $http_host;\n"
               "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
    return f"""# Written by `python -m rnnlab serve`: nginx in the foreground, everything in this folder.
{user}
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    log_format rnnlab '$remote_addr [$time_local] "$request" $status upstream=$upstream_addr sticky=$sticky_key';
    access_log {folder / "access.log"} rnnlab;
{temp_paths}
    client_max_body_size 200m;

    # One browser, one app process: a cookie set on its first visit picks the process
    # (the client's address when it sends no cookie).
    map $cookie_{STICKY_COOKIE} $sticky_key {{ "" $remote_addr; default $cookie_{STICKY_COOKIE}; }}
    map $cookie_{STICKY_COOKIE} $sticky_set {{ "" "{STICKY_COOKIE}=$request_id; Path=/; HttpOnly; SameSite=Lax";
                                             default ""; }}
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}

    upstream rnnlab_apps {{
        hash $sticky_key consistent;
{servers}
    }}

    server {{
        listen {listen};
        add_header Set-Cookie $sticky_set;
        location / {{
            proxy_pass http://rnnlab_apps;
            {forward}
        }}
        location /_stcore/stream {{
            proxy_pass http://rnnlab_apps;
            {forward}
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
        }}
    }}
}}
"""


def nginx_command(nginx: str, folder: Path, *flags: str) -> list[str]:
    return [nginx, "-p", str(folder), "-e", "stderr", "-c", str(folder / "nginx.conf"), *flags]


def check_nginx(nginx: str, folder: Path) -> None:
    """``nginx -t`` on the written configuration; its first complaint as a ServeError."""
    proc = subprocess.run(nginx_command(nginx, folder, "-t", "-q"), capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        complaints = _nginx_complaints(proc.stderr) or [proc.stderr.strip()]
        raise ServeError(f"nginx rejected its configuration: {complaints[0]}")


def _die_with_parent() -> None:
    """Run in each child before exec: get SIGTERM when serve ends, even by SIGKILL."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(name: str, command: list[str], log: Path | None, env: dict[str, str] | None = None) -> Child:
    """A child in its own session: a Ctrl-C reaches serve only, which then stops children in order."""
    out = open(log, "wb") if log is not None else None
    try:
        proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT if out else None, start_new_session=True,
                                preexec_fn=_die_with_parent)
    finally:
        if out is not None:
            out.close()
    return Child(name, proc, log)


def _stop_all(children: list[Child]) -> None:
    """SIGTERM to every child in order (nginx first), SIGKILL to those still there after STOP_TIMEOUT_S."""
    for child in children:
        if child.proc.poll() is None:
            child.proc.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.proc.kill()
            child.proc.wait()


class _StopSignals:
    """SIGINT, SIGTERM and SIGHUP become a flag while serving (the old handlers come back after)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __enter__(self) -> "_StopSignals":
        self.received = 0
        self._old = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._old.items():
            signal.signal(s, handler)

    def _handle(self, signum, frame) -> None:
        self.received = signum


def _answers(url: str) -> bool:
    try:
        with _NO_PROXY.open(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def watch(children: list[Child], signals: _StopSignals, ready: Callable[[], bool] = lambda: False,
          timeout: float = math.inf, what: str = "") -> bool:
    """Poll until ``ready()`` (True) or a stop signal (False).

    Raises ServeError naming the first child that ended, or ``what`` after ``timeout`` s.
    """
    deadline = time.monotonic() + timeout
    while True:
        if signals.received:
            return False
        for child in children:
            if child.proc.poll() is not None:
                raise ServeError(child.ended())
        if ready():
            return True
        if time.monotonic() > deadline:
            raise ServeError(f"{what} did not answer within {timeout:.0f} s")
        time.sleep(POLL_S)


def _url(address: str, port: int, local: bool = False) -> str:
    """The address students open, or (``local``) the one serve itself checks."""
    host = address
    if address in ("", "0.0.0.0", "::"):
        host = ("::1" if address == "::" else "127.0.0.1") if local else socket.gethostname()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class _Plan:
    apps: list[tuple[str, int, Path | None]]     # each app process's address, port and log
    nginx: str = ""
    folder: Path | None = None


def _plan(workers: int, port: int, address: str) -> _Plan:
    """Where everything will listen; with nginx, its checked configuration in a new folder."""
    if workers == 1:
        return _Plan([(address, port, None)])
    nginx = find_nginx()
    folder = Path(tempfile.mkdtemp(prefix="rnnlab-serve-"))
    ports = free_ports(workers)
    (folder / "nginx.conf").write_text(nginx_config(folder, address, port, ports))
    check_nginx(nginx, folder)
    return _Plan([("127.0.0.1", p, folder / f"app-{i}.log") for i, p in enumerate(ports, start=1)], nginx, folder)


def serve(workers: int, port: int, address: str, announce: Callable[[Served], None]) -> None:
    """Serve until a stop signal (returns) or until a process dies (raises ServeError)."""
    if not APP.is_file():
        raise ServeError(f"{APP} is missing: serve runs the app of an RNN Lab checkout")
    plan = _plan(workers, port, address)
    worker = f"unix:{plan.folder / 'worker.sock'}" if plan.folder else None     # one app: its own worker
    env = app_env(default_store_dir().resolve(), secrets.token_hex(32), worker, secrets.token_hex(16))
    children: list[Child] = []
    checks: list[tuple[str, str]] = []       # what must answer before students come: name, URL
    with _StopSignals() as signals:
        try:
            if plan.nginx:      # first: a taken port fails at once, not after the apps' start-up
                children.append(_start("nginx", nginx_command(plan.nginx, plan.folder), plan.folder / "nginx.log"))
            if worker:
                children.append(_start("compute worker", worker_command(worker), plan.folder / "worker.log", env))
            for i, (host, app_port, log) in enumerate(plan.apps, start=1):
                name = f"app process {i} ({host}:{app_port})"
                children.append(_start(name, streamlit_command(host, app_port), log, env))
                checks.append((name, _url(host, app_port, local=True)))
            if plan.nginx:
                checks.append((f"nginx on {address}:{port}", _url(address, port, local=True)))
            for name, url in checks:
                if not watch(children, signals, lambda url=url: _answers(url), READY_TIMEOUT_S, name):
                    return
            announce(Served(_url(address, port), workers, str(plan.folder or "")))
            watch(children, signals)
        finally:
            _stop_all(children)
            if plan.folder is not None and signals.received:      # stopped as asked: no logs to keep
                shutil.rmtree(plan.folder, ignore_errors=True)
