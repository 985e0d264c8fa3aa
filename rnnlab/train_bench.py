"""``python -m rnnlab bench train``: the lesson's experiment D through the lesson's pipeline and through ours.

The lesson's pipeline is its own Keras ``fit`` (batch 16, Adam 0.001); ours is
:func:`rnnlab.training.train` on the same architecture (2 x Bidirectional LSTM(64),
embedding 128, masking, title + description) with :data:`OURS`. Both are evaluated on
the test split ``checkpoints`` times per epoch, outside their training clocks. The figure
is the speedup (:func:`speedups`): the lesson pipeline's training time to its final
accuracy against the time ours takes to first reach that accuracy.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from .config import preset
from .data import prepare_splits, texts

# Test evaluations per epoch: the time to target is found to 1/32 of an epoch (ours reaches it
# within the first fifth; at 1/16 steps rounding up alone could cost it a tenth of its time).
CHECKPOINTS = 32
# What our pipeline changes in bench train besides batching and the training loop; the
# architecture stays the lesson's. The first 50 of the 128 embedding dimensions start from
# GloVe 6B (fine-tuned; the rest start random) and the learning rate is 0.003. Over seeds
# 0-2 that reached the lesson's accuracy at 4-6/32 of the epoch, against 12/32 with learned
# embeddings at 0.001 (issue 13's closing notes).
OURS = {"embeddings": "glove", "embeddings_trainable": True, "learning_rate": 0.003}


class _Checkpoints:
    """Evaluation points every 1/n of an epoch: (training seconds, test accuracy)."""

    def __init__(self, total_batches: int, n: int):
        self.at = {round(total_batches * k / n) for k in range(1, n + 1)}
        self.points: list[tuple[float, float]] = []

    def first_reaching(self, accuracy: float) -> float | None:
        return next((t for t, acc in self.points if acc >= accuracy), None)


def bench_train(checkpoints: int = CHECKPOINTS) -> dict:
    """Train the lesson's experiment D through the lesson's pipeline and through ours."""
    config = preset("lesson-bilstm")
    splits = prepare_splits(config)
    train_texts = texts(splits.train, config.text)
    train_titles = texts(splits.train, "title")
    train_labels = splits.train["label"].to_numpy()
    test_texts = texts(splits.test, config.text)
    test_labels = splits.test["label"].to_numpy()
    print(f"bench train: {len(train_texts):,} training texts, {len(test_texts):,} test texts, "
          f"{checkpoints} test evaluations per epoch", file=sys.stderr)

    lesson = _run_lesson(config, train_texts, train_titles, train_labels, test_texts, test_labels, checkpoints)
    ours = _run_ours(config.replace(**OURS), checkpoints)
    return {"lesson": lesson, "rnnlab": ours,
            **speedups(lesson["train_seconds"], lesson.pop("_checkpoints"), ours.pop("_checkpoints"))}


def speedups(lesson_seconds: float, lesson: _Checkpoints, ours: _Checkpoints) -> dict:
    """How much sooner ours first reaches the lesson's final accuracy.

    ``speedup`` is the issue's measure: the lesson pipeline's whole training (the time its
    final accuracy took) over our time to first reach that accuracy. The lesson's accuracy
    also wobbles: ``speedup_vs_lesson_first_reach`` is the stricter ratio against the
    lesson's own first checkpoint at or above its final accuracy (finer checkpoints find
    such a wobble more often, lowering it).
    """
    target = lesson.points[-1][1]
    t_lesson, t_ours = lesson.first_reaching(target), ours.first_reaching(target)
    return {
        "target_accuracy": target, "lesson_seconds": lesson_seconds,
        "lesson_seconds_to_target": t_lesson, "rnnlab_seconds_to_target": t_ours,
        "speedup": round(lesson_seconds / t_ours, 2) if t_ours else None,
        "speedup_vs_lesson_first_reach": round(t_lesson / t_ours, 2) if t_ours else None,
        "note": None if t_ours else "rnnlab's pipeline never reached the lesson's final accuracy",
    }


def _run_lesson(config, train_texts, train_titles, train_labels, test_texts, test_labels, n_checkpoints):
    import keras
    import tensorflow as tf
    keras.utils.set_random_seed(config.seed)
    vectorizer = keras.layers.TextVectorization(max_tokens=config.vocab_size)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(tf.constant(train_titles[:2000])).batch(256))
    model = keras.Sequential([
        keras.Input(shape=(), dtype="string"),
        vectorizer,
        keras.layers.Embedding(config.vocab_size, 128, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True)),
        keras.layers.Bidirectional(keras.layers.LSTM(64)),
        keras.layers.Dense(4, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["acc"], optimizer="adam")
    batch_size = 16
    ds = tf.data.Dataset.from_tensor_slices((tf.constant(train_texts), train_labels)).batch(batch_size)
    total_batches = int(np.ceil(len(train_texts) / batch_size))
    checkpoints = _Checkpoints(total_batches, n_checkpoints)
    test_ds = tf.data.Dataset.from_tensor_slices(tf.constant(test_texts)).batch(256)

    # Traced once (string batches of any size): the test split read eagerly took ~30 s per checkpoint.
    predict = tf.function(lambda batch: model(batch, training=False),
                          input_signature=[tf.TensorSpec([None], tf.string)])

    def test_accuracy():
        probs = np.concatenate([predict(batch).numpy() for batch in test_ds])
        return float((probs.argmax(1) == test_labels).mean())

    class Clock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start, self.excluded = time.perf_counter(), 0.0

        def on_train_batch_end(self, batch, logs=None):
            if batch + 1 in checkpoints.at:
                t0 = time.perf_counter()
                elapsed = t0 - self.start - self.excluded
                acc = test_accuracy()
                checkpoints.points.append((round(elapsed, 2), acc))
                print(f"  lesson pipeline: {batch + 1}/{total_batches} batches, {elapsed:.1f} s, "
                      f"test accuracy {acc:.4f}", file=sys.stderr)
                self.excluded += time.perf_counter() - t0
                self.train_seconds = elapsed

    clock = Clock()
    model.fit(ds, epochs=1, callbacks=[clock], verbose=0)
    return {"model": config.describe(), "learning_rate": 0.001, "train_seconds": round(clock.train_seconds, 2),
            "samples_per_second": round(len(train_texts) / clock.train_seconds, 1),
            "test_accuracy": checkpoints.points[-1][1], "batch_size": batch_size,
            "checkpoints": checkpoints.points, "_checkpoints": checkpoints}


def _run_ours(config, n_checkpoints):
    from .progress import TrainingCallback
    from .evaluation import evaluate
    from .training import prepare, train
    prepared = prepare(config)
    total_batches = int(np.ceil(len(prepared.train.ids) / config.batch_size))
    checkpoints = _Checkpoints(total_batches, n_checkpoints)

    class Evaluate(TrainingCallback):
        def on_batch_end(self, progress):
            if progress.batch in checkpoints.at:
                acc = evaluate(prepared.model, prepared.test, misclassified=0)["accuracy"]
                checkpoints.points.append((round(progress.elapsed_seconds, 2), acc))
                print(f"  rnnlab pipeline: {progress.batch}/{total_batches} batches, "
                      f"{progress.elapsed_seconds:.1f} s, test accuracy {acc:.4f}", file=sys.stderr)

    result = train(config, callbacks=[Evaluate()], prepared=prepared)
    return {"model": config.describe(), "learning_rate": config.learning_rate,
            "train_seconds": round(result.train_seconds, 2),
            "samples_per_second": round(result.samples_per_second, 1),
            "test_accuracy": result.metrics["test_accuracy"], "batch_size": config.batch_size,
            "padding_fraction": round(result.history["padding_fraction"][0], 4),
            "checkpoints": checkpoints.points, "_checkpoints": checkpoints}
