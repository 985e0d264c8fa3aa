"""Helpers for the AppTest suites (``tests/test_app_*.py`` and others that open pages).

Set ``RNNLAB_RUNS_DIR`` (and ``RNNLAB_DATA_DIR`` where it matters) before calling
these: the app reads both on every run.
"""
from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from rnnlab.config import embedding_choice
from rnnlab_app.ui import PAGES

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
TINY = dict(units=8, embed_dim=8, train_size=400, epochs=1, batch_size=32, vocab_size=2000, max_length=32)


def open_page(page: str = "home", query: dict | None = None, timeout: float = 60, teacher: bool = False) -> AppTest:
    """A fresh session on ``page``, as if opened from a link carrying ``query``; ``teacher``:
    logged in with the teacher's password (AppTest has no client address: a student otherwise)."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if teacher:
        at.session_state["teacher_logged_in"] = True
    if page == "home":
        at.query_params.update(query or {})
        return at.run()
    if query and "lang" in query:  # the language is read from the URL on a session's first run
        at.query_params["lang"] = query["lang"]
    at.run()                      # registers the st.navigation pages (needed by switch_page)
    at.query_params.clear()
    at.query_params.update(query or {})
    return at.switch_page(PAGES[page]).run()


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def all_text(at: AppTest) -> str:
    """Every message, caption, markdown and title on the page, joined (for assertions)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "text", "code"):
        parts += texts(getattr(at, kind))
    return "\n".join(parts)


def charts(at: AppTest) -> list:
    """The Plotly figures on the page, as dicts."""
    import json
    out = []
    for element in at.get("plotly_chart"):
        spec = element.proto.spec if hasattr(element, "proto") else ""
        out.append(json.loads(spec) if spec else {})
    return out


def chart_types(at: AppTest) -> list[str]:
    return [trace.get("type", "scatter") for fig in charts(at) for trace in fig.get("data", [])]


def fill_train_form(at: AppTest, **values) -> AppTest:
    """Set Train form fields (``units=8``, ``text="title"``, ...); doesn't submit.

    ``embeddings`` and ``embeddings_trainable`` set the form's one choice for both.
    """
    if "embeddings" in values or "embeddings_trainable" in values:
        choice = embedding_choice(values.pop("embeddings", "learned"), values.pop("embeddings_trainable", False))
        at.radio(key="cfg.embeddings_choice").set_value(choice)
    for name, value in values.items():
        key = f"cfg.{name}"
        if name in ("cell",):
            at.selectbox(key=key).set_value(value)
        elif name == "text":
            at.radio(key=key).set_value(value)
        elif isinstance(value, bool):
            at.checkbox(key=key).set_value(value)
        else:
            at.number_input(key=key).set_value(value)
    return at


def wait_until(at: AppTest, done, tries: int = 120, pause: float = 0.5) -> AppTest:
    """Rerun the page (as the polling fragment would) until ``done(at)`` or give up."""
    for _ in range(tries):
        if done(at):
            return at
        time.sleep(pause)
        at.run()
    raise AssertionError(f"condition not reached after {tries} reruns; page said:\n{all_text(at)[:3000]}")
