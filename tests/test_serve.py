"""``python -m rnnlab serve``: Streamlit processes behind nginx, one browser kept on one process.

The end-to-end test starts ``serve --workers 2`` as a teacher would and opens sessions
through nginx as browsers do: a first page load gets nginx's cookie, the websocket
(Streamlit's protocol, from tests/test_load.py) and the downloads carry it. Which app
process served a cookie is read from nginx's access log.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

import pytest

from rnnlab import cli, serve
from rnnlab.appclient import Session, explore_problem
from rnnlab.appserver import free_port
from rnnlab.runs import RunStore

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("alpha", "bravo", "charlie", "delta")          # one per session, two sessions per app process
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def get(url: str, cookie: str = "") -> tuple[bytes, str]:
    """The body, and the sticky cookie nginx handed out (if any)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with OPENER.open(request, timeout=60) as reply:
        set_cookie = reply.headers.get("Set-Cookie", "")
        return reply.read(), set_cookie.split(";")[0]


def upstreams(folder: Path, path: str) -> dict[str, set[str]]:
    """cookie -> the app processes nginx sent its requests for ``path`` to, from the access log."""
    out: dict[str, set[str]] = {}
    for line in (folder / "access.log").read_text().splitlines():
        match = re.search(r'"GET (\S+) [^"]*" \d+ upstream=(\S+) sticky=(\S+)', line)
        if match and match[1].split("?")[0] == path:
            out.setdefault(f"{serve.STICKY_COOKIE}={match[3]}", set()).add(match[2])
    return out


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def store(make_run, tmp_path):
    run = make_run()
    store = RunStore(tmp_path / "runs")
    store.save(run.run_id, run.model, run.config, run.history, run.metrics)
    return store, run.run_id


def start_serve(store: RunStore, err_path: Path) -> tuple[subprocess.Popen, dict]:
    """``serve --workers 2 --json`` on a free port, and what it printed once everything answered."""
    with open(err_path, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "rnnlab", "serve", "--workers", "2", "--port", str(free_port()),
                                 "--json"], cwd=ROOT, env={**os.environ, "RNNLAB_RUNS_DIR": str(store.root)},
                                text=True, stdout=subprocess.PIPE, stderr=err)
    lines = []
    while not lines or lines[-1] != "}\n":
        lines.append(proc.stdout.readline())
        if not lines[-1]:
            proc.wait(timeout=30)
            pytest.fail(f"serve ended: {err_path.read_text()[-3000:]}")
    return proc, json.loads("".join(lines))


def cookies_by_app(url: str, folder: Path, count: int = 24) -> dict[str, list[str]]:
    """App process -> the cookies (of ``count`` first visits) nginx sends to it."""
    cookies = [get(url)[1] for _ in range(count)]
    assert len(set(cookies)) == count and all(c.startswith(serve.STICKY_COOKIE + "=") for c in cookies)
    for cookie in cookies:
        get(f"{url}/_stcore/health", cookie)
    probed = upstreams(folder, "/_stcore/health")
    by_app: dict[str, list[str]] = {}
    for cookie in cookies:
        (app,) = probed[cookie]
        by_app.setdefault(app, []).append(cookie)
    return by_app


def explore(url: str, cookie: str, run_id: str, name: str) -> str:
    """Open Explore with this session's headline; its trace CSV, downloaded as the browser would."""
    session = Session(url, headers={"Cookie": cookie, "Origin": url})    # a tab of one browser
    try:
        headline = f"Captain {name} scores twice as her team wins the cup"
        run = session.run("explore", {"run": run_id, "headline": headline, "panel": "downloads"})
        assert explore_problem(run, headline) is None, explore_problem(run, headline)
        (csv_url,) = [e.download_button.url for e in run.elements if e.WhichOneof("type") == "download_button"
                      and e.download_button.url.endswith(".csv")]
        return get(url + csv_url, cookie)[0].decode()
    finally:
        session.close()


