"""AppTest: the Lesson's LSTM step shows the SimpleRNN and the LSTM reading one long text, side by side."""
from __future__ import annotations

import pytest

from rnnlab.runs import RunStore
from rnnlab.training import train
from rnnlab_app import lesson
from app_testing import all_text, charts, open_page


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv(lesson.TRAIN_SIZE_ENV, "400")
    return RunStore(tmp_path / "runs")


def _memory_figures(at) -> list[dict]:
    return [fig for fig in charts(at) if fig.get("layout", {}).get("xaxis2", {}).get("title", {}).get("text", "")
            .startswith(("Words from the end", "Ord fra slutten"))]


def test_the_lstm_step_says_which_step_to_train_first_then_shows_both(store):
    at = open_page("lesson", {"lang": "nb"})
    assert not at.exception
    assert "Tren disse stegene først for å se dette eksemplet: 1 · " in all_text(at)
    assert not _memory_figures(at)
    for section in lesson.MEMORY_SECTIONS:
        store.save_result(train(lesson.section_config(section)))
    at = open_page("lesson", {"lang": "nb"})
    assert not at.exception
    figures = _memory_figures(at)
    assert len(figures) == 2                                           # SimpleRNN and LSTM
    words = len(lesson.MEMORY_TEXT.split())
    for fig in figures:
        assert len(fig["data"][0]["x"]) == words > 40                  # the whole long text, every word
    assert lesson.MEMORY_TEXT in [c.value for c in at.code]
    assert "Slik leser du det" in all_text(at)
