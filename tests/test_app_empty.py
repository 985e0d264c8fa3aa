"""AppTest: the empty states — no data, no runs, a damaged run — never a traceback."""
from __future__ import annotations

import pytest

from rnnlab.data import clear_cache
from app_testing import all_text, open_page

PAGES = ("home", "lesson", "train", "explore", "compare", "data", "challenge")


@pytest.fixture
def no_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(empty))
    clear_cache()
    yield empty
    clear_cache()


@pytest.mark.parametrize("page", ["explore", "compare", "challenge"])
def test_no_runs_says_what_to_do_and_offers_the_quick_run(no_runs, page):
    at = open_page(page)
    assert not at.exception
    assert any("No network has been trained yet" in i.value for i in at.info)
    assert at.button(key=f"{page}-quick").label == "Train: Quick run (LSTM with GloVe vectors, about half a minute on a CPU)"


@pytest.mark.parametrize("page", PAGES)
def test_no_data_explains_how_to_provide_it(no_runs, no_data, page):
    at = open_page(page)
    assert not at.exception
    text = all_text(at)
    if page in ("home", "lesson", "train", "data"):
        assert "No AG News data was found" in text
        assert "RNNLAB_DATA_DIR" in text
    else:
        assert "No network has been trained yet" in text


def test_quick_button_without_data_explains_instead_of_training(no_runs, no_data):
    at = open_page("explore")
    at.button(key="explore-quick").click().run()
    assert not at.exception
    assert at.title[0].value == "Train a network"
    assert any("no data to train on" in e.value for e in at.error)
    assert "jobs" not in at.session_state


@pytest.fixture
def tiny_run(make_run):
    """Trained before ``no_data`` hides the data (fixtures set up in argument order)."""
    return make_run()


def test_a_run_without_data_still_reads_headlines(tiny_run, run_store, monkeypatch, no_data):
    run = tiny_run
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    at = open_page("explore", {"run": run.run_id, "headline": "Oil prices rise"})
    assert not at.exception
    assert any(m.label == "Predicted topic" for m in at.metric)
    at.button(key="explore_random").click().run()
    assert not at.exception
    assert "no test data" in all_text(at)


def test_a_damaged_run_is_listed_but_not_offered(no_runs):
    damaged = no_runs / "broken-run"
    damaged.mkdir(parents=True)
    (damaged / "config.json").write_text("{not json")
    at = open_page("train")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Run" in d.value.columns)
    assert list(table["Run"]) == ["broken-run"] and table["Problem"][0]
    assert any("is damaged" in e.value for e in at.error)
    at = open_page("explore", {"run": "broken-run"})
    assert not at.exception
    assert any("No network has been trained yet" in i.value for i in at.info)
