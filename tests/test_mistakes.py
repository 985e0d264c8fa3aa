"""rnnlab.analysis.mistakes: the test headlines behind one confusion-matrix cell (tiny runs)."""
import numpy as np
import pytest

from rnnlab.analysis import mistakes
from rnnlab.analysis.trace import Tracer
from rnnlab.errors import TraceError


@pytest.fixture(params=[dict(), dict(cell="simple_rnn", masking=False)], ids=["gru", "rnn-nomask"])
def run(request, make_run):
    return make_run(**request.param)


def test_cells_hold_the_metrics_confusion_counts(run, run_store):
    """Every cell's total equals the count training wrote to metrics.json."""
    tracer = Tracer(run, run_store)
    matrix = np.array(run_store.info(run.run_id).metrics["confusion_matrix"])
    for true_class in range(4):
        for predicted_class in range(4):
            cell = mistakes.confusion_cell(tracer, true_class, predicted_class, limit=5)
            assert cell.total == matrix[true_class, predicted_class]
            assert len(cell.headlines) == min(5, cell.total)
    assert matrix.sum() > 0


def test_listed_headlines_belong_to_the_cell_most_confident_first(run, run_store):
    from rnnlab.data import load_ag_news
    tracer = Tracer(run, run_store)
    predictions = mistakes.test_predictions(tracer)
    true_class, predicted_class = np.unravel_index(
        np.argmax(np.array(run_store.info(run.run_id).metrics["confusion_matrix"]) * (1 - np.eye(4))), (4, 4))
    cell = mistakes.confusion_cell(tracer, int(true_class), int(predicted_class), limit=10)
    test = load_ag_news().test
    assert cell.headlines
    for h in cell.headlines:
        assert predictions.labels[h.row] == true_class == test["label"].iloc[h.row]
        assert predictions.predicted[h.row] == predicted_class
        assert "\\" not in h.title and "#39;" not in h.title          # readable, not crawl escapes
    confidences = [h.confidence for h in cell.headlines]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.25 <= c <= 1 for c in confidences)     # the largest of four probabilities


def test_predictions_are_kept_in_the_run_folder(run, run_store, monkeypatch):
    tracer = Tracer(run, run_store)
    first = mistakes.test_predictions(tracer)
    assert (tracer.path / mistakes.PREDICTIONS_FILE).is_file()

    def no_compute(*_):
        raise AssertionError("computed again although the run folder holds the predictions")

    monkeypatch.setattr(mistakes, "compute_predictions", no_compute)
    again = mistakes.test_predictions(Tracer(run, run_store))
    assert np.array_equal(first.predicted, again.predicted) and np.allclose(first.confidence, again.confidence)


def test_a_broken_or_foreign_file_is_computed_again(run, run_store, tmp_path):
    predictions = mistakes.TestPredictions(np.array([0, 1]), np.array([1, 1]), np.array([0.5, 0.9], np.float32))
    mistakes.write_predictions(tmp_path, "some-run", predictions)
    assert mistakes.read_predictions(tmp_path, "some-run", 2) is not None
    assert mistakes.read_predictions(tmp_path, "other-run", 2) is None          # another run's
    assert mistakes.read_predictions(tmp_path, "some-run", 3) is None           # another test split
    (tmp_path / mistakes.PREDICTIONS_FILE).write_bytes(b"not a zip")
    assert mistakes.read_predictions(tmp_path, "some-run", 2) is None


@pytest.mark.parametrize("args", [(4, 0), (-1, 0), (0, True), (0, "1"), (0, 1.0)])
def test_bad_cells_are_refused(args):
    predictions = mistakes.TestPredictions(np.array([0]), np.array([0]), np.array([1.0], np.float32))
    with pytest.raises(TraceError):
        mistakes.cell_rows(predictions, *args)
