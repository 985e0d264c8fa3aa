import json
import os

import pytest

from rnnlab.runs import RunStore, RunStoreError, check_run_id, write_run_file_atomically


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


# -- issue 16: what a hostile tester broke ------------------------------------------------

def _other_run(own, make_run):
    other = make_run(cell="lstm")
    own.save(other.run_id, other.model, other.config, other.history, other.metrics)
    return other


def _edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("damage, reason", [
    (lambda p: (p / "metrics.json").write_text("[1,2,3]"), "metrics.json must hold an object"),
    (lambda p: _edit_json(p / "metrics.json", lambda m: m.update(test_accuracy="abc")), "test_accuracy"),
    (lambda p: _edit_json(p / "metrics.json", lambda m: m.update(test_accuracy=float("nan"))), "test_accuracy"),
    (lambda p: _edit_json(p / "metrics.json", lambda m: m.update(per_class=[1, 2])), "per_class"),
    (lambda p: _edit_json(p / "metrics.json", lambda m: m.update(confusion_matrix=[[1]])), "confusion_matrix"),
    (lambda p: _edit_json(p / "metrics.json", lambda m: m.update(misclassified="x")), "misclassified"),
    (lambda p: _edit_json(p / "metrics.json", lambda m: m.update(stopped_early="no")), "stopped_early"),
    (lambda p: (p / "metrics.json").write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    (lambda p: (p / "config.json").write_text("[1,2,3]"), "config.json"),
    (lambda p: (p / "config.json").write_text("{" * 100_000), "config.json"),
])
def test_files_of_the_wrong_type_or_shape_make_a_run_damaged(store, make_run, damage, reason):
    """Finding 2 (issue 16): RunStore.info() only checked that the JSON parsed, so one run's
    metrics.json = [1,2,3] (or a text accuracy, per_class as a list) crashed every page."""
    own, run = store
    other = _other_run(own, make_run)
    damage(own.path(run.run_id))
    infos = {r.run_id: r for r in own.list()}
    assert reason in infos[run.run_id].damaged, infos[run.run_id].damaged
    assert infos[run.run_id].metrics == {}, "a damaged run hands out no metrics to trip over"
    assert infos[other.run_id].ok
    with pytest.raises(RunStoreError, match="damaged"):
        own.load(run.run_id)
    own.delete(run.run_id)
    assert [r.run_id for r in own.list()] == [other.run_id]


@pytest.mark.parametrize("history", ['"a string"', "[1, 2]", '{"batches": [{"samples": "many"}]}',
                                     '{"epochs": {"1": 2}}'])
def test_a_history_of_the_wrong_shape_is_refused_when_read(store, history):
    """Finding 2 (issue 16): history.json as a JSON string crashed the Train page when
    that run was picked; the library now refuses it with a message."""
    own, run = store
    (own.path(run.run_id) / "history.json").write_text(history)
    with pytest.raises(RunStoreError, match="history.json"):
        own.history(run.run_id)
    with pytest.raises(RunStoreError, match="history.json"):
        own.load(run.run_id)


def _zip_with(path, members):
    import zipfile
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, size in members:
            with archive.open(name, "w", force_zip64=True) as f:
                for _ in range(size // (1 << 20)):
                    f.write(bytes(1 << 20))


def test_a_zip_bomb_model_is_damaged_without_unpacking(store):
    """Finding 8 (issue 16): a 2 MB model.keras whose config.json unpacks to 2 GB took
    4.75 GB of memory before failing, and the run was listed as whole until opened. The
    declared sizes are now checked (here a config.json of 20 MB, above the 16 MB limit)."""
    import time
    own, run = store
    model = own.path(run.run_id) / "model.keras"
    _zip_with(model, [("metadata.json", 0), ("config.json", 20 << 20), ("model.weights.h5", 0)])
    assert model.stat().st_size < 1 << 20
    start = time.monotonic()
    info = own.info(run.run_id)
    assert "config.json" in info.damaged and "unpacks to 20.0 MB" in info.damaged, info.damaged
    with pytest.raises(RunStoreError, match="unpacks to"):
        own.load(run.run_id)
    assert time.monotonic() - start < 5


def test_a_real_model_is_well_within_the_zip_limits(store):
    """Finding 8 (issue 16): the limits sit far above a real run's model."""
    import zipfile

    from rnnlab import run_checks
    own, run = store
    with zipfile.ZipFile(own.path(run.run_id) / "model.keras") as archive:
        sizes = {m.filename: m.file_size for m in archive.infolist()}
    assert sizes["config.json"] * 100 < run_checks.MAX_MODEL_MEMBER_BYTES["config.json"]
    assert own.info(run.run_id).ok


@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied"),
                                   OSError(30, "Read-only file system")])
def test_delete_on_a_read_only_store_gives_a_message(store, monkeypatch, error):
    """Finding 6 (issue 16): a delete on a read-only store (or without permission) raised
    an uncaught OSError on the Train page, which catches RunStoreError."""
    own, run = store

    def refuse(src, dst):
        raise error
    monkeypatch.setattr(os, "rename", refuse)
    with pytest.raises(RunStoreError, match=f"cannot delete run .*{error.strerror}"):
        own.delete(run.run_id)
    monkeypatch.undo()
    assert own.info(run.run_id).ok


