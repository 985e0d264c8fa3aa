"""RowAdam: Keras's Adam on the rows a batch uses, nothing on the others."""
import keras
import numpy as np
import tensorflow as tf

from rnnlab.row_adam import RowAdam


def _slices(step: int, indices: list[int]) -> tf.IndexedSlices:
    values = np.random.default_rng(step).normal(size=(len(indices), 3)).astype("float32")
    return tf.IndexedSlices(tf.constant(values), tf.constant(indices))


def test_rows_used_every_step_follow_keras_adam():
    start = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    ours, theirs = keras.Variable(start), keras.Variable(start)
    row_adam, adam = RowAdam(ours, 0.01), keras.optimizers.Adam(0.01)
    adam.build([theirs])
    for step in range(4):
        grad = _slices(step, [0, 1, 2, 3, 4, 1])          # row 1 twice: its two parts add up
        row_adam.apply(grad)
        adam.apply_gradients([(tf.math.unsorted_segment_sum(grad.values, grad.indices, 5), theirs)])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-6)
    assert not np.allclose(ours.numpy(), start)


def test_rows_a_batch_lacks_keep_their_values_and_moments():
    start = np.random.default_rng(1).normal(size=(6, 3)).astype("float32")
    table = keras.Variable(start)
    row_adam = RowAdam(table, 0.05)
    for step in range(3):
        row_adam.apply(_slices(step, [0, 2]))
    after = table.numpy()
    np.testing.assert_array_equal(after[[1, 3, 4, 5]], start[[1, 3, 4, 5]])
    assert not np.allclose(after[[0, 2]], start[[0, 2]])
    assert not row_adam.m.numpy()[[1, 3, 4, 5]].any() and not row_adam.v.numpy()[[1, 3, 4, 5]].any()
