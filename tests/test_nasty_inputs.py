"""Nasty text a person may type (tests/fixtures/nasty_inputs.json) through every way in.

Each entry goes through :meth:`rnnlab.analysis.trace.Tracer.trace`, the ``predict`` and
``trace`` commands and the Explore page (AppTest). An ``ok`` entry gives a sensible
result (probabilities that sum to 1, at least one token); an ``error`` entry gives a
clear one-line message (InputError; exit code 2). Never a traceback, and typed markup
never becomes markup: in Markdown, in the HTML token strip or in a Plotly label.
"""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnlab import cli
from rnnlab.config import CLASS_NAMES
from rnnlab.errors import InputError
from rnnlab.inference import Predictor

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "nasty_inputs.json"
SURFACES = ("library", "cli", "app")
# An injected element: a tag that would run script or load something if rendered.
INJECTED_TAG = re.compile(r"<\s*/?\s*(script|img|svg|iframe|a|object|embed|style|link|meta)\b", re.IGNORECASE)


def load_catalogue() -> list[dict]:
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return [{**e, "input": e["text"] * e.get("repeat", 1)} for e in doc["inputs"]]


CATALOGUE = load_catalogue()


def entries(surface: str) -> list:
    return [pytest.param(e, id=e["name"]) for e in CATALOGUE if surface in e.get("surfaces", SURFACES)]


def test_the_catalogue_covers_the_issue():
    names = [e["name"] for e in CATALOGUE]
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert {e["expect"] for e in CATALOGUE} == {"ok", "error"}
    texts = {e["name"]: e["input"] for e in CATALOGUE}
    assert texts["empty"] == "" and not texts["whitespace_only"].strip()
    assert len(texts["one_character"]) == 1 and len(texts["long_10000_chars"]) == 10_000
    assert "\x00" in texts["nul_characters"] and "\x01" in texts["control_characters"]
    assert "<script>alert(1)</script>" in texts["script_tag"] and "onerror=" in texts["img_onerror"]
    assert "](javascript:" in texts["markdown_javascript_link"] and "$x$" in texts["latex_inline"]
    assert "DROP TABLE" in texts["sql_injection"] and "ø" in texts["norwegian_headline"]
    for name in ("emoji", "chinese", "arabic_right_to_left", "combining_characters", "only_punctuation",
                 "only_unknown_words"):
        assert texts[name]


@pytest.fixture(scope="module")
def run(make_run):
    return make_run()


@pytest.fixture(scope="module")
def tracer(run, tracer_of):
    return tracer_of(run)


def _clear_message(message: str, text: str) -> None:
    assert message and "\n" not in message and len(message) < 200, message
    assert "Traceback" not in message
    if len(text) > 20:
        assert text[:20] not in message, "the message should say what is wrong, not echo the text"


# -- the library ----------------------------------------------------------------------

@pytest.mark.parametrize("entry", entries("library"))
def test_trace_headline(run, tracer, entry):
    text = entry["input"]
    if entry["expect"] == "error":
        with pytest.raises(InputError) as info:
            tracer.trace(text)
        _clear_message(str(info.value), text)
        with pytest.raises(InputError):
            Predictor(run.model).predict([text])
        return
    trace = tracer.trace(text)
    assert trace.tokens and len(trace.tokens) <= trace.max_length
    assert abs(float(trace.probabilities.sum()) - 1.0) < 1e-4
    assert np.isfinite(trace.prefix_probabilities).all() and trace.prefix_probabilities.shape == (len(trace.tokens), 4)
    assert all(np.isfinite(v).all() for v in trace.attributions.values())
    assert trace.predicted_class in CLASS_NAMES
    assert trace.truncated == (entry["name"] == "long_10000_chars")
    json.dumps(trace.to_dict(), allow_nan=False)                  # what the CLI and the downloads write
    assert len(trace.to_frame()) == len(trace.tokens)
    predicted = Predictor(run.model).predict([text])[0]       # one model, one answer, however asked
    np.testing.assert_allclose(predicted["probabilities"], trace.probabilities, atol=1e-3)


# -- the command line -------------------------------------------------------------------

