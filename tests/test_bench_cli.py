"""The bench commands refuse bad requests with one line, before measuring anything."""
import os

import pytest

from rnnlab import cli
from rnnlab.app_bench import Headlines, parse_sessions, pick_run
from rnnlab.train_bench import CHECKPOINTS, OURS, _Checkpoints, speedups
from rnnlab.benchenv import central
from rnnlab.config import preset
from rnnlab.runs import RunStore
from rnnlab.usage import UsageError


@pytest.mark.parametrize("argv, message", [
    (["app"], "holds no whole run"),
    (["app", "--sessions", "0"], "--sessions takes numbers from 1 to 200"),
    (["app", "--sessions", "1,ten"], "--sessions takes numbers from 1 to 200"),
    (["app", "--sessions", ""], "--sessions takes numbers from 1 to 200"),
    (["app", "--repeat", "0"], "--repeat must be at least 1"),
    (["train", "--repeat", "-1"], "--repeat must be at least 1"),
    (["memory", "--repeat", "2"], "bench memory: --repeat is not supported"),
    (["trace", "--run", "no-such-run"], "no such run"),
    (["trace", "--run", "Bad Id!"], "invalid run id"),
])
def test_bad_bench_requests_get_one_line_and_exit_code_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "empty-store"))
    code = cli.main(["bench", *argv])
    out = capsys.readouterr()
    assert code == 2 and message in out.err and len(out.err.strip().splitlines()) == 1, out.err
    assert out.out == ""


def test_bench_app_picks_the_quick_preset_run_else_the_newest_whole_run(make_run, tmp_path):
    run = make_run()
    store = RunStore(tmp_path / "store")
    stamps = iter(range(1_000_000, 2_000_000, 1000))

    def save(run_id):
        path = store.save(run_id, run.model, run.config, run.history, run.metrics)
        stamp = next(stamps)
        os.utime(path, (stamp, stamp))            # saved one after the other: newest last
    save("older")
    save("newer")
    assert pick_run(store, None) == "newer"
    assert pick_run(store, "older") == "older"
    with pytest.raises(UsageError, match="holds no whole run 'missing'"):
        pick_run(store, "missing")
    save(preset("quick").run_id())
    save("newest")
    assert pick_run(store, None) == preset("quick").run_id()


def test_sessions_and_headlines():
    assert parse_sessions("1,10,30") == [1, 10, 30] and parse_sessions("3,1,3") == [3, 1]
    headlines = [h for _, h in zip(range(500), Headlines())]
    assert len(set(headlines)) == 500


def test_bench_train_evaluates_32_times_per_epoch_by_default():
    args = cli.build_parser().parse_args(["bench", "train"])
    assert args.checkpoints == CHECKPOINTS == 32 and args.repeat == 1
    assert sorted(_Checkpoints(320, args.checkpoints).at) == list(range(10, 321, 10))


def test_bench_train_speedups_against_the_lessons_whole_training_and_its_first_reach():
    lesson, ours = _Checkpoints(100, 4), _Checkpoints(100, 4)
    lesson.points = [(25.0, 0.80), (50.0, 0.885), (75.0, 0.87), (100.0, 0.88)]   # wobbles above its final 0.88
    ours.points = [(2.0, 0.86), (4.0, 0.881), (6.0, 0.87), (8.0, 0.89)]
    result = speedups(100.0, lesson, ours)
    assert result["target_accuracy"] == 0.88 and result["rnnlab_seconds_to_target"] == 4.0
    assert result["speedup"] == 25.0 and result["speedup_vs_lesson_first_reach"] == 12.5
    ours.points = [(2.0, 0.86), (8.0, 0.87)]
    assert speedups(100.0, lesson, ours)["speedup"] is None
    assert "never reached" in speedups(100.0, lesson, ours)["note"]


def test_bench_train_keeps_the_lessons_architecture():
    """Issue 13: our pipeline may choose anything but the architecture (and the text it reads)."""
    from rnnlab.config import preset
    lesson = preset("lesson-bilstm")
    ours = lesson.replace(**OURS)
    architecture = ("cell", "units", "layers", "bidirectional", "embed_dim", "masking", "text", "vocab_size", "max_length")
    assert [getattr(ours, f) for f in architecture] == [getattr(lesson, f) for f in architecture]
    assert (lesson.cell, lesson.units, lesson.layers, lesson.embed_dim) == ("lstm", 64, 2, 128)


def test_bench_quick_trains_one_seed_per_repetition_and_reports_the_spread(monkeypatch, capsys):
    import json

    from rnnlab.config import PRESETS, RunConfig
    monkeypatch.setitem(PRESETS, "quick", RunConfig(units=8, embed_dim=8, vocab_size=2000, train_size=400,
                                                    text="title"))
    code = cli.main(["bench", "quick", "--repeat", "2", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "bench quick: seed 0" in out.err and "bench quick: seed 1" in out.err
    result = json.loads(out.out)
    assert result["repeat"] == 2 and result["train_rows"] == 400
    # two timings, merged (a spread; equal when both rounded to the same hundredth)
    assert central(result["train_seconds"]) > 0 and central(result["wall_seconds"]) >= central(result["train_seconds"])
    assert result["environment"]["cpus"] >= 1 and "load_average_before" in result["environment"]
