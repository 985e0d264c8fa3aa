"""AppTest: the Train page — the form, live progress, stop, results, the runs table."""
from __future__ import annotations

import pytest

from rnnlab.config import RunConfig
from rnnlab.runs import RunStore
from rnnlab.training import train
from app_testing import TINY, all_text, chart_types, fill_train_form, open_page, wait_until


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    return RunStore(tmp_path / "runs")


def _job_button(at, prefix):
    for b in at.button:
        if b.key and b.key.startswith(prefix):
            return b
    return None


def test_train_a_tiny_run_through_the_form(store):
    at = open_page("train")
    fill_train_form(at, **TINY, text="title", cell="gru")
    at.button(key="train_submit").click().run()
    assert not at.exception
    at = wait_until(at, lambda a: any("Finished" in s.value for s in a.success))

    config = RunConfig.from_dict(at.session_state["keep.cfg"])
    assert config.units == 8 and config.train_size == 400 and config.text == "title"
    runs = store.list()
    assert [r.run_id for r in runs] == [config.run_id()] and runs[0].ok

    labels = [m.label for m in at.metric]
    assert "Test accuracy" in labels
    per_class = at.dataframe[0].value
    assert list(per_class["Topic"]) == ["World", "Sports", "Business", "Sci/Tech"]
    assert {"Precision", "Recall", "F1"} <= set(per_class.columns)
    assert "heatmap" in chart_types(at)                           # the confusion matrix
    assert any("Text" in d.value.columns for d in at.dataframe)   # misclassified test headlines
    table = next(d.value for d in at.dataframe if "Run" in d.value.columns)
    assert config.run_id() in list(table["Run"])
    assert at.selectbox(key="train_pick").value == config.run_id()
    assert len(at.get("download_button")) >= 2                   # model.keras and config.json


def test_invalid_settings_give_a_message_not_a_training(store):
    at = open_page("train")
    fill_train_form(at, **{**TINY, "train_size": 50})
    at.button(key="train_submit").click().run()
    assert not at.exception
    assert any("Training texts" in e.value and "at least 100" in e.value for e in at.error)
    assert not at.session_state["jobs"] if "jobs" in at.session_state else True


@pytest.mark.parametrize("keep", [True, False])
def test_stop_keeps_or_discards_the_partial_run(store, keep):
    at = open_page("train")
    fill_train_form(at, **{**TINY, "train_size": 4000, "epochs": 30, "batch_size": 16})
    at.button(key="train_submit").click().run()
    at = wait_until(at, lambda a: _job_button(a, "stop-keep-") is not None and "Epoch" in all_text(a) + "".join(
        str(p.proto) for p in a.get("progress")))
    assert "Time left" in [m.label for m in at.metric]
    assert "Headlines per second" in [m.label for m in at.metric]
    _job_button(at, "stop-keep-" if keep else "stop-discard-").click().run()
    at = wait_until(at, lambda a: a.success or a.info and any("discarded" in i.value for i in a.info), tries=20)
    runs = store.list()
    if keep:
        assert any("Stopped early" in s.value for s in at.success)
        assert len(runs) == 1 and runs[0].run_id.endswith("-partial") and runs[0].metrics["stopped_early"]
    else:
        assert any("discarded" in i.value for i in at.info)
        assert runs == []


def test_queue_position_is_shown_while_waiting(store):
    from rnnlab_app import resources
    long_job = resources.queue().submit(RunConfig(**{**TINY, "train_size": 4000, "epochs": 30, "batch_size": 16}))
    try:
        at = open_page("train")
        fill_train_form(at, **TINY, text="title")
        at.button(key="train_submit").click().run()
        assert any("number 1 in the queue" in i.value for i in at.info)
        _job_button(at, "cancel-").click().run()
        assert any("discarded" in i.value for i in at.info)
        # Someone else's training is listed.
        assert any(long_job.run_id in list(d.value.iloc[:, 0]) for d in at.dataframe if len(d.value))
    finally:
        resources.queue().stop(long_job.job_id, keep=False)
        resources.queue().wait(long_job.job_id, timeout=30)


def test_the_same_settings_reuse_the_saved_run(store):
    config = RunConfig(**TINY, text="title")
    store.save_result(train(config))
    at = open_page("train")
    fill_train_form(at, **TINY, text="title", cell="gru", masking=True, bucketing=True, bidirectional=False, layers=1)
    at.number_input(key="cfg.learning_rate").set_value(config.learning_rate)
    at.checkbox(key="cfg.add_titles").set_value(config.add_titles)
    at.button(key="train_submit").click().run()
    assert any("already trained" in s.value for s in at.success), all_text(at)


