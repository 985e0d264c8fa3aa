import threading

import numpy as np
import pytest

from rnnlab.config import CLASS_NAMES, RunConfig
from rnnlab.batching import padding_fraction, plan_batches
from rnnlab.progress import TrainingCallback
from rnnlab.evaluation import classification_metrics, pad_batch
from rnnlab.training import TrainingError, train


def test_bucketing_cuts_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 60, size=5000)
    plain = padding_fraction(lengths, plan_batches(lengths, 64, False, np.random.default_rng(1)))
    bucketed_batches = plan_batches(lengths, 64, True, np.random.default_rng(1))
    bucketed = padding_fraction(lengths, bucketed_batches)
    assert bucketed < 0.02 < plain
    assert sorted(np.concatenate(bucketed_batches).tolist()) == list(range(5000))


def test_pad_batch_pads_right_with_zeros():
    ids = [np.array([5, 6, 7]), np.array([8])]
    np.testing.assert_array_equal(pad_batch(ids, np.array([0, 1])), [[5, 6, 7], [8, 0, 0]])


def test_classification_metrics():
    labels = np.array([0, 0, 1, 2, 3, 3])
    probs = np.eye(4)[[0, 1, 1, 2, 3, 0]]
    m = classification_metrics(labels, probs)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["confusion_matrix"][0] == [1, 1, 0, 0]
    assert m["per_class"]["Sports"]["precision"] == pytest.approx(0.5)
    assert m["per_class"]["Sci/Tech"]["recall"] == pytest.approx(0.5)
    assert set(m["per_class"]) == set(CLASS_NAMES)


class Recorder(TrainingCallback):
    def __init__(self):
        self.phases, self.batches, self.epochs = [], [], []

    def on_phase(self, p):
        self.phases.append(p.phase)

    def on_batch_end(self, p):
        self.batches.append((p.epoch, p.batch, p.loss, p.samples_per_second, p.eta_seconds))

    def on_epoch_end(self, p):
        self.epochs.append(p.val_accuracy)


def test_a_2000_example_subset_learns_well_above_chance():
    rec = Recorder()
    config = RunConfig(train_size=2000, epochs=2, units=32, text="title", vocab_size=5000)
    result = train(config, callbacks=[rec])
    assert result.metrics["test_accuracy"] > 0.45, result.metrics["test_accuracy"]   # chance is 0.25
    assert rec.phases[0] == "prepare" and rec.phases[-1] == "done"
    assert len(rec.epochs) == 2 and len(rec.batches) == 2 * int(np.ceil(2000 / 64))
    assert all(np.isfinite(b[2]) and b[3] > 0 for b in rec.batches)
    assert result.metrics["test_rows"] == 7600 and result.metrics["train_rows"] == 2000
    assert sum(map(sum, result.metrics["confusion_matrix"])) == 7600
    assert len(result.metrics["misclassified"]) == 50
    import tensorflow as tf   # fused cuDNN kernels run only where a GPU is
    assert result.metrics["cudnn"] is bool(tf.config.list_physical_devices("GPU"))


def test_stop_ends_training_within_a_batch():
    stop = threading.Event()

    class StopAfterThree(TrainingCallback):
        def on_batch_end(self, p):
            if p.batch == 3:
                stop.set()

    result = train(RunConfig(train_size=2000, units=8), callbacks=[StopAfterThree()], stop=stop)
    assert result.stopped_early and result.stop_reason == "stopped by request"
    assert result.metrics["samples_seen"] == 3 * 64


def test_time_budget_stops_training():
    result = train(RunConfig(train_size=2000, units=8, epochs=5), time_budget_s=1e-9)
    assert result.stopped_early and "time budget" in result.stop_reason


@pytest.mark.parametrize("budget", [-5, 0, float("nan"), float("inf"), "10"])
def test_a_time_budget_must_be_a_positive_number_of_seconds(budget):
    """Finding 4 (issue 16): a negative budget stopped training before the first batch, and
    NaN was silently ignored."""
    with pytest.raises(ValueError, match="time_budget_s must be a positive number"):
        train(RunConfig(train_size=400, units=8), time_budget_s=budget)


def test_nan_loss_stops_with_a_message():
    class PoisonWeights(TrainingCallback):
        """Diverged weights, as a far too large learning rate gives: the next loss is NaN."""

        def __init__(self):
            self.model = None

        def on_batch_end(self, p):
            if p.batch == 2:
                embedding = self.model.get_layer("embedding")
                embedding.embeddings.assign(np.full(embedding.embeddings.shape, np.nan, dtype="float32"))

    from rnnlab.training import prepare
    config = RunConfig(train_size=400, units=8)
    prepared = prepare(config)
    poison = PoisonWeights()
    poison.model = prepared.model
    with pytest.raises(TrainingError, match="loss became nan at epoch 1, batch 3"):
        train(config, callbacks=[poison], prepared=prepared)


def test_a_dropped_training_result_frees_its_model():
    """Finding 1 (issue 16): every training kept its token model alive for the life of the
    process (prediction functions cached by id with a strong reference)."""
    import gc
    import weakref

    config = RunConfig(train_size=400, units=8, embed_dim=8, vocab_size=2000, text="title")
    alive = []
    for seed in (1, 2):
        result = train(config.replace(seed=seed))
        alive.append(weakref.ref(result.model))
        del result
    gc.collect()
    assert [ref() for ref in alive] == [None, None], "a dropped result's model is still alive"


def _train_step_graphs() -> list:
    """The traced train steps that are still alive."""
    import gc

    from tensorflow.python.framework.func_graph import FuncGraph

    return [o for o in gc.get_objects() if isinstance(o, FuncGraph) and o.name == "step"]


def _variables_held_by(graphs) -> list[int]:
    """The sizes (in elements) of every variable that these traced steps captured."""
    import tensorflow as tf
    from tensorflow.python.ops import gen_resource_variable_ops

    sizes = []
    for graph in graphs:
        for outer, _ in graph.captures:
            if outer.dtype == tf.resource:
                shape = gen_resource_variable_ops.variable_shape(outer).numpy()
                sizes.append(int(np.prod(shape)))
    return sizes


def test_a_released_training_holds_no_weights():
    """CI failure (soak test): with the table trained by RowAdam (or frozen), TensorFlow keeps
    the train step alive after training, and with it ~100 MB of weights and moments per
    training in the server. After ``train`` and the queue's ``release_model`` nothing a
    leftover step captured may hold data."""
    import gc

    from rnnlab.jobs import release_model

    earlier = {id(graph) for graph in _train_step_graphs()}
    result = train(RunConfig(train_size=400, units=8, embed_dim=16, vocab_size=2000, text="title", seed=3))
    release_model(result.model)
    del result
    gc.collect()
    assert sum(_variables_held_by([g for g in _train_step_graphs() if id(g) not in earlier])) == 0
