import json
import os

import pytest

from rnnlab.runs import RunStore, RunStoreError, check_run_id


@pytest.fixture
def store(tmp_path, make_run, run_store):
    """A private store holding one copy of a tiny trained run."""
    run = make_run()
    own = RunStore(tmp_path / "store")
    own.save(run.run_id, run.model, run.config, run.history, run.metrics)
    return own, run


def test_round_trip(store):
    own, run = store
    loaded = own.load(run.run_id)
    assert loaded.config == run.config
    assert loaded.metrics["test_accuracy"] == run.metrics["test_accuracy"]
    import tensorflow as tf
    x = tf.constant([["Stocks rally as oil prices fall"]])
    assert (loaded.model(x).numpy() == run.model(x).numpy()).all()
    assert [r.run_id for r in own.list()] == [run.run_id]


def test_save_replaces_an_existing_run_and_leaves_no_temp_folders(store):
    own, run = store
    own.save(run.run_id, run.model, run.config, run.history, {"test_accuracy": 0.5})
    assert own.load(run.run_id).metrics == {"test_accuracy": 0.5}
    assert sorted(p.name for p in own.root.iterdir()) == [run.run_id]


@pytest.mark.parametrize("damage, expected", [
    (lambda p: (p / "model.keras").write_bytes((p / "model.keras").read_bytes()[:500]), "model.keras"),
    (lambda p: (p / "config.json").write_text("{broken"), "config.json"),
    (lambda p: (p / "metrics.json").write_text("[1,"), "metrics"),
    (lambda p: os.remove(p / "history.json"), "history.json"),
    (lambda p: (p / "config.json").write_text(json.dumps({"cell": "transformer"})), "config.json"),
])
def test_damaged_runs_are_reported_not_crashing(store, make_run, damage, expected):
    own, run = store
    other = make_run(cell="lstm")
    own.save(other.run_id, other.model, other.config, other.history, other.metrics)
    damage(own.path(run.run_id))
    infos = {r.run_id: r for r in own.list()}
    with pytest.raises(RunStoreError, match="damaged"):
        own.load(run.run_id)
    if expected != "model.keras":   # a truncated zip is found only when loading
        assert expected in infos[run.run_id].damaged
    assert infos[other.run_id].ok
    assert own.load(other.run_id).config == other.config
    own.delete(run.run_id)
    assert [r.run_id for r in own.list()] == [other.run_id]


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "..", "a/b", "A-UPPER", "", "x" * 81,
                                 "run\x00id", ".hidden"])
def test_run_ids_outside_the_store_are_rejected(tmp_path, bad):
    own = RunStore(tmp_path)
    with pytest.raises(RunStoreError, match="invalid run id"):
        own.load(bad)
    with pytest.raises(RunStoreError):
        check_run_id(bad)


def test_half_written_runs_are_invisible(tmp_path, store):
    own, run = store
    (own.root / f".tmp-{run.run_id}-dead").mkdir()
    (own.root / "half").mkdir()
    (own.root / "half" / "model.keras").write_bytes(b"PK")
    infos = {r.run_id: r for r in own.list()}
    assert ".tmp-" not in "".join(infos)
    assert not infos["half"].ok and "missing" in infos["half"].damaged
    assert own.clean_leftovers() == 1
    with pytest.raises(RunStoreError, match="no run"):
        own.load("nothing-here")
