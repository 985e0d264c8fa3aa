"""rnnlab.data: strict CSV reading, source selection, validation split and subsets."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from rnnlab import data
from rnnlab.config import CLASS_NAMES, RunConfig
from rnnlab.data import DataError

GOOD_ROWS = b'"1","World title","World text"\n"2","Sports ""quoted""","x"\n"3","Biz","y"\n"4","Tech","z"\n'


@pytest.fixture(autouse=True)
def fresh_cache():
    data.clear_cache()
    yield
    data.clear_cache()


@pytest.fixture(scope="module")
def real():
    """The real data set, when this machine has one (conftest points at the shared copy)."""
    if not os.environ.get(data.ENV_VAR) and not data.REPO_DATA_DIR.is_dir():
        pytest.skip("no AG News data here: set RNNLAB_DATA_DIR")
    return data.load_ag_news()


def write_folder(folder: Path, train: bytes = GOOD_ROWS, test: bytes | None = GOOD_ROWS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.csv").write_bytes(train)
    if test is not None:
        (folder / "test.csv").write_bytes(test)
    return folder


def frame(counts) -> pd.DataFrame:
    """A synthetic split with ``counts[k]`` rows of label k."""
    labels = np.repeat(np.arange(len(counts)), counts)
    return pd.DataFrame({"label": labels, "title": [f"t{i}" for i in range(len(labels))],
                         "description": [f"d{i}" for i in range(len(labels))]})


# -- real data -------------------------------------------------------------------

def test_real_data_loads_with_expected_rows(real):
    assert len(real.test) == 7600
    assert len(real.train) in (46_432, 120_000)  # the shared partial copy, or the full split
    for df in (real.train, real.test):
        assert list(df.columns) == ["label", "title", "description"]
        assert df["label"].dtype == np.int64
        assert set(df["label"].unique()) == {0, 1, 2, 3}
    assert real.test["label"].value_counts().tolist() == [1900] * 4
    assert data.load_ag_news() is data.load_ag_news()  # cached


def test_real_labels_are_csv_class_minus_one(real):
    if not real.source.startswith(data.ENV_VAR):
        pytest.skip("compares against the files in RNNLAB_DATA_DIR")
    folder = Path(real.source.split("=", 1)[1])
    # An independent parser over the same file: same rows, same text, label = class - 1.
    raw = pd.read_csv(folder / "test.csv", header=None, names=["cls", "title", "description"],
                      dtype=str, keep_default_na=False)
    assert (real.test["label"].to_numpy() == raw["cls"].astype(int).to_numpy() - 1).all()
    assert real.test["title"].tolist() == raw["title"].tolist()
    assert real.test["description"].tolist() == raw["description"].tolist()


def test_text_is_kept_raw(real):
    joined = " ".join(real.train["description"].head(2000))
    assert "#39;" in joined or "quot;" in joined or "&lt;" in joined


def test_summary(real):
    assert data.summary(real) == {"source": real.source, "train": len(real.train), "test": 7600,
                                  "classes": list(CLASS_NAMES)}


# -- strict reading ----------------------------------------------------------------

def test_read_csv_split_good_file(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_ROWS + b"\n")  # BOM and a trailing blank line are fine
    df = data.read_csv_split(path)
    assert df["label"].tolist() == [0, 1, 2, 3]
    assert df["title"].tolist()[1] == 'Sports "quoted"'


def test_multiline_field_is_one_row(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b'"1","a","line one\nline two"\n"2","b","c"\n')
    df = data.read_csv_split(path)
    assert df["description"].tolist() == ["line one\nline two", "c"]


@pytest.mark.parametrize("content, line, words", [
    (b'"1","a","b"\n"2","a"\n', 2, "found 2"),
    (b'"1","a","b\nc"\n"2","a","b","d"\n', 3, "found 4"),  # line of the row after a 2-line row
    (b'"0","a","b"\n', 1, "'0'"),
    (b'"1","a","b"\n"5","a","b"\n', 2, "'5'"),
    (b'"1","a","b"\n"1","a","b"\n"x","a","b"\n', 3, "'x'"),
    (b'"1","a","b"\n"2","caf\xe9","b"\n', 2, "UTF-8"),
    (b'"1","a"b","c"\n', 1, "malformed CSV"),
    (b'"1","a","b"\n"2","unclosed,"c"\n', 2, "malformed CSV"),
    (b"", 1, "empty"),
    (b"\n\n", 1, "empty"),
], ids=["too-few", "too-many", "class-0", "class-5", "class-x", "bad-utf8", "stray-quote",
        "unclosed-quote", "empty", "blank"])
def test_malformed_rows_name_file_and_line(tmp_path, content, line, words):
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        data.read_csv_split(path)
    message = str(info.value)
    assert str(path) in message and f"line {line}:" in message and words in message


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope.csv"):
        data.read_csv_split(tmp_path / "nope.csv")


# -- sources -----------------------------------------------------------------------

def test_env_folder_is_used_and_cached(tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "agn")
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    first = data.load_ag_news()
    assert first.source == f"{data.ENV_VAR}={folder.resolve()}"
    assert len(first.train) == len(first.test) == 4
    assert data.load_ag_news() is first
    (folder / "train.csv").write_bytes(GOOD_ROWS + b'"1","one more","row"\n')  # replaced: read again
    assert len(data.load_ag_news().train) == 5


def test_env_missing_folder_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "missing"))
    monkeypatch.setattr(data, "REPO_DATA_DIR", write_folder(tmp_path / "repo"))  # no silent fall-through
    with pytest.raises(DataError, match="missing.*does not exist"):
        data.load_ag_news()


