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


# -- issue 16, finding 9: predict --file streams, and foreign models -------------------------

@pytest.fixture
def stored_run(make_run, run_store, monkeypatch):
    run = make_run()
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    return run


def _one_line_error(code, out, err, message):
    assert code == 2 and out == "", (out[:500], err[-2000:])
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnlab: error:") and message in lines[0], err[-2000:]


def test_predict_file_refuses_dev_zero_at_once(stored_run, capsys):
    """Finding 9 (issue 16): `predict --file /dev/zero` read everything into memory (6 GB)."""
    import time
    start = time.monotonic()
    _one_line_error(*run_cli(capsys, "predict", stored_run.run_id, "--file", "/dev/zero"), "NUL bytes")
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("content, message", [
    (b"Stocks rally\n" + b"x" * 20_001 + b"\nRed Sox win\n", "line 2: longer than 20,000 characters"),
    (b"y" * 30_000_000, "line 1: longer than 20,000 characters"),
    (b"\x89PNG\r\n\x1a\n\xff\xfe\xfd binary", "not a UTF-8 text file"),
    (b"\n  \n", "holds no text"),
], ids=["long-line", "30-mb-without-newline", "binary", "blank"])
def test_predict_file_refuses_what_is_not_one_text_per_line(stored_run, tmp_path, capsys, content, message):
    """Finding 9 (issue 16): a 200 MB file took 11.9 GB and 270 s; lines now have a limit."""
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    _one_line_error(*run_cli(capsys, "predict", stored_run.run_id, "--file", str(path)), message)


def test_predict_file_refuses_a_folder(stored_run, tmp_path, capsys):
    """Finding 9 (issue 16): what is not a text file gets a clear message."""
    _one_line_error(*run_cli(capsys, "predict", stored_run.run_id, "--file", str(tmp_path)), "is a folder")


def test_predict_file_streams_in_batches(stored_run, tmp_path, capsys, monkeypatch):
    """Finding 9 (issue 16): the file is read and predicted a batch at a time, never whole."""
    from rnnlab import cli
    from rnnlab.inference import Predictor
    sizes = []
    predict = Predictor.predict
    monkeypatch.setattr(Predictor, "predict", lambda self, texts: (sizes.append(len(texts)), predict(self, texts))[1])
    path = tmp_path / "many.txt"
    path.write_text("".join(f"Headline number {i} about oil prices\n" for i in range(1100)), encoding="utf-8")
    code, out, err = run_cli(capsys, "predict", stored_run.run_id, "--file", str(path), "--json")
    assert code == 0, err
    results = json.loads(out)
    assert [r["text"] for r in results] == [f"Headline number {i} about oil prices" for i in range(1100)]
    assert sizes == [cli.PREDICT_BATCH, cli.PREDICT_BATCH, 1100 - 2 * cli.PREDICT_BATCH]


def test_predict_file_from_a_fifo_with_and_without_a_writer(stored_run, tmp_path):
    """Finding 9 (issue 16): a FIFO with no writer blocked silently for good; now it waits
    a little (here 1 s), then says so. A FIFO with a writer is read as a file."""
    import os
    import threading
    fifo = tmp_path / "texts.fifo"
    os.mkfifo(fifo)
    script = ("import sys, rnnlab.text_file as t; t.FIFO_WAIT_S = 1.0; from rnnlab.cli import main; "
              "raise SystemExit(main(sys.argv[1:]))")
    command = [sys.executable, "-c", script, "predict", stored_run.run_id, "--file", str(fifo), "--json"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]          # TensorFlow logs its start-up before
    assert last.startswith("rnnlab: error:") and "is a FIFO and nothing was written to it" in last

    def write():
        with open(fifo, "w", encoding="utf-8") as f:
            f.write("Stocks rally as oil prices fall\nRed Sox win\n")
    writer = threading.Thread(target=write)
    writer.start()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    writer.join(timeout=10)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [r["text"] for r in json.loads(proc.stdout)] == ["Stocks rally as oil prices fall", "Red Sox win"]


@pytest.mark.parametrize("command", ["predict", "trace"])
def test_a_foreign_keras_model_gives_a_message(make_run, tmp_path, monkeypatch, capsys, command):
    """Finding 9 (issue 16): a valid but foreign model.keras (a plain Sequential model)
    printed a raw ValueError traceback from `predict` and `trace`."""
    import keras

    from rnnlab.runs import RunStore
    run = make_run()
    store = RunStore(tmp_path)
    store.save(run.run_id, run.model, run.config, run.history, run.metrics)
    foreign = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="softmax")])
    foreign.save(store.path(run.run_id) / "model.keras")
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path))
    assert store.info(run.run_id).ok                       # a valid zip of sane size
    _one_line_error(*run_cli(capsys, command, run.run_id, "Stocks rally"), "not an RNN Lab model")
