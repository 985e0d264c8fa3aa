"""What every bench says about the machine: load before and after, other work meanwhile, repetitions."""
import io

import pytest

from rnnlab import benchenv
from rnnlab.benchenv import EnvironmentWatch, Spread, merge_repeats, percentile, spread


def test_spread_is_median_and_range_without_missing_values():
    assert spread([3.0, None, 1.0, 2.0]) == Spread(2.0, 1.0, 3.0)
    assert spread([None]) is None
    assert str(Spread(2.0, 1.0, 3.0)) == "2 (1-3)" and str(Spread(1.5, 1.5, 1.5)) == "1.5"


def test_percentile_takes_the_nearest_rank():
    values = list(range(1, 21))
    assert percentile(values, 50) == 11 and percentile(values, 95) == 19 and percentile([4.0], 95) == 4.0


def test_merge_repeats_keeps_equal_values_and_spreads_differing_numbers():
    runs = [{"device": "CPU", "seconds": 2.0, "steps": 10, "note": None, "inner": {"ms": 5.0, "ok": True}},
            {"device": "CPU", "seconds": 4.0, "steps": 10, "note": "slow", "inner": {"ms": 7.0, "ok": True}},
            {"device": "CPU", "seconds": 3.0, "steps": 10, "note": None, "inner": {"ms": 6.0, "ok": True}}]
    assert merge_repeats(runs) == {
        "device": "CPU", "seconds": {"median": 3.0, "min": 2.0, "max": 4.0}, "steps": 10,
        "note": [None, "slow", None], "inner": {"ms": {"median": 6.0, "min": 5.0, "max": 7.0}, "ok": True}}
    assert merge_repeats(runs[:1]) == runs[0]
    assert benchenv.central(merge_repeats(runs)["seconds"]) == 3.0 and benchenv.central(7) == 7


@pytest.fixture
def quiet_machine(monkeypatch):
    """A machine whose load average is 0.1 and where nothing else keeps a CPU busy."""
    monkeypatch.setattr(benchenv, "load_average", lambda: 0.1)
    monkeypatch.setattr(benchenv, "machine_busy_seconds", lambda: 1000.0)
    monkeypatch.setattr(benchenv.proctree, "cpu_seconds", lambda pid: 0.0)
    return monkeypatch


def test_a_quiet_machine_gives_valid_figures_and_no_warning(quiet_machine):
    out = io.StringIO()
    env = EnvironmentWatch("bench x", stream=out).finish()
    assert env.valid and env.load_average_before == 0.1 and env.other_cpus_busy == 0.0 and env.cpus >= 1
    assert "before" in out.getvalue() and "after" in out.getvalue()
    assert benchenv.WARNING not in out.getvalue()


def test_a_loaded_machine_before_the_bench_is_warned_about(quiet_machine):
    quiet_machine.setattr(benchenv, "load_average", lambda: 1.7)
    out = io.StringIO()
    env = EnvironmentWatch("bench x", stream=out).finish()
    assert not env.valid
    assert "bench x: warning: other work is running: these figures are not valid" in out.getvalue()


def test_other_processes_busy_during_the_bench_are_warned_about(quiet_machine):
    """The machine got 2 CPU seconds busier per second of the bench, and none of it was the bench's."""
    clock = iter([100.0, 110.0])
    busy = iter([1000.0, 1020.0])
    quiet_machine.setattr(benchenv.time, "monotonic", lambda: next(clock))
    quiet_machine.setattr(benchenv, "machine_busy_seconds", lambda: next(busy))
    out = io.StringIO()
    env = EnvironmentWatch("bench x", stream=out).finish()
    assert env.other_cpus_busy == 2.0 and not env.valid
    assert benchenv.WARNING in out.getvalue()


def test_the_bench_own_work_is_not_counted_as_other_work(quiet_machine):
    clock = iter([100.0, 110.0])
    busy = iter([1000.0, 1020.0])
    own = iter([5.0, 25.0])                   # the bench and its children used those 20 CPU seconds
    quiet_machine.setattr(benchenv.time, "monotonic", lambda: next(clock))
    quiet_machine.setattr(benchenv, "machine_busy_seconds", lambda: next(busy))
    quiet_machine.setattr(benchenv.proctree, "cpu_seconds", lambda pid: next(own))
    env = EnvironmentWatch("bench x", stream=io.StringIO()).finish()
    assert env.other_cpus_busy == 0.0 and env.valid


def test_repeat_below_one_is_refused():
    from rnnlab.usage import UsageError
    with pytest.raises(UsageError, match="--repeat must be at least 1"):
        benchenv.check_repeat(0)
