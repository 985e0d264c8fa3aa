"""rnnlab.analysis.memory: what the answer depends on, and headlines read the same way (tiny runs)."""
import numpy as np
import pytest

from rnnlab.analysis import memory as mem
from rnnlab.errors import TraceError
from rnnlab.analysis.memorydata import nearest_by_cosine
from rnnlab.analysis.trace import Tracer

HEADLINE = "Oil prices soar as stocks fall in Tokyo"


@pytest.fixture(params=[dict(), dict(cell="simple_rnn", masking=False), dict(cell="lstm", bidirectional=True)],
                ids=["gru", "rnn-nomask", "bilstm"])
def tracer(request, make_run, run_store):
    return Tracer(make_run(**request.param), run_store)


def test_gradients_match_central_finite_differences(tracer):
    _, tokens, _ = tracer.tokenize(HEADLINE)
    x = mem.embeddings(tracer, np.array([t.id for t in tokens])).astype(np.float64)
    target = 2
    _, grad = mem.embedding_gradient(tracer, x, target)
    h = 1e-2
    for row in (0, len(tokens) // 2, len(tokens) - 1):
        numeric = np.zeros(x.shape[1])
        for e in range(x.shape[1]):
            plus, minus = x.copy(), x.copy()
            plus[row, e] += h
            minus[row, e] -= h
            numeric[e] = (mem.embedding_gradient(tracer, plus, target)[0]
                          - mem.embedding_gradient(tracer, minus, target)[0]) / (2 * h)
        assert np.allclose(grad[row], numeric, rtol=1e-2, atol=2e-4), (row, grad[row], numeric)
    assert np.abs(grad).max() > 1e-4          # a gradient that is all zeros would pass trivially


def test_memory_per_token(tracer):
    found = mem.memory(tracer, HEADLINE)
    trace = tracer.trace(HEADLINE, integrated_gradients=False, projection=False)
    assert [t.word for t in found.tokens] == [t.word for t in trace.tokens]
    assert [t.distance for t in found.tokens] == list(range(len(trace.tokens) - 1, -1, -1))
    assert found.predicted == trace.predicted_index
    assert found.probability == pytest.approx(trace.probabilities[found.predicted], abs=1e-5)
    assert all(t.gradient_norm >= 0 for t in found.tokens)


def test_occlusion_is_the_drop_when_a_word_is_unknown(tracer):
    """Worked example: read 'Tokyo' as a word the model never saw, by hand."""
    found = mem.memory(tracer, HEADLINE)
    whole = tracer.trace(HEADLINE, integrated_gradients=False, projection=False).probabilities
    changed = tracer.trace(HEADLINE.replace("stocks", "qqqzzzunseen"), integrated_gradients=False,
                           projection=False).probabilities
    stocks = next(t for t in found.tokens if t.word == "stocks")
    assert stocks.distance == 3
    assert stocks.occlusion_drop == pytest.approx(whole[found.predicted] - changed[found.predicted], abs=1e-5)


def test_nearest_by_cosine_orders_and_handles_zero_rows():
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    index, sims = nearest_by_cosine(matrix, np.array([1.0, 0.1]), 3)
    assert index.tolist() == [0, 2, 1]
    assert sims[0] == pytest.approx(1 / np.sqrt(1.01)) and sims[1] == pytest.approx(1.1 / np.sqrt(2.02))


def test_a_corpus_headline_finds_itself_first_and_the_matrix_is_computed_once(make_run, run_store):
    run = make_run()
    (run_store.path(run.run_id) / mem.CORPUS_FILE).unlink(missing_ok=True)
    tracer = Tracer(run, run_store)
    data = mem.corpus(tracer)
    assert 0 < len(data["titles"]) <= mem.CORPUS_SIZE
    title = str(data["titles"][5])
    found = mem.neighbours(tracer, title)
    assert found.neighbours[0].title == title and found.neighbours[0].cosine == pytest.approx(1.0, abs=1e-4)
    assert len(found.neighbours) == 10 and found.n_corpus == len(data["titles"])
    cosines = [n.cosine for n in found.neighbours]
    assert cosines == sorted(cosines, reverse=True)
    mem.neighbours(tracer, "Stocks rally as oil prices fall", step=2)
    assert mem.corpus_builds(tracer) == 1
    # Another tracer on the same run (a restarted worker) reads the stored matrix.
    again = Tracer(run, run_store)
    assert mem.neighbours(again, title) == found and mem.corpus_builds(again) == 0


def test_new_headlines_compile_the_gradient_once(tracer):
    for text in (HEADLINE, "Mars", "A much longer headline about the markets and the weather in Oslo today"):
        mem.memory(tracer, text)
    assert mem._gradient_fn(tracer).experimental_get_tracing_count() == 1


@pytest.mark.parametrize("step", [0, 99, True, 1.5])
def test_a_bad_step_is_a_clear_error(make_run, run_store, step):
    with pytest.raises(TraceError, match="step must be"):
        mem.neighbours(Tracer(make_run(), run_store), HEADLINE, step=step)
