"""Every cell x masking x depth x direction builds, trains a step, saves, reloads and predicts the same."""
import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnlab.config import RunConfig
from rnnlab.models import adapt_vocabulary, build_model, recurrent_layer_names, token_model, vectorize
from rnnlab.training import _train_step_fn

HEADLINES = ["Stocks rally as oil prices fall", "Red Sox beat Yankees in extra innings",
             "Intel unveils a faster chip", "UN council meets on Darfur crisis",
             "Fed raises interest rates again", "New browser from Mozilla released"]
LABELS = np.array([2, 1, 3, 0, 2, 3], dtype=np.int32)
GRID = list(itertools.product(["simple_rnn", "gru", "lstm"], [True, False], [1, 2, 3], [False, True]))


def _config(cell, masking, layers, bidirectional):
    return RunConfig(cell=cell, masking=masking, layers=layers, bidirectional=bidirectional, units=4,
                     embed_dim=4, vocab_size=100, max_length=16)


@pytest.mark.parametrize("cell, masking, layers, bidirectional", GRID)
def test_build_train_save_reload_predict(tmp_path, cell, masking, layers, bidirectional):
    config = _config(cell, masking, layers, bidirectional)
    model = build_model(config, adapt_vocabulary(config, HEADLINES))
    assert recurrent_layer_names(model) == [f"rnn_{i}" for i in range(1, layers + 1)]
    tokens = token_model(model)
    optimizer = keras.optimizers.Adam(0.01)
    optimizer.build(tokens.trainable_variables)
    ids = vectorize(model, HEADLINES)
    batch = np.zeros((len(ids), max(map(len, ids))), dtype=np.int64)
    for i, row in enumerate(ids):
        batch[i, :len(row)] = row
    before = model(tf.constant([[h] for h in HEADLINES])).numpy()
    loss, _ = _train_step_fn(tokens, optimizer, tf.distribute.get_strategy())(tf.constant(batch), tf.constant(LABELS))
    assert np.isfinite(float(loss))
    after = model(tf.constant([[h] for h in HEADLINES])).numpy()
    assert not np.allclose(before, after), "one training step must change the model"
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded(tf.constant([[h] for h in HEADLINES])).numpy(), after, atol=1e-6)


@pytest.mark.parametrize("cell", ["simple_rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_changes_output_only_without_masking(cell, bidirectional):
    outputs = {}
    for masking in (True, False):
        config = _config(cell, masking, 2, bidirectional)
        model = build_model(config, adapt_vocabulary(config, HEADLINES))
        tokens = token_model(model)
        ids = np.array([vectorize(model, HEADLINES[:1])[0]], dtype=np.int64)
        padded = np.concatenate([ids, np.zeros((1, 5), dtype=np.int64)], axis=1)
        outputs[masking] = tokens(ids).numpy(), tokens(padded).numpy()
    plain, padded = outputs[True]
    np.testing.assert_allclose(plain, padded, atol=1e-6)
    plain, padded = outputs[False]
    assert np.abs(plain - padded).max() > 1e-4


def test_long_input_is_truncated_to_max_length():
    config = _config("gru", True, 1, False)
    model = build_model(config, adapt_vocabulary(config, HEADLINES))
    ids = vectorize(model, [" ".join(HEADLINES * 5)])
    assert len(ids[0]) == config.max_length
