"""Bad values from a link's query parameters, the Train form and the command line give a
clear message; run ids reach nothing outside the run store; models load in Keras' safe mode."""
from __future__ import annotations

import json
import os
import re

import keras
import numpy as np
import pytest

from rnnlab import cli
from rnnlab.config import RunConfig, field_ranges
from rnnlab.runs import RunStore, RunStoreError
from app_testing import TINY, all_text, open_page

HEADLINE = "Federer wins his third Wimbledon title"
# Markup that Markdown would render: a tag or a javascript: link not escaped with a backslash.
MARKDOWN_INJECTION = re.compile(r"(?<!\\)<\s*/?\s*(script|img|svg|iframe|a)\b|(?<!\\)\]\(\s*javascript:", re.IGNORECASE)


def _markdown_values(at) -> list[str]:
    return [str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "success")
            for e in getattr(at, kind)]


def _no_injection(at) -> None:
    for value in _markdown_values(at):
        assert not MARKDOWN_INJECTION.search(value), value[:300]


# -- Explore: run and headline -----------------------------------------------------------

@pytest.mark.parametrize("bad", ["/etc/passwd", "run\x00id", "x" * 10_000, "<img src=x onerror=alert(1)>",
                                 "[a](javascript:alert(1))"])
def test_explore_with_a_bad_run_in_the_link(runs, bad):
    at = open_page("explore", {"run": bad, "headline": HEADLINE, "unexpected": "1"})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("cannot exist" in w or "is not on this server" in w for w in warnings), warnings
    assert all(len(w) < 400 for w in warnings)
    _no_injection(at)
    whole = [r.run_id for r in RunStore(os.environ["RNNLAB_RUNS_DIR"]).list() if r.ok]
    assert at.selectbox(key="explore_run").value in whole
    assert any(m.label == "Predicted topic" for m in at.metric)          # another run is shown
    assert "unexpected" not in at.query_params                            # unknown parameters are dropped
    assert at.query_params["run"] == at.selectbox(key="explore_run").value


def test_a_valid_looking_run_id_that_is_not_there(runs):
    at = open_page("explore", {"run": "gru-deadbeef", "headline": HEADLINE})
    assert not at.exception
    assert any("gru\\-deadbeef" in w.value or "gru-deadbeef" in w.value for w in at.warning)


def test_a_50000_character_headline_in_the_link(runs):
    at = open_page("explore", {"run": runs[0].run_id, "headline": "Stocks rally " * 3847})
    assert not at.exception
    assert "cannot be read" in all_text(at) and "at most 20,000" in all_text(at)
    assert not any(m.label == "Predicted topic" for m in at.metric)
    assert len(at.query_params.get("headline", "")) <= 500                # the shared link stays short


@pytest.mark.parametrize("lang", ["xx", "nb\x00<script>alert(1)</script>"])
def test_a_bad_language_in_the_link_falls_back_to_english(runs, lang):
    at = open_page("explore", {"run": runs[0].run_id, "headline": HEADLINE, "lang": lang})
    assert not at.exception
    assert at.title[0].value.startswith("Explore")
    assert any(m.label == "Predicted topic" for m in at.metric)
    assert at.query_params.get("lang") in (None, "en")


# -- Train and Data: preset --------------------------------------------------------------

@pytest.mark.parametrize("page", ["train", "data"])
@pytest.mark.parametrize("preset", ["nope", "<script>alert(1)</script>", "q" * 5000])
def test_a_bad_preset_in_the_link(runs, page, preset):
    at = open_page(page, {"preset": preset})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("preset that does not exist" in w for w in warnings), warnings
    assert all(len(w) < 400 for w in warnings)
    _no_injection(at)
    assert at.query_params.get("preset") in (None, "quick")


# -- Compare: runs -----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["a,b,../../x,/etc/passwd,%00", ",".join(f"r{i}" for i in range(500)),
                                   "<svg/onload=alert(1)>,[x](javascript:alert(1))," + "," * 1000])
def test_compare_with_bad_runs_in_the_link(runs, value):
    gru, _ = runs
    at = open_page("compare", {"runs": f"{gru.run_id}," + value, "headline": HEADLINE})
    assert not at.exception
    _no_injection(at)
    assert len(at.warning) <= 20                                          # a flood of ids is cut short
    whole = {r.run_id for r in RunStore(os.environ["RNNLAB_RUNS_DIR"]).list() if r.ok}
    assert set(at.multiselect(key="compare_runs").value) <= whole
    assert gru.run_id in at.multiselect(key="compare_runs").value           # the one valid id is kept


# -- the Train form ----------------------------------------------------------------------

