"""Issue 16 through the pages (AppTest): one bad run never takes a page down, and what
the Train page offers for it (delete) works. The library side of each finding is tested
in test_runs.py, test_trace.py, test_training.py, test_jobs.py and test_cli.py."""
from __future__ import annotations

import errno
import json
import os

import pytest

from rnnlab.runs import RunStore
from app_testing import all_text, open_page


@pytest.fixture
def store(tmp_path, make_run, monkeypatch):
    """A private store with a whole GRU run and a second (LSTM) run to damage."""
    store = RunStore(tmp_path / "runs")
    for run in (make_run(), make_run(cell="lstm")):
        store.save(run.run_id, run.model, run.config, run.history, run.metrics)
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(store.root))
    return store, make_run().run_id, make_run(cell="lstm").run_id


def _edit_metrics(path, **changes):
    metrics = json.loads(path.read_text())
    metrics.update(changes)
    path.write_text(json.dumps(metrics))


DAMAGE = {
    "metrics-list": lambda p: (p / "metrics.json").write_text("[1,2,3]"),
    "accuracy-text": lambda p: _edit_metrics(p / "metrics.json", test_accuracy="abc"),
    "per-class-list": lambda p: _edit_metrics(p / "metrics.json", per_class=[1, 2]),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_one_bad_run_file_takes_no_page_down(store, damage):
    """Finding 2 (issue 16): metrics.json = [1,2,3] crashed Train, Explore and Compare even
    with another run selected; a text accuracy crashed Train; per_class as a list crashed
    Train when that run was picked. The run is now listed as damaged, with the reason."""
    own, good, bad = store
    DAMAGE[damage](own.path(bad))
    for page, query in (("train", {}), ("explore", {"run": good, "headline": "Oil prices soar"}),
                        ("compare", {"runs": f"{good},{bad}"}), ("home", {})):
        at = open_page(page, query)
        assert not at.exception, (page, [e.value for e in at.exception])
    at = open_page("train", teacher=True)
    at.selectbox(key="train_pick").set_value(bad).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value.replace("\\", "") for e in at.error]          # Markdown escapes off
    assert any(f"Run {bad} is damaged (metrics.json" in e for e in errors), errors
    at.button(key="delete-run").click().run()
    assert not at.exception and not own.exists(bad)


def test_a_history_of_the_wrong_type_gives_a_message_when_picked(store):
    """Finding 2 (issue 16): history.json holding a JSON string crashed Train when that run
    was picked (its details read the history)."""
    own, good, bad = store
    (own.path(bad) / "history.json").write_text('"just a string"')
    at = open_page("train")
    at.selectbox(key="train_pick").set_value(bad).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("history.json" in e.value.replace("\\", "") for e in at.error), all_text(at)


@pytest.mark.parametrize("error", [errno.EROFS, errno.EACCES])
def test_delete_on_a_read_only_store_says_so(store, monkeypatch, error):
    """Finding 6 (issue 16): Delete on a read-only store (or without permission) showed an
    uncaught OSError traceback on Train."""
    own, good, bad = store
    at = open_page("train", teacher=True)
    at.selectbox(key="train_pick").set_value(bad).run()

    def refuse(src, dst):
        raise OSError(error, os.strerror(error))
    monkeypatch.setattr(os, "rename", refuse)
    at.button(key="delete-run").click().run()
    monkeypatch.undo()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value.replace("\\", "") for e in at.error]
    assert any("cannot delete run" in e and os.strerror(error) in e for e in errors), errors
    assert own.info(bad).ok


def test_a_badly_named_folder_can_be_deleted_from_the_page(store):
    """Finding 10 (issue 16): a folder with a bad name was listed as damaged ("delete it"),
    but deleting it failed."""
    own, good, bad = store
    (own.root / "Not A Run").mkdir()
    at = open_page("train", teacher=True)
    at.selectbox(key="train_pick").set_value("Not A Run").run()
    assert any("not a valid run id" in e.value for e in at.error), all_text(at)
    at.button(key="delete-run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not (own.root / "Not A Run").exists()
    assert any("was deleted" in s.value for s in at.success)


def test_the_first_explore_visit_loads_the_run_once(store):
    """Finding 10 (issue 16): writing pca.json changed the run folder's mtime, the run
    cache's key, so the first Explore visit loaded the run twice (and the cache held half
    as many runs). The compute worker counts its loads."""
    from rnnlab_app import resources
    own, good, bad = store
    (own.path(good) / "pca.json").unlink(missing_ok=True)
    before = resources.call("loads", resources.runs_root(), good)
    at = open_page("explore", {"run": good, "headline": "Oil prices soar as stocks fall", "panel": "path"})
    assert not at.exception, [e.value for e in at.exception]
    assert (own.path(good) / "pca.json").is_file(), "the visit should have fitted the PCA basis"
    at.text_input(key="explore_headline").input("Stocks fall as oil prices soar again").run()
    assert not at.exception
    assert resources.call("loads", resources.runs_root(), good) == before + 1
