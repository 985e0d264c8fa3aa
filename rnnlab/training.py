"""Training and evaluation.

The pipeline vectorizes every text once up front, then feeds right-padded integer
batches (bucketed by length when ``config.bucketing``) to a compiled train step over
the token model. Progress goes out through :class:`TrainingCallback` objects, so a
CLI progress bar or a web page hooks in without touching the loop; a ``stop`` event
ends training within one batch, and ``time_budget_s`` ends it on the clock.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from .batching import padding_fraction, plan_batches
from .config import RunConfig
from .data import AgNews, Splits, prepare_splits, texts
from .devices import configure_devices, supports_mixed_precision, training_strategy
from .errors import TrainingError
from .evaluation import EncodedSplit, encode, evaluate, headlines_dev_metrics, pad_batch
from .models import build_model, complete_vocabulary, learn_vocabulary, token_model
from .progress import Progress
from .weights import extract_model_weights
from .row_adam import RowAdam
from .snapshots import SnapshotPoint, SnapshotRecorder, Snapshots, snapshot_batches
from .step_memory import dismantle_step, empty_variables
from .vocabulary import TRAINED_WORDS


@dataclass
class TrainResult:
    config: RunConfig
    model: keras.Model
    history: dict
    metrics: dict
    device: str
    train_seconds: float
    samples_per_second: float
    stopped_early: bool = False
    stop_reason: str = ""
    snapshots: Snapshots | None = None      # the weights during training, for the replay


# -- the training loop -----------------------------------------------------------------

@dataclass
class PreparedData:
    """Everything a run trains and evaluates on, vectorized once."""

    config: RunConfig
    model: keras.Model
    train: EncodedSplit
    validation: EncodedSplit
    test: EncodedSplit
    test_titles: EncodedSplit
    source: str
    strategy: tf.distribute.Strategy
    mixed_precision: bool
    trained_words: int        # the vocabulary's first entries, the words of the training texts


def prepare(config: RunConfig, data: AgNews | None = None,
            strategy: tf.distribute.Strategy | None = None) -> PreparedData:
    """Split, adapt the vocabulary on the training texts, build the model, vectorize.

    The model's variables are created in ``strategy``'s scope (default: see
    :func:`rnnlab.devices.training_strategy`).
    """
    configure_devices()
    strategy = strategy or training_strategy()
    mixed = config.mixed_precision and supports_mixed_precision()
    splits: Splits = prepare_splits(config, data)
    train_texts = texts(splits.train, config.text)
    train_labels = splits.train["label"].to_numpy()
    if config.add_titles and config.text != "title":
        train_texts += texts(splits.train, "title")
        train_labels = np.concatenate([train_labels, train_labels])
    learned = learn_vocabulary(config, train_texts)
    vocabulary = complete_vocabulary(config, learned)
    with strategy.scope():
        model = build_model(config, vocabulary, mixed_precision=mixed)

    def enc(df, field_name=config.text):
        return encode(model, texts(df, field_name), df["label"].to_numpy())

    return PreparedData(config, model, encode(model, train_texts, train_labels),
                        enc(splits.validation), enc(splits.test), enc(splits.test, "title"), splits.source,
                        strategy, mixed, len(learned))


def train(config: RunConfig, data: AgNews | None = None, callbacks=(), stop: threading.Event | None = None,
          time_budget_s: float | None = None, prepared: PreparedData | None = None,
          strategy: tf.distribute.Strategy | None = None) -> TrainResult:
    """Train one run; see the module docstring. Evaluation is on the full test split.

    Under a strategy with several replicas each batch holds ``batch_size`` rows per
    replica, split between them.
    """
    if time_budget_s is not None and not (isinstance(time_budget_s, (int, float)) and 0 < time_budget_s < math.inf):
        raise ValueError(f"time_budget_s must be a positive number of seconds, got {time_budget_s!r}")
    callbacks = list(callbacks)
    stop = stop or threading.Event()
    device = configure_devices()

    def emit(hook, progress):
        for cb in callbacks:
            getattr(cb, hook)(progress)

    emit("on_phase", Progress("prepare", message="Preparing data and vocabulary"))
    prepared = prepared or prepare(config, data, strategy)
    model, train_split, strategy = prepared.model, prepared.train, prepared.strategy
    with strategy.scope():
        tokens = token_model(model)
        optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
        if prepared.mixed_precision:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        table = _row_adam_table(tokens, strategy, prepared.mixed_precision)
        row_adam = RowAdam(table, config.learning_rate) if table is not None else None
        optimizer.build([v for v in tokens.trainable_variables if v is not table])
    step = _train_step_fn(tokens, optimizer, strategy, row_adam)
    batch_size = config.batch_size * strategy.num_replicas_in_sync

    rng = np.random.default_rng(config.seed)
    lengths = train_split.lengths
    n_batches = math.ceil(len(lengths) / batch_size)
    total = len(lengths) * config.epochs
    history = {"epochs": [], "batches": [], "padding_fraction": []}
    progress = Progress("train", epochs=config.epochs, batches=n_batches, total_samples=total)
    emit("on_phase", progress)
    stop_reason = ""
    clock = 0.0                       # seconds spent in train steps and batch preparation
    fused_kernels = None
    log_every = max(1, n_batches // 50)
    recorder, snapshot_after = SnapshotRecorder(total), snapshot_batches(n_batches)
    snapshot_seconds = 0.0            # counted in clock too: the snapshots' share of training time
    for epoch in range(1, config.epochs + 1):
        batches = plan_batches(lengths, batch_size, config.bucketing, rng)
        history["padding_fraction"].append(padding_fraction(lengths, batches))
        loss_sum = correct = seen = 0.0
        for b, index in enumerate(batches, start=1):
            if stop.is_set():
                stop_reason = "stopped by request"
                break
            if time_budget_s is not None and clock >= time_budget_s:
                stop_reason = f"time budget of {time_budget_s:g} s reached"
                break
            t0 = time.perf_counter()
            x = pad_batch(train_split.ids, index)
            loss, acc = step(tf.constant(x), tf.constant(train_split.labels[index]))
            loss = float(loss)
            if fused_kernels is None:
                fused_kernels = uses_fused_rnn_kernels(step)
            clock += time.perf_counter() - t0
            if not math.isfinite(loss):
                raise TrainingError(f"the loss became {loss} at epoch {epoch}, batch {b}: "
                                    "try a smaller learning rate")
            loss_sum += loss * len(index)
            correct += float(acc) * len(index)
            seen += len(index)
            progress.epoch, progress.batch = epoch, b
            progress.samples_seen += len(index)
            progress.loss, progress.accuracy = loss_sum / seen, correct / seen
            progress.elapsed_seconds = clock
            progress.samples_per_second = progress.samples_seen / clock if clock else 0.0
            remaining = total - progress.samples_seen
            progress.eta_seconds = remaining / progress.samples_per_second if progress.samples_per_second else None
            if b % log_every == 0 or b == n_batches:
                history["batches"].append({"epoch": epoch, "batch": b, "samples": progress.samples_seen,
                                           "seconds": round(clock, 3), "loss": progress.loss,
                                           "accuracy": progress.accuracy})
            if b in snapshot_after:
                seconds = take_snapshot(recorder, model, SnapshotPoint(epoch, b, progress.samples_seen))
                clock, snapshot_seconds = clock + seconds, snapshot_seconds + seconds
            emit("on_batch_end", progress)
        if seen:
            val = evaluate(model, prepared.validation, tokens, misclassified=0)
            progress.val_loss, progress.val_accuracy = val["loss"], val["accuracy"]
            history["epochs"].append({"epoch": epoch, "loss": progress.loss, "accuracy": progress.accuracy,
                                      "val_loss": val["loss"], "val_accuracy": val["accuracy"],
                                      "seconds": round(clock, 3), "complete": not stop_reason})
            emit("on_epoch_end", progress)
        if stop_reason:
            break

    started = time.perf_counter()
    if progress.samples_seen and recorder.last_samples != progress.samples_seen:   # stopped between snapshots
        take_snapshot(recorder, model, SnapshotPoint(progress.epoch, progress.batch, progress.samples_seen))
    snapshots = recorder.finish()
    seconds = time.perf_counter() - started
    clock, snapshot_seconds = clock + seconds, snapshot_seconds + seconds
    emit("on_phase", Progress("evaluate", epoch=progress.epoch, epochs=config.epochs,
                              samples_seen=progress.samples_seen, total_samples=total,
                              elapsed_seconds=clock, message="Evaluating on the test set"))
    metrics = evaluate(model, prepared.test, tokens)
    titles = evaluate(model, prepared.test_titles, tokens, misclassified=0)
    metrics["test_titles_accuracy"] = titles["accuracy"]
    metrics.update(headlines_dev_metrics(model, tokens))
    metrics.update({
        "test_accuracy": metrics["accuracy"], "train_seconds": round(clock, 3),
        "samples_per_second": progress.samples_seen / clock if clock else 0.0,
        "samples_seen": progress.samples_seen, "train_rows": len(lengths),
        "validation_rows": len(prepared.validation.labels), "test_rows": len(prepared.test.labels),
        "data_source": prepared.source, "device": device, "replicas": strategy.num_replicas_in_sync,
        "mixed_precision": prepared.mixed_precision, "cudnn": bool(fused_kernels),
        "stopped_early": bool(stop_reason),
        "stop_reason": stop_reason,
        "snapshot_seconds": round(snapshot_seconds, 3),
        TRAINED_WORDS: prepared.trained_words,
    })
    done = Progress("done", epoch=progress.epoch, epochs=config.epochs, samples_seen=progress.samples_seen,
                    total_samples=total, elapsed_seconds=clock, val_accuracy=progress.val_accuracy,
                    message=stop_reason or "finished")
    emit("on_phase", done)
    empty_variables([*optimizer.variables, *(row_adam.variables if row_adam else [])])
    if fused_kernels is not None:          # the step was traced (it ran at least once)
        dismantle_step(step)
    return TrainResult(config, model, history, metrics, device, clock, metrics["samples_per_second"],
                       bool(stop_reason), stop_reason, snapshots)


def take_snapshot(recorder: SnapshotRecorder, model: keras.Model, point: SnapshotPoint) -> float:
    """Copy the model's weights into ``recorder``; the seconds it took (training time too)."""
    started = time.perf_counter()
    recorder.record(extract_model_weights(model), point)
    return time.perf_counter() - started


