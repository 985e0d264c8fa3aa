"""AppTest: the Compare page — several runs read the same headline."""
from __future__ import annotations

import pandas as pd
import pytest

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
    assert types.count("heatmap") == 3                        # the confusion matrix, a hidden-state heatmap per run
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


def _copy_run(run, store, drop=()):
    """``run``'s folder copied into ``store``, its metrics without the keys in ``drop``."""
    import json
    import shutil
    target = store.root / run.run_id
    shutil.copytree(run.path, target)
    metrics = json.loads((target / "metrics.json").read_text())
    (target / "metrics.json").write_text(json.dumps({k: v for k, v in metrics.items() if k not in drop}))
    return target


def test_todays_headlines_accuracy_sits_beside_test_accuracy(runs, tmp_path, monkeypatch):
    """A run scored on today's headlines shows its accuracy; one trained before that shows a dash."""
    from rnnlab.runs import RunStore
    gru, lstm = runs
    assert isinstance(gru.metrics.get("headlines_dev_accuracy"), float), "the tests need the dev headlines file"
    store = RunStore(tmp_path / "store")
    store.root.mkdir()
    _copy_run(gru, store)
    _copy_run(lstm, store, drop=("headlines_dev_accuracy", "headlines_dev_recall", "headlines_dev_rows"))
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(store.root))
    at = open_page("compare", {"runs": f"{gru.run_id},{lstm.run_id}", "headline": HEADLINE})
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Today's headlines" in d.value.columns)
    scores = dict(zip(table["Run"], table["Today's headlines"]))
    assert scores[gru.run_id] == pytest.approx(gru.metrics["headlines_dev_accuracy"])    # shares: the table sorts by them
    assert pd.isna(scores[lstm.run_id])
    assert dict(zip(table["Run"], table["Test accuracy"]))[lstm.run_id] == pytest.approx(
        lstm.metrics["test_accuracy"])
    captions = [c.value for c in at.caption]
    assert f"{gru.run_id} · Test accuracy: {gru.metrics['test_accuracy']:.1%} · Today's headlines: " \
           f"{gru.metrics['headlines_dev_accuracy']:.1%}" in captions
    assert f"{lstm.run_id} · Test accuracy: {lstm.metrics['test_accuracy']:.1%} · Today's headlines: –" in captions

    train = open_page("train")                                   # the runs table: the same columns
    assert not train.exception
    runs_table = next(d.value for d in train.dataframe if "Today's headlines" in d.value.columns)
    assert pd.isna(dict(zip(runs_table["Run"], runs_table["Today's headlines"]))[lstm.run_id])