@pytest.fixture
def cli_store(run, tracer, run_store, monkeypatch):
    """The run's id, with the store pointed at. Loading the run and building its tracer (done
    once per process, tested elsewhere and below for real) happen once here, not per text."""
    from rnnlab.analysis import trace
    from rnnlab.runs import RunStore
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    original = RunStore.load
    monkeypatch.setattr(RunStore, "load", lambda self, run_id: run if run_id == run.run_id and
                        self.root == run_store.root else original(self, run_id))
    real = trace.Tracer
    monkeypatch.setattr(trace, "Tracer", lambda loaded, store=None: tracer if loaded is run else real(loaded, store))
    return run.run_id


@pytest.mark.parametrize("command", ["predict", "trace"])
@pytest.mark.parametrize("entry", entries("cli"))
def test_predict_and_trace_commands(cli_store, capsys, entry, command):
    text = entry["input"]
    code = cli.main([command, cli_store, text, "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if entry["expect"] == "error":
        assert code == 2 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rnnlab: error: "), err
        _clear_message(lines[0], text)
        return
    assert code == 0, err
    data = json.loads(out)
    if command == "predict":
        assert len(data) == 1 and data[0]["text"] == text
        probabilities = data[0]["probabilities"]
    else:
        assert data["text"] == text and data["tokens"]
        probabilities = data["probabilities"]
    assert abs(sum(probabilities) - 1.0) < 1e-4


def test_undecodable_bytes_on_a_real_command_line(cli_store):
    """Bytes that are not UTF-8 reach Python as lone surrogates: a message, not a traceback."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    for command in ("predict", "trace"):
        proc = subprocess.run([sys.executable, "-m", "rnnlab", command, cli_store.encode(), b"Stocks \xff\xfe rally"],
                              env=env, capture_output=True, timeout=120)
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 2 and proc.stdout == b"", err[-2000:]
        assert "Traceback" not in err and "rnnlab: error: the text holds characters that are not valid Unicode" in err


# -- the Explore page (AppTest) ------------------------------------------------------------

MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                  "exception", "latex")


@pytest.fixture(scope="module")
def explore(run, run_store):
    from app_testing import open_page
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
        at = open_page("explore", {"run": run.run_id, "headline": "Stocks rally as oil prices fall"})
        assert not at.exception
        yield at


def _strings(value):
    """Every string inside a (JSON-like) value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize("entry", entries("app"))
def test_explore_page(explore, entry):
    from app_testing import all_text, charts
    at = explore
    text = entry["input"]
    at.text_input(key="explore_headline").input(text).run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    predicted = [m.value for m in at.metric if m.label == "Predicted topic"]
    page = all_text(at)
    if entry["expect"] == "ok":
        assert len(predicted) == 1 and predicted[0] in ("World", "Sports", "Business", "Sci/Tech"), page[:2000]
        assert at.html, "the token strip is missing"
    else:
        assert not predicted
        assert "Type a headline" in page or "cannot be read" in page, page[:2000]

    # Typed text is never Markdown: no element rendered as Markdown holds it or its markup.
    stripped = text.strip()
    for kind in MARKDOWN_KINDS:
        for element in getattr(at, kind):
            value = str(getattr(element, "value", "") or getattr(element, "body", ""))
            assert not INJECTED_TAG.search(value) and "javascript:" not in value.lower(), (kind, value[:300])
            if len(stripped) >= 3:
                assert stripped not in value, (kind, value[:300])
    # The token strip is HTML: every typed tag is escaped, so the page shows it as text.
    for element in at.html:
        assert not INJECTED_TAG.search(element.value), element.value[:500]
    if entry["name"] in ("script_tag", "img_onerror"):      # one chip holding the whole text, escaped
        assert any(html.escape(stripped) in element.value for element in at.html)
    # Plotly renders a few tags in labels (<a href> among them): every label is escaped.
    for figure in charts(at):
        for s in _strings(figure.get("data", [])) if isinstance(figure, dict) else ():
            assert not INJECTED_TAG.search(s), s[:300]
        for s in _strings(figure.get("layout", {})) if isinstance(figure, dict) else ():
            assert not INJECTED_TAG.search(s), s[:300]
