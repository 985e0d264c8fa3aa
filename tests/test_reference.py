"""rnnlab.reference: the numpy cells reproduce Keras' own layers to 1e-5.

The grid covers every cell type, masked and unmasked, one to three layers, with and
without Bidirectional, on real AG News headlines in a right-padded batch. The models
are untrained (build_model with random weights), so no training is needed.
"""
import itertools

import keras
import numpy as np
import pytest

from rnnlab import reference as R
from rnnlab import weights as W
from rnnlab.cells import CELL_NAMES, CELLS
from rnnlab.config import RunConfig
from rnnlab.data import load_ag_news
from rnnlab.models import adapt_vocabulary, build_model, token_model, vectorize

ATOL = 1e-5


@pytest.fixture(scope="module")
def headlines():
    data = load_ag_news()
    titles = data.train["title"].iloc[:3000].tolist()
    vocabulary = adapt_vocabulary(RunConfig(vocab_size=3000, text="title"), titles)
    test_titles = data.test["title"].tolist()
    # Real headlines of different lengths (one long, one of a single token), so the batch is padded.
    chosen = [test_titles[0], test_titles[1], test_titles[5], "Stocks", test_titles[9] + " " + test_titles[10]]
    return vocabulary, chosen


def random_model(cell, masking, layers, bidirectional, vocabulary, units=6, embed_dim=7, seed=0):
    config = RunConfig(cell=cell, masking=masking, layers=layers, bidirectional=bidirectional, units=units,
                       embed_dim=embed_dim, vocab_size=len(vocabulary), max_length=24, text="title", seed=seed)
    model = build_model(config, vocabulary)
    rng = np.random.default_rng(seed)
    for variable in model.trainable_variables:   # random biases too, not Keras' zero init
        variable.assign(rng.normal(0.0, 0.6, variable.shape).astype("float32"))
    return model


def padded(model, texts):
    rows = vectorize(model, texts)
    ids = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = row
    lengths = np.array([len(r) for r in rows])
    assert len(set(lengths)) > 1, "the batch must hold padding"
    return ids, lengths


GRID = list(itertools.product(CELL_NAMES, (True, False), (1, 2, 3), (False, True)))


@pytest.mark.parametrize("cell,masking,layers,bidirectional", GRID,
                         ids=[f"{c}-{'m' if m else 'nm'}-{n}{'-bi' if b else ''}" for c, m, n, b in GRID])
