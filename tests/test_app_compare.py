"""AppTest: the Compare page — several runs read the same headline."""
from __future__ import annotations

from rnnlab.config import RunConfig
from rnnlab_app import explain
from app_testing import TINY, all_text, chart_types, open_page, wait_until

HEADLINE = "Stocks slide as oil prices hit a record high"


def test_two_runs_side_by_side(runs):
    gru, lstm = runs
    at = open_page("compare", {"runs": f"{gru.run_id},{lstm.run_id}", "headline": HEADLINE})
    assert not at.exception
    assert at.multiselect(key="compare_runs").value == [gru.run_id, lstm.run_id]
    assert [m.label for m in at.metric].count("Predicted topic") == 2
    types = chart_types(at)
    assert types.count("heatmap") == 2                        # a hidden-state heatmap per run
    assert types.count("bar") == 2                            # a probability chart per run
    text = all_text(at)
    assert "How each answer forms, word by word" in text and "What padding does to each" in text
    assert at.query_params["runs"] == f"{gru.run_id},{lstm.run_id}"
    assert at.query_params["headline"] == HEADLINE


def test_bad_ids_in_the_link_are_reported(runs):
    gru, _ = runs
    at = open_page("compare", {"runs": f"nope-1,../../etc,{gru.run_id}", "headline": HEADLINE})
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "is not on this server" in warnings and "cannot exist" in warnings
    assert at.multiselect(key="compare_runs").value == [gru.run_id]
    assert "Pick at least two runs" in all_text(at)


def test_preset_pairs_select_or_train_their_runs(runs, monkeypatch):
    gru, lstm = runs
    base = gru.config
    missing = base.replace(masking=False, seed=11)
    pairs = {"masking": (base, missing), "cell": (gru.config, lstm.config),
             "depth": (RunConfig(**TINY, layers=2, seed=12), RunConfig(**TINY, layers=3, seed=12))}
    monkeypatch.setattr(explain, "compare_pairs", lambda: pairs)
    at = open_page("compare", {"headline": HEADLINE})
    assert at.button(key="train-pair-depth").label.startswith("Train both")
    at.button(key="pair-cell").click().run()                  # both trained: compare them
    assert at.multiselect(key="compare_runs").value == [gru.run_id, lstm.run_id]
    at.button(key="train-pair-masking").click().run()         # one missing: train it, then compare
    at = wait_until(at, lambda a: a.multiselect(key="compare_runs").value == [base.run_id(), missing.run_id()])
    assert not at.exception
    assert [m.label for m in at.metric].count("Predicted topic") == 2
