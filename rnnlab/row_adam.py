"""Adam for an embedding table that touches only the rows a batch used ("lazy" Adam).

Keras's Adam turns an embedding's sparse gradient into a dense one and updates every
row of the table and of both moment tables at every step: for a 100,000 x 50 table that
is most of a small model's training time on a CPU. Here the moments of a row are
updated only when the row is used, as TensorFlow Addons' ``LazyAdam`` did: words a batch
lacks keep their vectors and moments, so words that never appear in training (GloVe's
extra words) are never moved at all.
"""
from __future__ import annotations

import keras
import tensorflow as tf


class RowAdam:
    """Adam steps for one embedding variable, from ``tf.IndexedSlices`` gradients."""

    def __init__(self, variable, learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        # The tf.Variable under a Keras variable: it takes scatter updates.
        self.variable = variable.value if isinstance(variable, keras.Variable) else variable
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        shape, dtype = self.variable.shape, self.variable.dtype
        self.m = tf.Variable(tf.zeros(shape, dtype), trainable=False, name="row_adam_m")
        self.v = tf.Variable(tf.zeros(shape, dtype), trainable=False, name="row_adam_v")
        self.steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="row_adam_steps")

    @property
    def variables(self) -> list:
        """The optimizer's own state (the moments and the step count), not the table."""
        return [self.m, self.v, self.steps]

    def apply(self, gradient: tf.IndexedSlices) -> None:
        """One step on the rows in ``gradient`` (repeated rows are summed first)."""
        rows, position = tf.unique(gradient.indices)
        g = tf.math.unsorted_segment_sum(gradient.values, position, tf.shape(rows)[0])
        self.steps.assign_add(1)
        t = tf.cast(self.steps, g.dtype)
        alpha = self.learning_rate * tf.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        m = self.beta_1 * tf.gather(self.m, rows) + (1 - self.beta_1) * g
        v = self.beta_2 * tf.gather(self.v, rows) + (1 - self.beta_2) * tf.square(g)
        self.m.scatter_update(tf.IndexedSlices(m, rows))
        self.v.scatter_update(tf.IndexedSlices(v, rows))
        self.variable.scatter_sub(tf.IndexedSlices(alpha * m / (tf.sqrt(v) + self.epsilon), rows))
