"""AppTest: the Home page (app.py), the navigation, the language switch."""
from __future__ import annotations

import pytest

from rnnlab.config import PRESETS, RunConfig
from rnnlab.data import load_ag_news
from app_testing import ROOT, TINY, all_text, open_page, wait_until


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
    assert at.button(key="home-train-quick").proto.type == "primary"
    # Students see which kind of source the data came from, never the server's paths.
    text = all_text(at)
    assert "Source: AG News files in the server's data folder" in text
    assert str(ROOT) not in text and "/ag_news" not in text and "RNNLAB_DATA_DIR" not in text


def test_the_quick_run_button_steps_back_once_that_run_exists(make_run, run_store, monkeypatch):
    run = make_run()
    monkeypatch.setitem(PRESETS, "quick", run.config)
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    at = open_page("home")
    assert not at.exception
    assert at.button(key="home-train-quick").proto.type == "secondary"


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
    assert "Maskinvare" in labels and "Treningsoverskrifter" in labels    # translated
    rows = f"{len(load_ag_news().train):,}".replace(",", "\u00a0")          # Norwegian digit grouping
    assert {m.label: m.value for m in at.metric}["Treningsoverskrifter"] == rows
    assert "Training headlines" not in labels
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
    for page in ("home", "lesson", "train", "explore", "compare", "data"):
        at = open_page(page)
        assert not at.exception, (page, at.exception)
        assert all_text(at)


def test_every_page_speaks_norwegian_charts_included(make_run, run_store, monkeypatch):
    """With lang=nb no English text of the catalogue is left: headings, labels, messages,
    chart titles, axis titles and legends; the share link keeps the language."""
    from rnnlab.i18n import catalogue
    from app_testing import charts

    run = make_run()
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    en, nb = catalogue("en"), catalogue("nb")
    english = {text for key, text in en.items() if nb[key] != text and "{" not in text}
    query = {"lang": "nb", "run": run.run_id, "headline": "Oil prices climb", "runs": f"{run.run_id},{run.run_id}"}
    for page in ("home", "lesson", "train", "explore", "compare", "data"):
        at = open_page(page, query)
        assert not at.exception, (page, at.exception)
        shown = all_text(at).splitlines()
        for kind in ("button", "selectbox", "text_input", "number_input", "checkbox", "metric", "expander"):
            shown += [getattr(e, "label", None) or "" for e in at.get(kind)]
        for fig in charts(at):
            layout = fig.get("layout", {})
            shown += [(layout.get("title") or {}).get("text") or ""]
            shown += [(v.get("title") or {}).get("text") or "" for k, v in layout.items() if k[:5] in ("xaxis", "yaxis")]
            shown += [a.get("text", "") for a in layout.get("annotations", [])]
            shown += [t.get("name") or "" for t in fig.get("data", [])]
        left = sorted({s for s in shown if s.strip() in english})
        assert not left, f"{page}: English left in Norwegian: {left}"
        assert "lang=nb" in at.sidebar.code[0].value, page


def test_projector_mode_comes_from_the_url_and_the_sidebar(runs_dir):
    at = open_page("home", {"present": "1"})
    assert not at.exception
    assert at.sidebar.toggle(key="present_toggle").value is True
    assert any("font-size: 23px" in h.proto.body for h in at.get("html"))
    assert at.query_params["present"] == "1"
    at.sidebar.toggle(key="present_toggle").set_value(False).run()
    assert not any("font-size: 23px" in h.proto.body for h in at.get("html"))
    assert "present" not in at.query_params
