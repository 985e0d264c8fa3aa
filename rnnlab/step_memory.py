"""Give back the memory that a finished training's compiled step would keep.

TensorFlow 2.21 keeps the traced train step alive after a training whenever the
embedding table does not take its update from the Keras optimizer (a frozen table, or
:class:`rnnlab.row_adam.RowAdam`): the rewritten ``while`` loop of the recurrent layer
is referenced from C++, out of reach of Python's collector. The step captures every
variable it touches, so each training left its whole model and optimizer state behind
(about 100 MB for a 30,000 x 256 table with Adam) and its graphs (a few MB).
:func:`dismantle_step` breaks the graphs' cycles; :func:`empty_variables` frees the
buffers of variables nobody needs any more.
"""
from __future__ import annotations

import keras
import tensorflow as tf
from tensorflow.python.framework.func_graph import dismantle_func_graph
from tensorflow.python.ops import gen_resource_variable_ops


def empty_variables(variables) -> None:
    """Replace each variable's value by an empty tensor: its buffer is freed at once.

    The variables are unusable afterwards; call this only on variables that are garbage.
    """
    for variable in variables:
        handle = variable.value.handle if isinstance(variable, keras.Variable) else variable.handle
        gen_resource_variable_ops.assign_variable_op(handle, tf.zeros([0], variable.dtype), validate_shape=False)


def dismantle_step(step) -> None:
    """Break the reference cycles of a traced ``tf.function`` and of every graph inside it
    (the recurrent layers' loops and their gradients). ``step`` is unusable afterwards."""
    pending, graphs = [step.get_concrete_function().graph], []
    while pending:
        graph = pending.pop()
        if any(graph is seen for seen in graphs):
            continue
        graphs.append(graph)
        pending.extend(f.graph for f in graph._functions.values() if getattr(f, "graph", None) is not None)
    for graph in graphs:
        dismantle_func_graph(graph)
