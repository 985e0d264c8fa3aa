"""Text cleanup, one implementation used at training and at prediction time.

AG News keeps the escapes of its 2004 crawl (:mod:`rnnlab.ag_escapes`): ``#39;`` for an apostrophe, `` quot;`` for
a quote, ``#36;`` for a dollar sign, `` amp;`` for an ampersand, HTML-escaped tags such
as ``&lt;b&gt;`` and a backslash where a line broke. :func:`standardize` undoes those,
drops tags, lowercases, turns dashes and slashes into spaces, deletes other punctuation
and squeezes white space. It is a TensorFlow function so that it lives inside the
model's ``TextVectorization`` layer: whatever text reaches a saved model, from the
training pipeline, the CLI or the web app, is cleaned the same way.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from .ag_escapes import AG_ESCAPES

_DASHES = r"[-\x{2010}-\x{2015}/_]"
_PUNCTUATION = r"[!\"#$%&'()*+,.:;<=>?@\[\\\]^`{|}~\x{2018}\x{2019}\x{201C}\x{201D}\x{2026}\x{00AB}\x{00BB}\x{00BF}\x{00A1}]"
_SPACES = r"[\p{Z}\p{Cc}]"           # every Unicode space and control character (NUL, NEL, ...)
_INVISIBLE = r"\p{Cf}"                # zero-width and direction marks: glue, not content


@keras.saving.register_keras_serializable(package="rnnlab")
def standardize(texts):
    """Clean a string tensor of any shape (see the module docstring)."""
    x = tf.strings.regex_replace(texts, _SPACES, " ")
    x = tf.strings.regex_replace(x, _INVISIBLE, "")
    for pattern, replacement in AG_ESCAPES:
        x = tf.strings.regex_replace(x, pattern, replacement)
    x = tf.strings.lower(x, encoding="utf-8")
    x = tf.strings.regex_replace(x, _DASHES, " ")
    x = tf.strings.regex_replace(x, _PUNCTUATION, "")
    x = tf.strings.regex_replace(x, r"[\p{Z}\s]+", " ")
    return tf.strings.strip(x)


def clean_text(text: str) -> str:
    """The cleaned form of one text, exactly as the model's vectorizer sees it."""
    return standardize(tf.constant([text])).numpy()[0].decode("utf-8", errors="replace")


def tokenize(text: str) -> list[str]:
    """The tokens the model reads for ``text`` (before vocabulary lookup)."""
    cleaned = clean_text(text)
    return cleaned.split(" ") if cleaned else []


def token_counts(texts: list[str], chunk: int = 8192):
    """Words per text after the cleanup (numpy int64), in chunks to bound memory."""
    import numpy as np
    out = np.zeros(len(texts), dtype=np.int64)
    for start in range(0, len(texts), chunk):
        cleaned = standardize(tf.constant(texts[start:start + chunk]))
        out[start:start + chunk] = tf.strings.split(cleaned).row_lengths().numpy()
    return out