def test_env_missing_test_csv_is_an_error(tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "agn", test=None)
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    with pytest.raises(DataError) as info:
        data.load_ag_news()
    assert str(folder / "test.csv") in str(info.value)


def test_malformed_file_in_folder_names_it(tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "agn", test=GOOD_ROWS + b'"9","a","b"\n')
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    with pytest.raises(DataError, match=r"test\.csv, line 5:"):
        data.load_ag_news()


def test_repo_folder_when_env_unset_or_empty(tmp_path, monkeypatch):
    assert data.REPO_DATA_DIR == Path(data.__file__).resolve().parents[1] / "data" / "ag_news"
    monkeypatch.setattr(data, "REPO_DATA_DIR", write_folder(tmp_path / "repo"))
    monkeypatch.setenv(data.ENV_VAR, "")
    assert data.load_ag_news().source == "data/ag_news (repo)"
    monkeypatch.delenv(data.ENV_VAR)
    assert len(data.load_ag_news().train) == 4


@pytest.fixture
def no_files(tmp_path, monkeypatch):
    """No data folder, and (for tfds) a download host that answers, as when online."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "REPO_DATA_DIR", tmp_path / "no-repo-data")
    monkeypatch.setattr(data, "_check_download_reachable", lambda: None)


def test_tfds_fallback_with_mock_data(no_files):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=12, policy=tfds.testing.MockPolicy.USE_CODE):
        loaded = data.load_ag_news()
    assert loaded.source == "tfds ag_news_subset"
    for df in (loaded.train, loaded.test):
        assert list(df.columns) == ["label", "title", "description"] and len(df) == 12
        assert df["label"].dtype == np.int64 and df["label"].between(0, 3).all()
        assert all(isinstance(t, str) for t in df["title"].tolist() + df["description"].tolist())


def test_tfds_failure_says_how_to_provide_data(no_files, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(DataError) as info:
        data.load_ag_news()
    message = str(info.value)
    assert "no network" in message and data.ENV_VAR in message and "train.csv" in message


OFFLINE = """
import socket, sys, time
from pathlib import Path

def offline(*args, **kwargs):
    raise socket.gaierror(-2, "Name or service not known")
socket.getaddrinfo = offline
import rnnlab.data as data
data.REPO_DATA_DIR = Path(sys.argv[1])
start = time.monotonic()
try:
    data.load_ag_news()
except data.DataError as exc:
    print(f"{time.monotonic() - start:.1f}|{exc}")