def uses_fused_rnn_kernels(step) -> bool:
    """Whether the traced train step runs cuDNN's fused RNN kernels.

    Keras picks the cuDNN implementation while tracing (GPU present, cuDNN-eligible
    layer settings), so the traced graph and its function library name the ops that run.
    """
    graph_def = step.get_concrete_function().graph.as_graph_def()
    ops = {node.op for node in graph_def.node}
    ops.update(node.op for function in graph_def.library.function for node in function.node_def)
    return any(op.startswith("CudnnRNN") for op in ops)


def _row_adam_table(tokens: keras.Model, strategy: tf.distribute.Strategy, mixed_precision: bool):
    """The embedding table to train with :class:`RowAdam`, or None (then Keras's Adam trains it).

    Only on one replica in float32: loss scaling and replica sharding stay Keras's job.
    """
    embedding = tokens.get_layer("embedding")
    if not embedding.trainable or mixed_precision or strategy.num_replicas_in_sync != 1:
        return None
    return embedding.embeddings


def _train_step_fn(tokens: keras.Model, optimizer: keras.optimizers.Optimizer, strategy: tf.distribute.Strategy,
                   row_adam: RowAdam | None = None):
    """One compiled step: the batch is split between the strategy's replicas.

    The loss is averaged over the whole (global) batch, so one replica or several
    compute the same update. With ``row_adam`` the embedding table takes sparse Adam steps
    (only the rows the batch used) and Keras's optimizer trains the rest.
    """
    variables = [v for v in tokens.trainable_variables if row_adam is None or v.value is not row_adam.variable]
    per_example = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    replicas = strategy.num_replicas_in_sync
    scaled = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)

    def replica_step(x, y, global_size):
        with tf.GradientTape() as tape:
            probs = tokens(x, training=True)
            loss = tf.nn.compute_average_loss(per_example(y, probs), global_batch_size=global_size)
            scaled_loss = optimizer.scale_loss(loss) if scaled else loss
        if row_adam is None:
            grads = tape.gradient(scaled_loss, variables)
        else:
            *grads, table_grad = tape.gradient(scaled_loss, [*variables, row_adam.variable])
            row_adam.apply(table_grad)
        optimizer.apply_gradients(zip(grads, variables))
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(probs, axis=1, output_type=tf.int32), y), tf.float32))
        return loss, correct

    # One trace for every batch shape: batch size and length are left open.
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int64), tf.TensorSpec([None], tf.int32)],
                 reduce_retracing=True)
    def step(x, y):
        size = tf.shape(x)[0]
        if replicas == 1:
            loss, correct = replica_step(x, y, size)
        else:
            def shard(t):
                return strategy.experimental_distribute_values_from_function(
                    lambda ctx: t[ctx.replica_id_in_sync_group::replicas])
            loss, correct = strategy.run(replica_step, args=(shard(x), shard(y), size))
            loss = strategy.reduce("SUM", loss, axis=None)
            correct = strategy.reduce("SUM", correct, axis=None)
        return loss, correct / tf.cast(size, tf.float32)

    return step
