"""Give back the memory of variables that a finished training's graph still holds.

TensorFlow 2.21 keeps the compiled train step alive after a training whenever the
embedding table does not take its update from the Keras optimizer (a frozen table, or
:class:`rnnlab.row_adam.RowAdam`): the rewritten ``while`` loop of the recurrent layer
is referenced from C++, out of reach of Python's collector. The step captures every
variable it touches, so each training left its whole model and optimizer state behind
(about 100 MB for a 30,000 x 256 table with Adam). The graph itself is small; the
variables' buffers are not. Emptying the variables once nobody needs their values
leaves only the graph.
"""
from __future__ import annotations

import keras
import tensorflow as tf
from tensorflow.python.ops import gen_resource_variable_ops


def empty_variables(variables) -> None:
    """Replace each variable's value by an empty tensor: its buffer is freed at once.

    The variables are unusable afterwards; call this only on variables that are garbage.
    """
    for variable in variables:
        handle = variable.value.handle if isinstance(variable, keras.Variable) else variable.handle
        gen_resource_variable_ops.assign_variable_op(handle, tf.zeros([0], variable.dtype), validate_shape=False)