def test_two_people_deleting_at_once_get_a_message(store, monkeypatch):
    """Finding 6 (issue 16): the second of two simultaneous deletes raised FileNotFoundError."""
    own, run = store
    rename = os.rename

    def the_other_person_was_first(src, dst):
        rename(src, f"{dst}-other")       # the other delete moves the run aside first
        rename(src, dst)                  # so ours finds nothing
    monkeypatch.setattr(os, "rename", the_other_person_was_first)
    with pytest.raises(RunStoreError, match="no run"):
        own.delete(run.run_id)
    monkeypatch.undo()
    assert not own.exists(run.run_id)


def test_the_runs_list_does_not_parse_histories(store, monkeypatch):
    """Finding 10 (issue 16): every page parsed every run's history.json to list the runs,
    so one 96 MB history made every page slow."""
    own, run = store
    parsed = []
    load = json.load
    monkeypatch.setattr(json, "load", lambda f, **kw: (parsed.append(os.path.basename(f.name)), load(f, **kw))[1])
    assert own.list()[0].ok
    assert "history.json" not in parsed and "metrics.json" in parsed


def test_an_oversized_history_is_damaged_by_its_size_alone(store):
    """Finding 10 (issue 16): a history far larger than any run writes marks the run damaged
    without being read (a real run's history is a few hundred kB at most)."""
    own, run = store
    with open(own.path(run.run_id) / "history.json", "w") as f:
        f.write('{"batches": [' + ",".join(['{"samples": 1, "loss": 1, "accuracy": 1, "epoch": 1}'] * 400_000)
                + "]}")
    assert "history.json is" in own.info(run.run_id).damaged and "MB" in own.info(run.run_id).damaged


def test_the_load_stamp_ignores_pca_json_but_not_a_new_save(store, monkeypatch):
    """Finding 10 (issue 16): the app's cache key was the folder's mtime, which writing
    pca.json changes, so the first Explore visit loaded every run twice."""
    from rnnlab_app import resources
    own, run = store
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(own.root))
    before = resources.run_key(run.run_id)
    (own.path(run.run_id) / "pca.json").write_text("{}")
    assert resources.run_key(run.run_id) == before
    own.save(run.run_id, run.model, run.config, run.history, run.metrics)
    assert resources.run_key(run.run_id) != before


def test_a_badly_named_folder_can_be_deleted(store):
    """Finding 10 (issue 16): a folder whose name is no run id was listed as damaged, but
    delete() refused its name, so the page's advice to delete it could not be followed."""
    own, run = store
    (own.root / "Bad Name").mkdir()
    (own.root / "Bad Name" / "model.keras").write_bytes(b"x")
    infos = {r.run_id: r for r in own.list()}
    assert "not a valid run id" in infos["Bad Name"].damaged
    own.delete("Bad Name")
    assert [r.run_id for r in own.list()] == [run.run_id]
    for outside in ("../x", "..", "a/b", "/etc", ".hidden"):
        with pytest.raises(RunStoreError):
            own.delete(outside)


def test_deleting_a_linked_run_leaves_no_trash(store, tmp_path):
    """Finding 10 (issue 16): deleting a run that is a symlink left a .trash- link behind
    (rmtree refuses links), and clean_leftovers() counted such links as removed."""
    import shutil
    own, run = store
    target = tmp_path / "elsewhere"
    shutil.move(own.path(run.run_id), target)
    own.path(run.run_id).symlink_to(target)
    assert own.info(run.run_id).ok
    own.delete(run.run_id)
    assert list(own.root.iterdir()) == []
    assert (target / "model.keras").exists(), "only the link goes, never what it points to"
    (own.root / ".trash-old").symlink_to(target)
    assert own.clean_leftovers() == 1
    assert list(own.root.iterdir()) == [] and (target / "model.keras").exists()


def test_saving_cleans_old_leftovers_but_not_a_save_in_progress(store):
    """Finding 10 (issue 16): nothing called clean_leftovers(), so crashed saves stayed for
    good. Saving now removes leftovers older than an hour (younger ones may be another
    server's save in progress)."""
    import time
    own, run = store
    old, fresh = own.root / ".tmp-old-dead", own.root / ".tmp-fresh-busy"
    for path in (old, fresh):
        path.mkdir()
        (path / "model.keras").write_bytes(b"x")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    own.save(run.run_id, run.model, run.config, run.history, run.metrics)
    assert not old.exists() and fresh.exists()


@pytest.mark.parametrize("stopped, suffix", [(False, ""), (True, "-partial")])
def test_save_result_names_a_stopped_training_apart(tmp_path, make_run, stopped, suffix):
    """A training stopped early never takes the place of its config's run."""
    from types import SimpleNamespace
    run = make_run()
    own = RunStore(tmp_path)
    result = SimpleNamespace(config=run.config, model=run.model, history=run.history, metrics=run.metrics,
                             stopped_early=stopped)
    assert own.save_result(result) == run.config.run_id() + suffix
    assert [r.run_id for r in own.list()] == [run.config.run_id() + suffix]
    assert own.load(run.config.run_id() + suffix).config == run.config


def test_write_run_file_atomically_replaces_whole_and_leaves_no_temporary(tmp_path):
    assert write_run_file_atomically(tmp_path, "pca.json", b"old")
    assert write_run_file_atomically(tmp_path, "pca.json", b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["pca.json"] and (tmp_path / "pca.json").read_bytes() == b"new"
    # A run folder that cannot be written: False, and nothing is left behind.
    assert not write_run_file_atomically(tmp_path / "gone", "pca.json", b"x")
    assert not (tmp_path / "gone").exists()
