"""The training replay: snapshots kept during training, saved with the run, replayed."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from rnnlab import snapshots as snap
from rnnlab.errors import TraceError
from rnnlab.weights import CellWeights, LayerWeights, ModelWeights, extract_model_weights
from rnnlab.runs import RunStoreError

HEADLINE = "Federer wins his third Wimbledon title"


def test_snapshots_are_equally_spaced_and_end_with_the_epoch():
    assert snap.snapshot_batches(160) == set(range(10, 161, 10))
    assert max(snap.snapshot_batches(1000)) == 1000 and len(snap.snapshot_batches(1000)) == 16
    assert snap.snapshot_batches(5) == {1, 2, 3, 4, 5}          # fewer batches than snapshots


# -- the encoding, on weights made up in numpy ------------------------------------------

def _weights(table: np.ndarray, rng) -> ModelWeights:
    cell = CellWeights("simple_rnn", 3, rng.normal(size=(table.shape[1], 3)), rng.normal(size=(3, 3)),
                       rng.normal(size=3))
    return ModelWeights(table, True, [LayerWeights("rnn_1", "simple_rnn", 3, False, False, cell)],
                        rng.normal(size=(3, 4)), rng.normal(size=4))


def _recorded(tables: list[np.ndarray], tolerance: float):
    rng = np.random.default_rng(0)
    recorder = snap.SnapshotRecorder(total_samples=len(tables))
    truth = []
    for k, table in enumerate(tables):
        truth.append(_weights(table, rng))
        recorder.record(truth[-1], snap.SnapshotPoint(1, k + 1, k + 1))
    return recorder.finish(tolerance), truth


def _walk(rows=500, dim=8, steps=6, seed=1) -> list[np.ndarray]:
    """An embedding table trained as RowAdam does: each step moves some rows, by small and large amounts."""
    rng = np.random.default_rng(seed)
    tables = [rng.normal(size=(rows, dim)).astype(np.float32)]
    for _ in range(steps - 1):
        table = tables[-1].copy()
        used = rng.choice(rows, size=rows // 3, replace=False)
        table[used] += rng.normal(scale=rng.choice([0.003, 0.3], size=(len(used), 1)), size=(len(used), dim))
        tables.append(table.astype(np.float32))
    return tables


def test_the_last_snapshot_is_the_final_model_and_the_others_stay_within_the_tolerance():
    tables = _walk()
    found, truth = _recorded(tables, snap.TOLERANCE)
    final = truth[-1]
    last, _ = found.weights(final, len(found) - 1)
    np.testing.assert_array_equal(last.embedding, final.embedding)
    np.testing.assert_allclose(last.classifier_kernel, final.classifier_kernel, rtol=1e-3, atol=1e-3)
    assert found.tolerance == pytest.approx(snap.TOLERANCE * tables[-1].std())
    for k, true in enumerate(truth):
        rebuilt, _ = found.weights(final, k)
        float16 = np.abs(true.embedding) * 2 ** -10          # the recorded rows' rounding
        assert np.all(np.abs(rebuilt.embedding - true.embedding) <= found.tolerance + float16 + 1e-6), k
        np.testing.assert_allclose(rebuilt.layers[0].forward.kernel, true.layers[0].forward.kernel, rtol=1e-3)
    # Rows that moved only a little are not stored: fewer rows than changed.
    changed = sum(int((a != b).any(axis=1).sum()) for a, b in zip(tables, tables[1:]))
    assert 0 < sum(len(r) for r in found.rows) < changed


def test_only_a_texts_rows_are_rebuilt_and_they_equal_the_whole_tables():
    found, truth = _recorded(_walk(), snap.TOLERANCE)
    ids = np.array([[5, 17, 5], [499, 0, 17]])
    found.rows[1], found.steps[1], found.scales[1] = (a[:0] for a in (found.rows[1], found.steps[1], found.scales[1]))
    for k in range(len(found)):           # (a step where no row moved more than the tolerance)
        whole, _ = found.weights(truth[-1], k)
        part, local = found.weights(truth[-1], k, ids)
        assert len(part.embedding) == 4
        np.testing.assert_array_equal(part.embedding[local], whole.embedding[ids])


def test_snapshots_survive_the_file(tmp_path):
    found, truth = _recorded(_walk(), snap.TOLERANCE)
    snap.save(found, tmp_path / snap.FILE)
    loaded = snap.load(tmp_path / snap.FILE)
    assert loaded.points == found.points and loaded.tolerance == found.tolerance
    for k in range(len(found)):
        np.testing.assert_array_equal(loaded.weights(truth[-1], k)[0].embedding, found.weights(truth[-1], k)[0].embedding)
    assert snap.load(tmp_path / "missing.npz") is None
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(snap.SnapshotError, match="bad.npz cannot be read"):
        snap.load(tmp_path / "bad.npz")


# -- a real (tiny) training -----------------------------------------------------------------

def test_a_training_keeps_small_snapshots_and_its_run_saves_them(make_run, run_store):
    run = make_run()
    found = run_store.snapshots(run.run_id)
    batches = -(-run.metrics["train_rows"] // run.config.batch_size)
    assert len(found) == len(snap.snapshot_batches(batches))
    samples = [p.samples for p in found.points]
    assert samples == sorted(samples) and samples[-1] == run.metrics["samples_seen"] == found.total_samples
    size = (run.path / snap.FILE).stat().st_size
    assert size < 100_000, size                      # a 2,000 x 8 table, 8 units, 13 snapshots
    assert 0 < run.metrics["snapshot_seconds"] < run.metrics["train_seconds"]
    final = extract_model_weights(run.model)
    last, _ = found.weights(final, len(found) - 1)
    np.testing.assert_array_equal(last.embedding, final.embedding)
    for got, want in zip(snap.small_arrays(last).values(), snap.small_arrays(final).values()):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)
    first, _ = found.weights(final, 0)
    assert not np.allclose(first.embedding, final.embedding)        # training moved the table


def test_a_stopped_training_ends_with_a_snapshot_of_where_it_stopped():
    import threading

    from rnnlab.config import RunConfig
    from rnnlab.progress import TrainingCallback
    from rnnlab.training import train

    stop = threading.Event()

    class StopAfterThree(TrainingCallback):
        def on_batch_end(self, p):
            if p.batch == 3:
                stop.set()

    result = train(RunConfig(train_size=400, units=8, embed_dim=8, vocab_size=2000, text="title", batch_size=16),
                   callbacks=[StopAfterThree()], stop=stop)
    assert [p.samples for p in result.snapshots.points] == [32, 48]     # batch 2 (of 25), then where it stopped


def test_the_replay_at_the_end_reads_as_the_trace(make_run, tracer_of):
    from rnnlab.analysis.replay import replay, replay_index

    tracer = tracer_of(make_run())
    index = replay_index(tracer)
    trace = tracer.trace(HEADLINE, integrated_gradients=False, projection=False)
    end = replay(tracer, HEADLINE, index.count - 1)
    assert index.complete and [t.token for t in end.tokens] == [t.token for t in trace.tokens]
    np.testing.assert_allclose(end.probabilities, trace.probabilities, atol=2e-3)
    np.testing.assert_allclose(end.prefix_probabilities, trace.prefix_probabilities, atol=2e-3)
    np.testing.assert_allclose(end.occlusion, trace.attributions["occlusion"], atol=4e-3)
    np.testing.assert_allclose(end.layers[0].hidden, trace.layers[0].hidden, atol=2e-3)
    start = replay(tracer, HEADLINE, 0)
    assert np.abs(start.probabilities - end.probabilities).max() > 3e-3      # it learned meanwhile (a little: 400 texts)
    with pytest.raises(TraceError, match="from 0 to"):
        replay(tracer, HEADLINE, index.count)


def test_an_older_run_without_snapshots_loads_and_has_no_replay(make_run, run_store, tmp_path):
    from rnnlab.analysis.replay import replay, replay_index
    from rnnlab.analysis.trace import Tracer
    from rnnlab.runs import RunStore

    run = make_run()
    store = RunStore(tmp_path)
    shutil.copytree(run.path, store.path("older-run"))
    (store.path("older-run") / snap.FILE).unlink()
    assert store.info("older-run").ok and store.snapshots("older-run") is None
    tracer = Tracer(store.load("older-run"), store)
    assert replay_index(tracer) is None
    with pytest.raises(TraceError, match="no snapshots"):
        replay(tracer, HEADLINE, 0)
    (store.path("older-run") / snap.FILE).write_bytes(b"\x00" * 10)
    with pytest.raises(RunStoreError, match="snapshots.npz cannot be read"):
        store.snapshots("older-run")


def _library_entries():
    from test_nasty_inputs import entries
    return entries("library")


@pytest.mark.parametrize("entry", _library_entries())
def test_nasty_text_replays_or_gets_a_clear_message(make_run, tracer_of, entry):
    from rnnlab.analysis.replay import replay
    from rnnlab.errors import InputError

    tracer = tracer_of(make_run())
    if entry["expect"] == "error":
        with pytest.raises(InputError) as info:
            replay(tracer, entry["input"], 0)
        assert "\n" not in str(info.value) and len(str(info.value)) < 200
        return
    found = replay(tracer, entry["input"], 0)
    assert found.tokens and abs(float(found.probabilities.sum()) - 1.0) < 1e-4
    assert np.isfinite(found.prefix_probabilities).all() and np.isfinite(found.occlusion).all()
    assert found.layers[0].hidden.shape[0] == len(found.tokens)