def test_preset_comes_from_the_url(store):
    at = open_page("train", {"preset": "lesson-lstm"})
    assert not at.exception
    assert at.selectbox(key="train_preset").value == "lesson-lstm"
    assert at.selectbox(key="cfg.cell").value == "lstm"
    assert at.number_input(key="cfg.units").value == 8
    assert at.checkbox(key="cfg.masking").value is False
    assert at.query_params["preset"] == "lesson-lstm"
    at.selectbox(key="train_preset").set_value("lesson-bilstm").run()
    assert at.checkbox(key="cfg.bidirectional").value is True and at.number_input(key="cfg.layers").value == 2
    assert at.query_params["preset"] == "lesson-bilstm"


def test_unknown_preset_in_the_url_says_so(store):
    at = open_page("train", {"preset": "[evil](http://x)"})
    assert not at.exception
    assert any("does not exist" in w.value for w in at.warning)
    assert "](http" not in "".join(w.value for w in at.warning).replace("\\](http", "")   # escaped, not a link
    assert at.selectbox(key="train_preset").value == "quick"


def test_delete_a_run_from_the_table(store):
    config = RunConfig(**TINY, text="title", seed=3)
    store.save_result(train(config))
    at = open_page("train", teacher=True)
    assert at.selectbox(key="train_pick").value == config.run_id()
    at.button(key="delete-run").click().run()
    assert not at.exception
    assert not store.exists(config.run_id())
    assert any("was deleted" in s.value for s in at.success)
    assert any("No runs saved yet" in i.value for i in at.info)


@pytest.mark.parametrize("choice, trainable", [("glove", False), ("glove_trainable", True)])
def test_choosing_glove_trains_with_its_50_dimensions(store, monkeypatch, choice, trainable):
    """Choosing GloVe on a learned preset sets the embedding size (8 here) to GloVe's 50."""
    from rnnlab_app import trainings
    submitted = []
    monkeypatch.setattr(trainings, "submit_training", submitted.append)
    at = open_page("train", {"preset": "lesson-masking"})
    assert at.radio(key="cfg.embeddings_choice").value == "learned"
    fill_train_form(at, **TINY, text="title", embeddings="glove", embeddings_trainable=trainable)
    assert at.radio(key="cfg.embeddings_choice").value == choice
    at.button(key="train_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [config] = submitted
    assert (config.embeddings, config.embeddings_trainable, config.embed_dim) == ("glove", trainable, 50)
    assert at.number_input(key="cfg.embed_dim").value == 50
    assert any("the embedding size was set to 50" in i.value for i in at.info)


def test_another_size_on_a_glove_preset_means_learned_vectors(store, monkeypatch):
    """The quick preset starts from GloVe: a person who changes only the size gets learned vectors."""
    from rnnlab_app import trainings
    submitted = []
    monkeypatch.setattr(trainings, "submit_training", submitted.append)
    at = open_page("train", {"preset": "quick"})
    assert at.radio(key="cfg.embeddings_choice").value == "glove_trainable"
    fill_train_form(at, **TINY, text="title")
    at.button(key="train_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [config] = submitted
    assert (config.embeddings, config.embeddings_trainable, config.embed_dim) == ("learned", False, 8)
    assert at.radio(key="cfg.embeddings_choice").value == "learned"
    assert any("this run does not use GloVe" in i.value for i in at.info)


def test_a_larger_size_keeps_fine_tuned_glove_but_not_frozen_glove(store, monkeypatch):
    """Fine-tuned GloVe fills the first 50 of a wider embedding; frozen GloVe is exactly 50."""
    from rnnlab_app import trainings
    submitted = []
    monkeypatch.setattr(trainings, "submit_training", submitted.append)
    for preset_name, expected in (("quick", ("glove", True, 128)), ("lesson-glove", ("learned", False, 128))):
        at = open_page("train", {"preset": preset_name})
        fill_train_form(at, **{**TINY, "embed_dim": 128}, text="title")
        at.button(key="train_submit").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        config = submitted.pop()
        assert (config.embeddings, config.embeddings_trainable, config.embed_dim) == expected
        assert any("this run does not use GloVe" in i.value for i in at.info) == (expected[0] == "learned")


def test_the_glove_preset_link_opens_the_form_on_glove(store):
    at = open_page("train", {"preset": "lesson-glove"})
    assert not at.exception
    assert at.radio(key="cfg.embeddings_choice").value == "glove"
    assert at.number_input(key="cfg.embed_dim").value == 50
    at.selectbox(key="train_preset").set_value("lesson-masking").run()
    assert at.radio(key="cfg.embeddings_choice").value == "learned" and at.number_input(key="cfg.embed_dim").value == 64
    assert at.query_params["preset"] == "lesson-masking"
    at = open_page("train", {"lang": "nb", "preset": "lesson-glove"})
    assert "Forhåndstrent GloVe, låst" in at.radio(key="cfg.embeddings_choice").options
