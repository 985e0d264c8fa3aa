import json
import subprocess
import sys

import pytest

from rnnlab.cli import main


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path))
    return tmp_path


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_data_json_prints_only_json_on_stdout():
    proc = subprocess.run([sys.executable, "-m", "rnnlab", "data", "--json"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["train"] == 46432 and info["test"] == 7600
    assert info["classes"] == ["World", "Sports", "Business", "Sci/Tech"]
    assert "RNNLAB_DATA_DIR" in info["source"]


def test_train_runs_predict_eval(runs_dir, capsys):
    code, out, err = run_cli(capsys, "train", "--preset", "quick", "--train-size", "400", "--units", "8",
                             "--cell", "lstm", "--no-masking", "--epochs", "1", "--json")
    assert code == 0, err
    trained = json.loads(out)
    assert trained["config"]["cell"] == "lstm" and trained["config"]["masking"] is False
    assert trained["config"]["units"] == 8 and trained["config"]["train_size"] == 400
    assert 0 <= trained["test_accuracy"] <= 1 and trained["samples_per_second"] > 0
    assert "epoch 1/1" in err          # the progress bar goes to stderr
    run_id = trained["run_id"]

    code, out, _ = run_cli(capsys, "runs", "--json")
    assert [r["run_id"] for r in json.loads(out)] == [run_id]

    code, out, _ = run_cli(capsys, "predict", run_id, "Stocks rally as oil prices fall", "Red Sox win", "--json")
    predictions = json.loads(out)
    assert [p["text"] for p in predictions] == ["Stocks rally as oil prices fall", "Red Sox win"]
    for p in predictions:
        assert len(p["probabilities"]) == 4 and abs(sum(p["probabilities"]) - 1) < 1e-4
        assert p["predicted_class"] in ("World", "Sports", "Business", "Sci/Tech")

    texts = runs_dir / "texts.txt"
    texts.write_text("Stocks rally as oil prices fall\n\nRed Sox win\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "predict", run_id, "--file", str(texts), "--json")
    assert json.loads(out) == predictions

    code, out, _ = run_cli(capsys, "eval", run_id, "--json")
    assert code == 0 and abs(json.loads(out)["accuracy"] - trained["test_accuracy"]) < 1e-9


@pytest.mark.parametrize("argv, message", [
    (["train", "--cell", "transformer"], "invalid choice"),
    (["train", "--units", "0"], "units must be from 1"),
    (["train", "--units", "many"], "invalid int value"),
    (["train", "--preset", "nope"], "invalid choice"),
    (["predict", "../../etc/passwd", "hello"], "invalid run id"),
    (["predict", "no-such-run", "hello"], "no run"),
    (["predict", "x"], "give at least one text"),
    (["predict", "x", "--file", "/nonexistent/file.txt"], "cannot read"),
    (["eval", "/etc/passwd"], "invalid run id"),
    (["bogus"], "invalid choice"),
])
def test_bad_input_gives_one_line_and_exit_code_2(runs_dir, capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnlab: error:") and message in lines[0], err


def test_predict_rejects_empty_text(monkeypatch, capsys, make_run, run_store):
    run = make_run()
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    code, out, err = run_cli(capsys, "predict", run.run_id, "   ")
    assert code == 2 and "empty" in err and out == ""


def test_zoo_trains_every_preset_once(monkeypatch, tmp_path, capsys):
    from rnnlab import cli
    from rnnlab.config import RunConfig
    tiny = RunConfig(train_size=400, units=8, embed_dim=8, vocab_size=2000, text="title")
    monkeypatch.setattr(cli, "PRESETS", {"a": tiny, "b": tiny.replace(cell="lstm")})
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path))
    code, out, err = run_cli(capsys, "zoo", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert [r["preset"] for r in first] == ["a", "b"] and all(r["trained"] for r in first)
    code, out, _ = run_cli(capsys, "zoo", "--json")
    again = json.loads(out)
    assert not any(r["trained"] for r in again)
    assert [r["test_accuracy"] for r in again] == [r["test_accuracy"] for r in first]


@pytest.mark.parametrize("budget", ["-5", "0", "nan", "inf", "soon"])
def test_a_time_budget_must_be_a_positive_finite_number(runs_dir, capsys, budget):
    """Finding 4 (issue 16): `train --time-budget -5` was accepted and saved an untrained run
    under its full id; `--time-budget nan` was silently ignored."""
    code, out, err = run_cli(capsys, "train", "--train-size", "400", "--units", "8", f"--time-budget={budget}")
    assert code == 2 and out == "" and "must be a positive number of seconds" in err, err
    assert list(runs_dir.iterdir()) == []


def test_a_training_stopped_by_its_budget_is_saved_beside_the_full_run_id(runs_dir, capsys):
    """Finding 4 (issue 16): a stopped training is never saved under its config's run id,
    which the queue would reuse and `zoo` keep for good."""
    from rnnlab.runs import RunStore
    code, out, err = run_cli(capsys, "train", "--train-size", "400", "--units", "8", "--embed-dim", "8",
                             "--vocab-size", "2000", "--epochs", "3", "--time-budget", "1e-9", "--json")
    assert code == 0, err
    result = json.loads(out)
    full_id = result["run_id"].removesuffix("-partial")
    assert result["stopped_early"] and result["run_id"] == full_id + "-partial"
    store = RunStore(runs_dir)
    assert [r.run_id for r in store.list()] == [result["run_id"]] and not store.exists(full_id)


def test_zoo_retrains_a_stopped_run_stored_under_its_full_id(monkeypatch, tmp_path, capsys, make_run):
    """Finding 4 (issue 16): `zoo` kept a stopped (untrained) run stored under a preset's id."""
    from rnnlab import cli
    from rnnlab.runs import RunStore
    run = make_run()
    monkeypatch.setattr(cli, "PRESETS", {"a": run.config})
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path))
    RunStore(tmp_path).save(run.run_id, run.model, run.config, run.history,
                            {**run.metrics, "stopped_early": True, "samples_seen": 0, "test_accuracy": 0.27})
    code, out, err = run_cli(capsys, "zoo", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["trained"] is True
    assert not RunStore(tmp_path).info(run.run_id).metrics["stopped_early"]
