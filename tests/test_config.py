import json

import pytest

from rnnlab.config import PRESETS, ConfigError, RunConfig, preset


def test_defaults_are_valid_and_round_trip_through_json():
    for config in [RunConfig(), *PRESETS.values()]:
        again = RunConfig.from_json(config.to_json())
        assert again == config
        assert again.short_id() == config.short_id()


def test_short_id_depends_on_content_only():
    assert RunConfig(units=32).short_id() == RunConfig(units=32).short_id()
    assert RunConfig(units=32).short_id() != RunConfig(units=33).short_id()
    assert len(RunConfig().short_id()) == 8


@pytest.mark.parametrize("field, value", [
    ("cell", "transformer"), ("units", 0), ("units", 10_000), ("layers", 4), ("layers", 0),
    ("learning_rate", 0.0), ("learning_rate", float("nan")), ("text", "body"), ("masking", "yes"),
    ("epochs", 1.5), ("batch_size", True), ("train_size", 50), ("max_length", 2),
])
def test_invalid_values_name_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        RunConfig(**{field: value})


def test_unknown_fields_and_bad_json_are_rejected():
    with pytest.raises(ConfigError, match="colour"):
        RunConfig.from_dict({"colour": "red"})
    with pytest.raises(ConfigError, match="JSON"):
        RunConfig.from_json("{not json")
    with pytest.raises(ConfigError, match="object"):
        RunConfig.from_json(json.dumps([1, 2]))
    with pytest.raises(ConfigError, match="preset"):
        preset("nope")


def test_lesson_presets_match_the_lesson():
    simple = preset("lesson-simple-rnn")
    assert (simple.cell, simple.units, simple.embed_dim, simple.masking, simple.text) == (
        "simple_rnn", 16, 64, False, "title")
    masking = preset("lesson-masking")
    assert (masking.cell, masking.units, masking.masking, masking.text) == (
        "simple_rnn", 16, True, "title_description")
    lstm = preset("lesson-lstm")
    assert (lstm.cell, lstm.units, lstm.masking) == ("lstm", 8, False)
    bilstm = preset("lesson-bilstm")
    assert (bilstm.cell, bilstm.units, bilstm.layers, bilstm.bidirectional, bilstm.embed_dim, bilstm.masking) == (
        "lstm", 64, 2, True, 128, True)


def test_run_id_is_a_valid_store_name():
    from rnnlab.runs import check_run_id
    for config in PRESETS.values():
        assert check_run_id(config.run_id())