@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    return RunStore(tmp_path / "runs")


@pytest.mark.parametrize("values, message", [
    ({"train_size": 1}, "at least 100"),
    ({"train_size": 99}, "at least 100"),
])
def test_the_train_form_refuses_invalid_settings(empty_store, values, message):
    from app_testing import fill_train_form
    at = open_page("train")
    fill_train_form(at, **{**TINY, **values})
    at.button(key="train_submit").click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert not at.session_state["jobs"] if "jobs" in at.session_state else True


def test_out_of_range_form_values_never_reach_a_training(empty_store):
    """The browser keeps numbers within each field's bounds; a tampered client that sends
    more gets the field's default from Streamlit (never the value itself), and every
    setting is validated again by RunConfig before anything trains."""
    from rnnlab_app import resources
    at = open_page("train")
    ranges = field_ranges()
    at.number_input(key="cfg.units").set_value(100_000)
    at.number_input(key="cfg.learning_rate").set_value(float("inf"))
    at.number_input(key="cfg.train_size").set_value(400)
    at.button(key="train_submit").click().run()
    assert not at.exception
    jobs = resources.queue().jobs()
    try:
        assert len(jobs) == 1, f"the form should queue one training to check, got {len(jobs)}"
        for job in jobs:
            assert ranges["units"][0] <= job.config.units <= ranges["units"][1]
            assert np.isfinite(job.config.learning_rate)
            resources.queue().stop(job.job_id, keep=False)
    finally:
        for job in resources.queue().jobs():
            if job.active:
                resources.queue().stop(job.job_id, keep=False)


# -- the command line ----------------------------------------------------------------------

@pytest.mark.parametrize("argv, field", [
    (["--units", "100000"], "units"), (["--units", "-1"], "units"), (["--learning-rate", "nan"], "learning_rate"),
    (["--learning-rate", "inf"], "learning_rate"), (["--epochs", "0"], "epochs"), (["--max-length", "3"], "max_length"),
    (["--train-size", "-5"], "train_size"), (["--batch-size", "2000"], "batch_size"), (["--seed", "-1"], "seed"),
    (["--vocab-size", "1e9"], "vocab-size"), (["--cell", "../../etc/passwd"], "cell"),
])
def test_out_of_range_cli_settings(tmp_path, monkeypatch, capsys, argv, field):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path))
    code = cli.main(["train", *argv])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1, err
    assert field in lines[0] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# -- run ids and files stay inside the store ------------------------------------------------

@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "..", "run/../..", "\x00"])
def test_run_files_are_read_only_from_the_store(runs, bad):
    from rnnlab_app import resources
    with pytest.raises(RunStoreError):
        resources.run_file(bad, "config.json")
    with pytest.raises(RunStoreError):
        resources.run_config(bad)
    with pytest.raises(RunStoreError):
        resources.run_file(runs[0].run_id, "../../../etc/passwd")


def _save_lambda_run(root, marker) -> str:
    """A run folder that looks whole but whose model.keras holds a Lambda layer with code."""
    fn = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).write_text('ran'), x)[1]")  # noqa: S307
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.Lambda(fn)(inputs)))
    run_id = "gru-lambda00"
    folder = root / run_id
    folder.mkdir(parents=True)
    model.save(folder / "model.keras")
    (folder / "config.json").write_text(RunConfig(**TINY).to_json())
    (folder / "history.json").write_text(json.dumps({"epochs": []}))
    (folder / "metrics.json").write_text(json.dumps({"test_accuracy": 0.9}))
    marker.unlink(missing_ok=True)              # building the model above ran it once
    return run_id


def test_models_load_in_safe_mode_only(tmp_path, monkeypatch, capsys):
    marker = tmp_path / "lambda-ran"
    store = RunStore(tmp_path / "runs")
    run_id = _save_lambda_run(store.root, marker)
    assert store.info(run_id).ok                                          # it looks whole
    with pytest.raises(RunStoreError, match="damaged.*cannot be loaded") as info:
        store.load(run_id)
    assert "Lambda" in str(info.value) and "arbitrary code execution" in str(info.value)
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(store.root))
    assert cli.main(["predict", run_id, "hello", "--json"]) == 2
    assert "cannot be loaded" in capsys.readouterr().err
    at = open_page("explore", {"run": run_id, "headline": HEADLINE})
    assert not at.exception
    assert any("cannot be loaded" in e.value for e in at.error)
    assert not marker.exists(), "the Lambda layer's code ran while loading"
    # The file is a real threat: loaded without safe mode, its code runs.
    keras.saving.load_model(store.path(run_id) / "model.keras", safe_mode=False)
    assert marker.read_text() == "ran"
