"""AppTest: the Data page."""
from __future__ import annotations

import pytest

from app_testing import all_text, chart_types, charts, open_page


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))


def test_data_page_shows_balance_lengths_padding_and_samples(runs_dir):
    at = open_page("data")
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == ["Training texts", "Validation texts", "Test texts"]
    types = chart_types(at)
    assert "histogram" in types and types.count("bar") >= 5     # 4 classes of balance + padding bars
    text = all_text(at)
    assert "of what the network reads is padding" in text
    samples = at.dataframe[-1].value
    assert list(samples.columns) == ["Topic", "Title", "Description"] and len(samples) == 100

    at.text_input(key="data_search").input("olympic").run()
    hits = at.dataframe[-1].value
    assert 0 < len(hits) <= 100
    assert all("olympic" in (t + d).lower() for t, d in zip(hits["Title"], hits["Description"]))
    at.selectbox(key="data_class").set_value(1).run()
    assert set(at.dataframe[-1].value["Topic"]) == {"Sports"}


def test_preset_from_the_url_sets_the_subset(runs_dir):
    at = open_page("data", {"preset": "lesson-simple-rnn"})
    assert not at.exception
    assert at.selectbox(key="data_preset").value == "lesson-simple-rnn"
    assert "Text: Titles" in all_text(at)
    assert at.query_params["preset"] == "lesson-simple-rnn"


def test_chart_numbers_follow_the_language(runs_dir):
    """Tick labels and hover numbers: 0,25 and 46 432 in Norwegian, Plotly's 0.25 and 46,432 in English."""
    nb = charts(open_page("data", {"lang": "nb"}))
    assert nb and all(fig["layout"].get("separators") == ",\u00a0" for fig in nb)
    en = charts(open_page("data", {"lang": "en"}))
    assert en and all("separators" not in fig["layout"] for fig in en)