def test_two_app_processes_behind_nginx_keep_each_browser_on_one_and_stop_together(store, tmp_path):
    store, run_id = store
    proc, served = start_serve(store, tmp_path / "serve.err")
    try:
        url, folder = served["url"], Path(served["folder"])
        assert url.startswith("http://127.0.0.1:") and served["workers"] == 2
        assert "tensorflow" not in Path(f"/proc/{proc.pid}/maps").read_text()   # serve only supervises
        children = descendants(proc.pid)
        by_app = cookies_by_app(url, folder)
        assert len(by_app) == 2, f"all cookies led to one process: {by_app.keys()}"
        sessions = dict(zip(NAMES, [cookie for group in by_app.values() for cookie in group[:2]]))

        downloads, failures = {}, []

        def browse(name: str) -> None:
            try:
                downloads[name] = explore(url, sessions[name], run_id, name)
            except BaseException as exc:  # noqa: BLE001 - reported below, per session
                failures.append(f"{name}: {type(exc).__name__}: {exc}"[:2000])

        threads = [threading.Thread(target=browse, args=(name,)) for name in NAMES]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failures and sorted(downloads) == sorted(NAMES), "\n".join(failures) or "a session hung"
        for name, text in downloads.items():       # each download came from the process holding its session
            assert [n for n in NAMES if n in text] == [name], (name, text[:500])
        streams = upstreams(folder, "/_stcore/stream")
        assert {c: streams.get(c) for c in sessions.values()} == {c: {app} for app, group in by_app.items()
                                                                  for c in group[:2]}
        # One compute worker for both app processes: it loaded the run once, none started its own.
        workers = [pid for pid in descendants(proc.pid) if "rnnlab worker" in command_line(pid)]
        assert len(workers) == 1, [command_line(pid) for pid in workers]
        assert "listening" in (folder / "worker.log").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, (tmp_path / "serve.err").read_text()[-3000:]
    assert len(children) >= 4, children                 # two app processes, nginx and its worker
    assert not [pid for pid in children if running(pid)], "a process outlived serve"
    assert not folder.exists(), "a clean stop leaves no temporary folder"


def test_a_dying_app_process_stops_the_others_and_is_named(tmp_path, monkeypatch, capsys):
    pid_file = tmp_path / "sleeper.pid"
    commands = iter([
        [sys.executable, "-c", f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
                               "time.sleep(60)"],
        [sys.executable, "-c", "import sys, time; time.sleep(1); print('no app here'); sys.exit(3)"]])
    monkeypatch.setattr(serve, "streamlit_command", lambda address, port: next(commands))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = cli.main(["serve", "--workers", "2", "--port", str(free_port())])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    assert re.fullmatch(r"rnnlab: error: app process 2 \(127\.0\.0\.1:\d+\) exited with code 3: no app here "
                        r"\(log: .*app-2\.log\)", err), err
    assert not running(int(pid_file.read_text())), "the other app process was left running"
    assert len(list(tmp_path.glob("rnnlab-serve-*/app-2.log"))) == 1, "the logs are kept after a failure"


def test_a_taken_port_is_reported_by_nginx_before_the_apps_are_up(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(serve, "streamlit_command", lambda address, port: [sys.executable, "-c",
                                                                           "import time; time.sleep(60)"])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["serve", "--workers", "2", "--port", str(port)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0, err
    assert f"nginx exited with code 1: bind() to 127.0.0.1:{port} failed (98: Address already in use)" in err, err


def test_missing_nginx_is_one_line_naming_the_package(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(serve, "NGINX_PATHS", (str(tmp_path / "nginx"),))
    monkeypatch.setenv("PATH", str(tmp_path))
    code = cli.main(["serve", "--workers", "2"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0 and "apt-get install nginx" in err, err


def test_a_configuration_nginx_rejects_is_reported_before_anything_starts(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(serve, "nginx_config", lambda *args: "events {")
    monkeypatch.setattr(serve, "streamlit_command", lambda *args: pytest.fail("an app process was started"))
    code = cli.main(["serve", "--workers", "2", "--port", str(free_port())])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0, err
    assert err.startswith("rnnlab: error: nginx rejected its configuration: unexpected end of file"), err
    assert err.endswith("nginx.conf:1"), err


@pytest.mark.parametrize("argv", [["--workers", "0"], ["--workers", "two"], ["--port", "70000"]])
def test_bad_serve_options_are_one_line(argv, capsys):
    assert cli.main(["serve", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is not a whole number" in err, err
