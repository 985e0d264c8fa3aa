"""Errors that cross the line between the app's pages and the compute worker.

They live in a module without TensorFlow, so a page process can receive one from
the worker (:mod:`rnnlab.service`) and catch it without importing Keras.
"""
from __future__ import annotations


class InputError(ValueError):
    """A text cannot be read by the model (for example it is empty)."""


class TraceError(InputError):
    """A text or a request the trace engine cannot serve; the message says why."""


class WorkerError(RuntimeError):
    """The compute worker failed on a request; the message names what went wrong."""


class WorkerUnavailable(WorkerError):
    """The compute worker cannot be reached (it is starting, stopped or crashed)."""
