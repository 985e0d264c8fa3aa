"""Errors that cross the line between the app's pages and the compute worker, and the
check of a typed text that raises one.

They live in a module without TensorFlow, so a page process (or ``serve``) can receive
one from the worker (:mod:`rnnlab.service`) and catch it without importing Keras.
"""
from __future__ import annotations


class InputError(ValueError):
    """A text cannot be read by the model (for example it is empty)."""


class TraceError(InputError):
    """A text or a request the trace engine cannot serve; the message says why."""


class TrainingError(RuntimeError):
    """Training could not go on (for example the loss became NaN)."""


class WorkerError(RuntimeError):
    """The compute worker failed on a request; the message names what went wrong."""


class WorkerUnavailable(WorkerError):
    """The compute worker cannot be reached (it is starting, stopped or crashed)."""


MAX_INPUT_CHARS = 20_000


def check_text(text: str) -> str:
    if not isinstance(text, str):
        raise InputError("the text must be a string")
    if len(text) > MAX_INPUT_CHARS:
        raise InputError(f"the text is {len(text):,} characters long; at most {MAX_INPUT_CHARS:,} are read")
    if not text.strip():
        raise InputError("the text is empty: type a headline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:   # lone surrogates, e.g. from undecodable bytes in a command line
        raise InputError("the text holds characters that are not valid Unicode (lone surrogates)") from None
    return text
