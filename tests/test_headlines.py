"""Labelled headlines files: strict reading, scoring, ``eval --headlines`` and the runs' dev score."""
import json

import numpy as np
import pytest

from rnnlab import headlines
from rnnlab.cli import main
from rnnlab.headlines import HeadlinesError, read_headlines, score
from rnnlab.inference import Predictor

GOOD = ('label,headline,source\n'
        '2,"Even By LeBron James\' Standards, This Move Was Mind-Blowing",huffpost\n'
        '\n'
        '3,Oil prices have soared. Why won\u2019t Opec bring them down?,bbc\n'
        '1,"EU summit: ""Don\'t mention"" the ban",bbc\n'
        '4,"Apple unveils a phone\nwith a folding screen",bbc\n')


def write(tmp_path, content, name="h.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_reads_quoted_fields_blank_lines_and_multiline_headlines(tmp_path):
    read = read_headlines(write(tmp_path, GOOD))
    assert read.texts == ["Even By LeBron James' Standards, This Move Was Mind-Blowing",
                          "Oil prices have soared. Why won\u2019t Opec bring them down?",
                          'EU summit: "Don\'t mention" the ban', "Apple unveils a phone\nwith a folding screen"]
    assert read.labels.tolist() == [1, 2, 0, 3]


def test_columns_may_come_in_any_order_and_source_is_optional(tmp_path):
    read = read_headlines(write(tmp_path, "\ufeffHeadline,Label\nRed Sox win,2\n"))
    assert read.texts == ["Red Sox win"] and read.labels.tolist() == [1]


@pytest.mark.parametrize("content, where, says", [
    ("", "h.csv, line 1", "empty"),
    ("label,headline,source\n", "h.csv, line 2", "no headlines"),
    ("label,headline,source\n\n\n", "h.csv, line 2", "no headlines"),
    ("label,title,source\n1,Red Sox win,x\n", "h.csv, line 1", "no headline column"),
    ("headline\nRed Sox win\n", "h.csv, line 1", "no label column"),
    ("label,headline,source\n1,a,x\n5,Red Sox win,x\n", "h.csv, line 3", "label must be 1..4"),
    ("label,headline,source\n1,a,x\nSports,Red Sox win,x\n", "h.csv, line 3", "'Sports'"),
    ("label,headline,source\n1,a,x\n0,Red Sox win,x\n", "h.csv, line 3", "label must be 1..4"),
    ("label,headline,source\n1,a,x\n2,  ,x\n", "h.csv, line 3", "headline is empty"),
    ("label,headline,source\n1,a,x\n2,Red Sox win\n", "h.csv, line 3", "2 fields"),
    ("label,headline,source\n1,a,x\n2,Red Sox win,x,y\n", "h.csv, line 3", "4 fields"),
    (b"label,headline,source\n1,a,x\n2,Caf\xe9 win,x\n", "h.csv, line 3", "not UTF-8"),
    ('label,headline,source\n1,a,x\n2,"Red Sox win,x\n', "h.csv, line 3", "not valid CSV"),
    ('label,headline,source\n1,a,x\n2,"Red" Sox win,x\n', "h.csv, line 3", "not valid CSV"),
    (b"\xff\xfel\x00a\x00b\x00", "h.csv, line 1", "not UTF-8"),
])
def test_a_malformed_file_names_the_file_and_line(tmp_path, content, where, says):
    with pytest.raises(HeadlinesError) as info:
        read_headlines(write(tmp_path, content))
    message = str(info.value).replace(str(tmp_path) + "/", "")
    assert message.startswith(where) and says in message and "\n" not in message


def test_a_missing_file_or_a_folder_is_an_error(tmp_path):
    with pytest.raises(HeadlinesError, match="cannot be read"):
        read_headlines(tmp_path / "absent.csv")
    with pytest.raises(HeadlinesError, match="is a folder"):
        read_headlines(tmp_path)


def test_score_counts_a_confusion_matrix_with_true_classes_as_rows(tmp_path):
    read = read_headlines(write(tmp_path, GOOD))            # true: Sports, Business, World, Sci/Tech
    probs = np.eye(4)[[1, 1, 0, 2]]                         # predicted: Sports, Sports, World, Business
    result = score(read, probs)
    assert result.rows == 4 and result.accuracy == 0.5
    assert result.recall == {"World": 1.0, "Sports": 1.0, "Business": 0.0, "Sci/Tech": 0.0}
    assert result.confusion == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    assert result.metrics() == {"headlines_dev_accuracy": 0.5, "headlines_dev_rows": 4,
                                "headlines_dev_recall": result.recall}


def test_default_path_follows_the_environment_and_is_none_without_a_file(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    monkeypatch.setenv(headlines.HEADLINES_ENV, str(path))
    assert headlines.default_headlines_path() == path
    monkeypatch.setenv(headlines.HEADLINES_ENV, str(tmp_path / "absent.csv"))
    assert headlines.default_headlines_path() is None


# -- the command line -------------------------------------------------------------------

@pytest.mark.parametrize("content, where", [
    ("label,headline\n1,a\n7,b\n", "line 3"), (b"label,headline\n1,\xff\n", "line 2"), ("", "line 1: the file is empty")])
def test_eval_headlines_rejects_a_bad_file_in_one_line_before_loading_a_run(tmp_path, capsys, content, where):
    path = write(tmp_path, content)
    code = main(["eval", "no-such-run", "--headlines", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith(f"rnnlab: error: {path}") and where in err and err.count("\n") == 1


def test_eval_headlines_reports_accuracy_recall_and_confusion(make_run, run_store, tmp_path, monkeypatch, capsys):
    run = make_run()
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    path = write(tmp_path, GOOD)
    assert main(["eval", run.run_id, "--headlines", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    predicted = Predictor(run.model).probabilities(read_headlines(path).texts).argmax(axis=1)
    expected = np.zeros((4, 4), dtype=int)
    np.add.at(expected, ([1, 2, 0, 3], predicted), 1)
    assert report["confusion_matrix"] == expected.tolist() and report["rows"] == 4
    assert report["accuracy"] == np.trace(expected) / 4 and report["file"] == str(path)
    assert set(report["recall"]) == {"World", "Sports", "Business", "Sci/Tech"}

    assert main(["eval", run.run_id, "--headlines", str(path)]) == 0
    text = capsys.readouterr().out
    assert f"on 4 headlines from {path}" in text and "Sci/Tech   recall" in text and "confusion matrix" in text


# -- the score every run records ----------------------------------------------------------

def test_a_run_records_its_score_on_the_real_dev_headlines(make_run, run_store, monkeypatch, capsys):
    monkeypatch.delenv(headlines.HEADLINES_ENV, raising=False)
    dev = headlines.default_headlines_path()
    if dev is None:
        pytest.skip("the shared development headlines are not beside this checkout")
    run = make_run()
    assert run.metrics["headlines_dev_rows"] == 200
    assert set(run.metrics["headlines_dev_recall"]) == {"World", "Sports", "Business", "Sci/Tech"}
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    assert main(["eval", run.run_id, "--headlines", str(dev), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"] == pytest.approx(run.metrics["headlines_dev_accuracy"], abs=1e-9)
    assert report["recall"] == pytest.approx(run.metrics["headlines_dev_recall"], abs=1e-9)


def test_the_dev_score_is_skipped_without_a_file_and_kept_as_a_message_when_damaged(make_run, tmp_path,
                                                                                       monkeypatch):
    from rnnlab.evaluation import headlines_dev_metrics
    model = make_run().model
    monkeypatch.setenv(headlines.HEADLINES_ENV, str(tmp_path / "absent.csv"))
    assert headlines_dev_metrics(model) == {}
    monkeypatch.setenv(headlines.HEADLINES_ENV, str(write(tmp_path, "label,headline\n9,x\n")))
    assert "line 2" in headlines_dev_metrics(model)["headlines_dev_error"]
    monkeypatch.setenv(headlines.HEADLINES_ENV, str(write(tmp_path, GOOD)))
    assert headlines_dev_metrics(model)["headlines_dev_rows"] == 4


@pytest.mark.parametrize("entry, says", [
    ({"headlines_dev_accuracy": 1.5}, "headlines_dev_accuracy"),
    ({"headlines_dev_recall": {"World": "high"}}, "headlines_dev_recall"),
    ({"headlines_dev_recall": {"Weather": 0.5}}, "headlines_dev_recall"),
    ({"headlines_dev_rows": -1}, "headlines_dev_rows"),
    ({"headlines_dev_error": 3}, "headlines_dev_error"),
])
def test_a_run_with_a_damaged_dev_score_is_reported_as_damaged(entry, says):
    from rnnlab.run_checks import metrics_problem
    good = {"test_accuracy": 0.5, "headlines_dev_accuracy": 0.5, "headlines_dev_rows": 4,
            "headlines_dev_recall": {"World": 1.0, "Sports": 0.0, "Business": 0.5, "Sci/Tech": 0.5}}
    assert metrics_problem(good) == ""
    assert says in metrics_problem({**good, **entry})
