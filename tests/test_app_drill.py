"""AppTest: from a cell of the confusion matrix to its test headlines and on to Explore (Train, Compare)."""
from __future__ import annotations

import numpy as np

from rnnlab_app import drill
from app_testing import all_text, chart_types, open_page

HEADLINE = "Stocks slide as oil prices hit a record high"


def _off_diagonal_cell(run) -> tuple[int, int]:
    matrix = np.array(run.metrics["confusion_matrix"]) * (1 - np.eye(4, dtype=int))
    return tuple(int(i) for i in np.unravel_index(matrix.argmax(), matrix.shape))


def test_compare_lists_a_cell_and_opens_a_headline_in_explore(runs):
    gru, lstm = runs
    at = open_page("compare", {"runs": f"{gru.run_id},{lstm.run_id}", "headline": HEADLINE})
    assert not at.exception
    assert at.segmented_control(key="compare_drill_run").value == gru.run_id
    assert "scatter" in chart_types(at)                      # the clickable cells over the matrix
    key = f"cmp-{gru.run_id}"
    true_class, predicted = _off_diagonal_cell(gru)
    at.selectbox(key=f"{key}-drill-true").set_value(true_class)
    at.selectbox(key=f"{key}-drill-predicted").set_value(predicted).run()
    assert not at.exception
    count = gru.metrics["confusion_matrix"][true_class][predicted]
    assert f"**{count:,}** test headlines about" in all_text(at)
    buttons = [b for b in at.button if b.key and b.key.startswith(f"{key}-open-")]
    assert len(buttons) == min(count, drill.LISTED)
    row = int(buttons[0].key.rsplit("-", 1)[1])
    from rnnlab.ag_escapes import readable
    from rnnlab.data import load_ag_news
    test = load_ag_news().test
    assert int(test["label"].iloc[row]) == true_class
    buttons[0].click().run()
    assert not at.exception
    assert at.title[0].value.startswith("Explore")
    assert at.selectbox(key="explore_run").value == gru.run_id
    assert at.text_input(key="explore_headline").value == readable(test["title"].iloc[row])


def test_train_saved_run_lists_the_right_answers(runs):
    gru, _ = runs
    at = open_page("train")
    at.selectbox(key="train_pick").set_value(gru.run_id).run()
    key = f"pick-eval-{gru.run_id}"
    at.selectbox(key=f"{key}-drill-true").set_value(2)
    at.selectbox(key=f"{key}-drill-predicted").set_value(2).run()
    assert not at.exception
    count = gru.metrics["confusion_matrix"][2][2]
    assert f"**{count:,}** test headlines about Business that the network got right" in all_text(at)


def test_a_click_on_the_matrix_sets_the_cell_once(monkeypatch):
    """A new click sets both selectboxes; the same selection on later reruns leaves a changed choice alone."""
    import streamlit as st
    state: dict = {}
    monkeypatch.setattr(st, "session_state", state)
    click = {"selection": {"points": [{"x": "Sports", "y": "World", "customdata": [0, 1, 12]}]}}
    drill.take_click("k", click, 4)
    assert (state["k-drill-true"], state["k-drill-predicted"]) == (0, 1)
    state["k-drill-true"] = 3                                   # the person picks another row
    drill.take_click("k", click, 4)                             # rerun: the chart still reports the click
    assert state["k-drill-true"] == 3
    drill.take_click("k", {"selection": {"points": [{"customdata": [7, 1, 0]}]}}, 4)   # not a class
    assert state["k-drill-true"] == 3