def test_reference_matches_keras(headlines, cell, masking, layers, bidirectional):
    vocabulary, texts = headlines
    model = random_model(cell, masking, layers, bidirectional, vocabulary, seed=len(texts) + layers)
    ids, lengths = padded(model, texts)
    weights = W.extract_model_weights(model)
    assert weights.masking is masking
    assert [lw.name for lw in weights.layers] == [f"rnn_{i}" for i in range(1, layers + 1)]
    runs, probs = R.forward(weights, ids)

    # Whole model: Keras' own prediction on the padded batch (padding read as Keras reads it).
    np.testing.assert_allclose(probs, np.asarray(token_model(model)(ids)), atol=ATOL)

    # Every layer's real output (masked steps included: zeros or carried states, as Keras gives them).
    embedding = model.get_layer("embedding")
    x, mask = embedding(ids), embedding.compute_mask(ids)
    for run in runs:
        y = np.asarray(model.get_layer(run.weights.name)(x, mask=mask))
        np.testing.assert_allclose(run.outputs if run.weights.return_sequences else run.final, y, atol=ATOL)
        x = model.get_layer(run.weights.name)(x, mask=mask)

    # Every direction's state after every real token, the last layer included.
    real = np.arange(ids.shape[1])[None, :] < lengths[:, None] if masking else np.ones(ids.shape, bool)
    for run, keras_run in zip(runs, R.keras_sequences(model, ids)):
        assert set(run.directions) == set(keras_run)
        for direction, cell_run in run.directions.items():
            np.testing.assert_allclose(cell_run.hidden[real], keras_run[direction][real], atol=ATOL)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_single_sequences_and_internals(headlines, cell):
    """(T, in) input, lengths, and the internals hang together with the hidden states."""
    vocabulary, texts = headlines
    model = random_model(cell, True, 1, True, vocabulary, units=5, seed=3)
    ids, lengths = padded(model, texts)
    lw = W.extract_weights(model)[0]
    x = W.extract_model_weights(model).embedding[ids]
    batch = R.run_cell(lw.forward, x, lengths=lengths)
    step = {"lstm": R.lstm, "gru": R.gru, "simple_rnn": R.simple_rnn}[cell]
    for b, length in enumerate(lengths):
        alone = step(lw.forward, x[b, :length])
        np.testing.assert_allclose(alone.hidden, batch.hidden[b, :length], atol=1e-6)
        np.testing.assert_allclose(alone.final, batch.final[b], atol=1e-6)
        back = step(lw.backward, x[b, :length], go_backwards=True)
        np.testing.assert_allclose(back.final, back.hidden[0], atol=0)   # backward ends at token 0

    one = step(lw.forward, x[0, :lengths[0]])
    h_prev = np.vstack([np.zeros((1, lw.units)), one.hidden[:-1]])
    assert set(one.internals) == set(CELLS[cell].internal_names)
    if cell == "lstm":
        i, f, o, g, c = (one.internals[k] for k in ("input_gate", "forget_gate", "output_gate", "candidate", "cell"))
        c_prev = np.vstack([np.zeros((1, lw.units)), c[:-1]])
        np.testing.assert_allclose(c, f * c_prev + i * g, atol=1e-6)
        np.testing.assert_allclose(one.hidden, o * np.tanh(c), atol=1e-6)
        for gate in (i, f, o):
            assert ((gate > 0) & (gate < 1)).all()
        # Keras' own final cell state
        clone = keras.layers.LSTM(lw.units, return_state=True)
        clone(x[:1, :lengths[0]])
        clone.set_weights([lw.forward.kernel, lw.forward.recurrent_kernel, lw.forward.bias])
        _, _, c_keras = clone(x[:1, :lengths[0]])
        np.testing.assert_allclose(c[-1], np.asarray(c_keras)[0], atol=ATOL)
    elif cell == "gru":
        z, g = one.internals["update_gate"], one.internals["candidate"]
        np.testing.assert_allclose(one.hidden, z * h_prev + (1 - z) * g, atol=1e-6)
        assert ((one.internals["reset_gate"] > 0) & (one.internals["reset_gate"] < 1)).all()
    else:
        np.testing.assert_allclose(one.hidden, np.tanh(one.internals["preactivation"]), atol=1e-6)


def test_masked_steps_carry_the_state():
    rng = np.random.default_rng(0)
    w = W.CellWeights("gru", 3, rng.normal(size=(4, 9)), rng.normal(size=(3, 9)), rng.normal(size=(2, 9)))
    x = rng.normal(size=(1, 5, 4))
    mask = np.array([[True, False, True, True, False]])
    run = R.gru(w, x, mask=mask)
    np.testing.assert_array_equal(run.hidden[0, 1], run.hidden[0, 0])
    np.testing.assert_array_equal(run.hidden[0, 4], run.hidden[0, 3])
    assert (run.internals["update_gate"][0, 1] == 0).all()
    zeroed = R.run_cell(w, x, mask=mask, zero_output_for_mask=True)
    assert (zeroed.outputs[0, 1] == 0).all() and (zeroed.outputs[0, 0] != 0).any()
    # skipping the masked steps is the same as leaving them out
    alone = R.gru(w, x[:, mask[0]])
    np.testing.assert_allclose(alone.final, run.final, atol=1e-12)


def test_unsupported_layers_are_refused():
    model = keras.Sequential([keras.Input((None, 3)), keras.layers.SimpleRNN(2, activation="relu", name="rnn_1")])
    with pytest.raises(W.UnsupportedLayerError, match="not tanh"):
        W.extract_weights(model)
    with pytest.raises(W.UnsupportedLayerError, match="no recurrent layers"):
        W.extract_weights(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_both_reset_placements(reset_after):
    rng = np.random.default_rng(1)
    layer = keras.layers.GRU(4, reset_after=reset_after, return_sequences=True, name="rnn_1")
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    layer(x)
    layer.set_weights([rng.normal(0, 0.7, w.shape).astype("float32") for w in layer.get_weights()])
    model = keras.Sequential([keras.Input((None, 3)), layer])
    (weights,) = W.extract_weights(model)
    assert weights.forward.reset_after is reset_after
    np.testing.assert_allclose(R.gru(weights.forward, x).hidden, np.asarray(layer(x)), atol=ATOL)