"""


def test_offline_without_data_fails_within_seconds(tmp_path):
    """Issue 16 (also): on a fresh offline clone without RNNLAB_DATA_DIR the first test that
    needed data retried the tfds download for 3 min 33 s before its error."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != data.ENV_VAR}
    env.update(TFDS_DATA_DIR=str(tmp_path / "tfds"), TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=str(Path(data.__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, "-c", OFFLINE, str(tmp_path / "no-repo-data")], env=env,
                          capture_output=True, text=True, timeout=90, cwd=tmp_path)
    seconds, _, message = proc.stdout.strip().partition("|")
    assert message, proc.stderr[-2000:]
    assert float(seconds) < 15 and data.ENV_VAR in message and "cannot be reached" in message, message


# -- subsets and splits ------------------------------------------------------------

def test_stratified_subset_exact_balanced_deterministic(real):
    sub = data.stratified_subset(real.train, 1000, seed=3)
    assert len(sub) == 1000 and sub["label"].value_counts().tolist() == [250] * 4
    assert sub.index.is_unique
    assert sub.index.equals(data.stratified_subset(real.train, 1000, seed=3).index)
    assert not sub.index.equals(data.stratified_subset(real.train, 1000, seed=4).index)
    assert sub.index.isin(data.stratified_subset(real.train, 2000, seed=3).index).all()  # nested


def test_stratified_subset_caps_small_classes():
    sub = data.stratified_subset(frame([5, 50, 100, 100]), 100, seed=0)
    counts = sub["label"].value_counts().sort_index().tolist()
    assert counts[0] == 5 and sorted(counts[1:]) == [31, 32, 32]


@pytest.mark.parametrize("n", [0, 10, 11])
def test_stratified_subset_all_rows_shuffled(n):
    df = frame([4, 3, 2, 1])
    sub = data.stratified_subset(df, n, seed=1)
    assert sorted(sub.index) == list(range(10)) and not sub.index.equals(df.index)
    assert sub.index.equals(data.stratified_subset(df, n, seed=1).index)


@settings(max_examples=150, deadline=None)
@given(counts=st.lists(st.integers(0, 25), min_size=1, max_size=4), n=st.integers(0, 110),
       seed=st.integers(0, 2**31 - 1))
def test_stratified_subset_property(counts, n, seed):
    df = frame(counts)
    sub = data.stratified_subset(df, n, seed)
    assert len(sub) == (n if 0 < n < len(df) else len(df)) and sub.index.is_unique
    taken = np.bincount(sub["label"], minlength=len(counts))
    # As equal as the data allows: a class not used up has at most one row fewer than any other.
    for got, have in zip(taken, counts):
        if got < have:
            assert got >= taken.max() - 1
    if 0 < n < len(df):
        assert sub.index.isin(data.stratified_subset(df, n + 1, seed).index).all()


def test_split_train_validation(real):
    train, val = data.split_train_validation(real.train, seed=0)
    assert len(train) + len(val) == len(real.train)
    assert not train.index.intersection(val.index).size
    expected = (real.train["label"].value_counts().sort_index() * 0.05).round().astype(int)
    assert val["label"].value_counts().sort_index().tolist() == expected.tolist()
    again_train, again_val = data.split_train_validation(real.train, seed=0)
    assert train.index.equals(again_train.index) and val.index.equals(again_val.index)
    assert not val.index.equals(data.split_train_validation(real.train, seed=1)[1].index)
    with pytest.raises(ValueError):
        data.split_train_validation(real.train, seed=0, validation_fraction=1.0)


def test_prepare_splits_validation_independent_of_train_size(real):
    small = data.prepare_splits(RunConfig(train_size=400, seed=7), real)
    full = data.prepare_splits(RunConfig(train_size=0, seed=7), real)
    assert small.validation.index.equals(full.validation.index)
    assert len(small.train) == 400 and small.train["label"].value_counts().tolist() == [100] * 4
    assert len(full.train) + len(full.validation) == len(real.train)
    assert not small.train.index.isin(small.validation.index).any()
    assert small.test is real.test and small.source == real.source


def test_texts():
    df = frame([1, 1])
    assert data.texts(df, "title") == ["t0", "t1"]
    assert data.texts(df, "title_description") == ["t0 d0", "t1 d1"]
    with pytest.raises(ValueError, match="title_description"):
        data.texts(df, "description")


# -- a failed training writes nothing --------------------------------------------------

BAD_TRAIN = GOOD_ROWS * 30 + b'"1","fine","row"\n"7","class seven","x"\n'   # line 122: class 7


@pytest.mark.parametrize("content, words", [(BAD_TRAIN, "line 122:"), (GOOD_ROWS + b'"2","caf\xe9","x"\n', "line 5:"),
                                            (b"", "empty")], ids=["class-7", "bad-utf8", "empty"])
def test_a_failed_training_from_the_cli_writes_nothing(tmp_path, monkeypatch, capsys, content, words):
    from rnnlab import cli
    folder = write_folder(tmp_path / "agn", train=content)
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    code = cli.main(["train", "--train-size", "0", "--units", "8", "--embed-dim", "8", "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert str(folder / "train.csv") in err and words in err, err
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []


def test_a_failed_training_in_the_queue_writes_nothing(tmp_path, monkeypatch):
    from rnnlab.jobs import FAILED, TrainingQueue
    from rnnlab.runs import RunStore
    folder = write_folder(tmp_path / "agn", train=BAD_TRAIN)
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    store = RunStore(tmp_path / "runs")
    queue = TrainingQueue(store, max_concurrent=1)
    job = queue.wait(queue.submit(RunConfig(units=8, embed_dim=8, train_size=0)).job_id, timeout=120)
    assert job.state == FAILED
    assert str(folder / "train.csv") in job.error and "line 122:" in job.error and "'7'" in job.error
    assert store.list() == [] and (not store.root.exists() or [p.name for p in store.root.iterdir()] == [".locks"])


def test_search_filters_by_class_and_words_in_title_or_description():
    df = pd.DataFrame({"label": [0, 1, 1, 2], "title": ["Oil soars", "Cup final", "Oil cup", "Chips"],
                       "description": ["", "oil spill", "", "OIL rig"]})
    assert list(data.search(df, None, " oil ").index) == [0, 1, 2, 3]
    assert list(data.search(df, 1, "oil").index) == [1, 2]
    assert list(data.search(df, 1, "").index) == [1, 2]
    assert list(data.search(df, 3, "").index) == []
    assert list(data.search(df, None, "a.b(").index) == []       # not a regular expression


def test_bucketing_cuts_padding_for_mixed_lengths():
    from rnnlab.batching import padding_with_and_without_bucketing
    lengths = np.random.default_rng(1).integers(1, 60, size=500)
    plain, bucketed = padding_with_and_without_bucketing(lengths, 8, 32, seed=0)
    assert 0 < bucketed < plain < 1
    assert padding_with_and_without_bucketing(np.full(64, 7), 8, 32, seed=0) == (0.0, 0.0)
