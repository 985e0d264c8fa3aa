"""AppTest: the Home page (app.py), the navigation, the language switch."""
from __future__ import annotations

import pytest

from rnnlab.config import PRESETS, RunConfig
from rnnlab.data import load_ag_news
from rnnlab_app.testing import ROOT, TINY, all_text, open_page, wait_until


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    path = tmp_path / "runs"
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(path))
    return path


def test_home_explains_the_app_and_shows_status(runs_dir):
    at = open_page("home")
    assert not at.exception
    assert at.title[0].value == "RNN Lab"
    assert "recurrent neural network" in at.markdown[0].value
    assert any("S_{t+1}" in l.value and "W_H" in l.value and "W_I" in l.value for l in at.latex)
    metrics = {m.label: m.value for m in at.metric}
    data = load_ag_news()
    assert metrics["Training headlines"] == f"{len(data.train):,}"
    assert metrics["Test headlines"] == f"{len(data.test):,}"
    assert metrics["Device"] == "CPU" or metrics["Device"].startswith(("GPU", "1 x", "2 x"))
    assert metrics["Trained runs"] == "0"
    keys = {b.key for b in at.button}
    assert {f"home-train-{name}" for name in PRESETS} <= keys      # the quick run and every lesson preset


def test_quick_button_queues_a_training_and_opens_the_train_page(runs_dir, monkeypatch):
    monkeypatch.setitem(PRESETS, "quick", RunConfig(**TINY, text="title"))
    at = open_page("home")
    at.button(key="home-train-quick").click().run()
    assert not at.exception
    assert at.title[0].value == "Train a network"
    assert at.session_state["jobs"]
    wait_until(at, lambda a: any("Finished" in s.value for s in a.success))
    assert at.query_params.get("preset") == "quick"


def test_language_comes_from_the_url_and_the_sidebar(runs_dir):
    at = open_page("home", {"lang": "nb"})
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Maskinvare" in labels                           # translated
    assert "Training headlines" in labels                   # not yet translated: falls back to English
    assert at.sidebar.selectbox(key="lang_select").value == "nb"
    assert at.query_params["lang"] == "nb"
    at.sidebar.selectbox(key="lang_select").set_value("en").run()
    assert "Device" in [m.label for m in at.metric]
    assert "lang" not in at.query_params


def test_a_bad_language_in_the_url_falls_back_to_english(runs_dir):
    at = open_page("home", {"lang": "<script>"})
    assert not at.exception
    assert "Device" in [m.label for m in at.metric]


def test_no_legacy_pages_folder():
    # A folder named pages/ next to app.py switches Streamlit to its legacy multipage mode
    # for deep links on a fresh server (/explore?run=... would skip app.py's navigation).
    assert not (ROOT / "pages").exists()


def test_every_page_opens_without_error(runs_dir):
    for page in ("home", "train", "explore", "compare", "data"):
        at = open_page(page)
        assert not at.exception, (page, at.exception)
        assert all_text(at)
