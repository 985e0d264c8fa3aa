"""Benchmarks (``python -m rnnlab bench ...``): they print what they measure, whatever it is."""
from __future__ import annotations

import importlib.metadata
import json
import sys
from dataclasses import asdict

from .benchenv import EnvironmentWatch, check_repeat, is_spread, merge_repeats
from .config import preset
from .i18n import DEFAULT_LANG, LANGUAGES
from .train_bench import CHECKPOINTS, bench_train
from .usage import UsageError



def add_arguments(parser) -> None:
    parser.add_argument("what", choices=["train", "quick", "trace", "gpu", "memory", "app", "lesson", "browser"], help="which benchmark")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the benchmark N times and report the median and the spread (min-max) "
                             "(not bench memory; default 1)")
    parser.add_argument("--checkpoints", type=int, default=CHECKPOINTS,
                        help=f"bench train: test evaluations per epoch (default {CHECKPOINTS})")
    parser.add_argument("--run", help="bench trace: a run id (default: train a small lesson-bilstm run); "
                                      "bench app: a run id in the run store (default: the quick preset's run "
                                      "if there, else the newest whole run)")
    parser.add_argument("--sessions", default="1,10,30",
                        help="bench app: how many sessions ask at once, one burst per number (default 1,10,30)")
    parser.add_argument("--lang", default=DEFAULT_LANG, choices=list(LANGUAGES),
                        help=f"bench app: the language every session opens Explore in (default {DEFAULT_LANG})")
    parser.add_argument("--workers", type=int, default=1,
                        help="bench app: app processes; above 1, `serve --workers N` behind nginx (default 1)")
    parser.add_argument("--store", help="bench memory: a run store folder whose newest whole runs are loaded "
                                        "(default: train one run per preset into a temporary store)")
    parser.add_argument("--count", type=int, default=5, help="bench memory: how many runs to hold (default 5)")
    parser.add_argument("--train-size", type=int, default=None,
                        help="bench memory: training rows of each run it trains (default 2000); "
                             "bench lesson: training texts of each lesson step (default 4000)")


def run(args) -> None:
    """Check the request (one-line errors), then run the bench inside an :class:`EnvironmentWatch`."""
    repeat = check_repeat(args.repeat)
    if args.what in ("app", "browser", "lesson"):
        {"app": _run_app, "browser": _run_browser, "lesson": _run_lesson_steps}[args.what](args, repeat)
        return
    if args.what == "memory":
        if repeat > 1:
            raise UsageError("bench memory: --repeat is not supported (what a process holds does not vary by run)")
        check_memory_request(args.store, args.count)
    if args.what == "trace" and args.run is not None:
        from .runs import RunStore, RunStoreError
        info = RunStore().info(args.run)
        if not info.ok:
            raise RunStoreError(f"bench trace: run {args.run!r}: {info.damaged}")
    watch = EnvironmentWatch(f"bench {args.what}")
    if args.what == "train":
        result = merge_repeats([bench_train(checkpoints=args.checkpoints) for _ in range(repeat)])
    elif args.what == "quick":
        from .quick_bench import bench_quick
        result = merge_repeats([bench_quick(seed=i) for i in range(repeat)])
    elif args.what == "gpu":
        result = merge_repeats([bench_gpu() for _ in range(repeat)])
    elif args.what == "memory":
        result = bench_memory(args.store, count=args.count, train_size=args.train_size or 2000)
    else:
        from .trace_bench import bench_trace
        result = bench_trace(args.run, repeat=repeat)
    result = {**result, "repeat": repeat, "environment": asdict(watch.finish())}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_table(result)


def _run_app(args, repeat: int) -> None:
    from .app_bench import bench_app, parse_sessions, pick_run, print_report
    from .runs import RunStore
    sessions = parse_sessions(args.sessions)
    store = RunStore()
    run_id = pick_run(store, args.run)
    watch = EnvironmentWatch("bench app")
    if not 1 <= args.workers <= 16:
        raise UsageError("bench app: --workers takes a number from 1 to 16")
    result = bench_app(store, run_id, sessions, repeat, workers=args.workers, lang=args.lang)
    environment = watch.finish()
    if args.json:
        print(json.dumps({**asdict(result), "environment": asdict(environment)}, indent=2))
    else:
        print_report(result)
        _print_table({"environment": asdict(environment)})


def _run_browser(args, repeat: int) -> None:
    from .app_bench import pick_run
    from .browser_bench import bench_browser, report
    from .runs import RunStore
    store = RunStore()
    run_id = pick_run(store, args.run)
    watch = EnvironmentWatch("bench browser")
    timings = bench_browser(str(store.root), run_id, repeat=max(repeat, 3))
    environment = watch.finish()
    if args.json:
        print(json.dumps({**asdict(timings), "environment": asdict(environment)}, indent=2))
    else:
        print(report(timings))
        _print_table({"environment": asdict(environment)})


def _run_lesson_steps(args, repeat: int) -> None:
    from .lesson_bench import lesson_bench, report
    train_size = args.train_size or 4000
    if train_size < 100:
        raise UsageError("bench lesson: --train-size must be at least 100")
    watch = EnvironmentWatch("bench lesson")
    rounds = [lesson_bench(train_size) for _ in range(repeat)]
    environment = watch.finish()
    if args.json:
        print(json.dumps({"rounds": [[asdict(t) | {"ratio": t.ratio} for t in r] for r in rounds],
                          "environment": asdict(environment)}, indent=2))
    else:
        for r in rounds:
            print(report(r))
        _print_table({"environment": asdict(environment)})


def _print_table(result: dict, indent: str = "") -> None:
    for key, value in result.items():
        if is_spread(value):
            print(f"{indent}{key}: {value['median']} ({value['min']}-{value['max']})")
        elif isinstance(value, dict):
            print(f"{indent}{key}:")
            _print_table(value, indent + "  ")
        elif isinstance(value, list):
            print(f"{indent}{key}: {json.dumps(value)}")
        else:
            print(f"{indent}{key}: {value}")


# -- bench gpu -----------------------------------------------------------------------

def bench_gpu(presets=("lesson-bilstm", "quick")) -> dict:
    """One epoch of each preset on all available training data, on whatever device is here."""
    import tensorflow as tf

    from .devices import configure_devices
    from .progress import ProgressBar
    from .training import train
    result = {"device": configure_devices(), "tensorflow": tf.__version__, "runs": {}}
    for name in presets:
        config = preset(name).replace(epochs=1, train_size=0)
        print(f"bench gpu: {name} ({config.describe()})", file=sys.stderr)
        trained = train(config, callbacks=[ProgressBar()])
        m = trained.metrics
        result["runs"][name] = {
            "cudnn_kernels": m["cudnn"], "samples_per_second": round(m["samples_per_second"], 1),
            "epoch_seconds": round(m["train_seconds"], 2), "train_rows": m["train_rows"],
            "batch_size": config.batch_size, "replicas": m["replicas"], "test_accuracy": round(m["test_accuracy"], 4),
        }
    return result


# -- bench memory --------------------------------------------------------------------

MEMORY_LIMIT_BYTES = 1_500_000_000          # what a server holding 5 loaded runs may use (RSS)
MEMORY_PRESETS = ("quick", "lesson-simple-rnn", "lesson-masking", "lesson-lstm", "lesson-bilstm")
MEMORY_HEADLINE = "Stocks slide as oil prices hit a record high"


def process_memory() -> dict:
    """This process's resident set size now and at its peak, in bytes (Linux /proc/self/status)."""
    out = {}
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return {"rss": out.get("VmRSS"), "peak": out.get("VmHWM")}


def train_memory_runs(root: str, train_size: int = 2000, count: int = 5) -> list[str]:
    """Train one run per preset (``count`` of them, lesson-bilstm always among them) into ``root``."""
    from .progress import ProgressBar
    from .runs import RunStore
    from .training import train
    store = RunStore(root)
    names = [MEMORY_PRESETS[i % len(MEMORY_PRESETS)] for i in range(count)]
    if "lesson-bilstm" not in names:
        names[-1] = "lesson-bilstm"
    run_ids = []
    for i, name in enumerate(names):
        config = preset(name).replace(train_size=train_size, epochs=1, seed=i)
        print(f"bench memory: training {name} ({config.describe()}) on {train_size:,} rows", file=sys.stderr)
        result = train(config, callbacks=[ProgressBar()])
        run_ids.append(store.save_result(result))
    return run_ids


def check_memory_request(store_dir: str | None, count: int) -> None:
    """Refuse a count below 1, or a given store holding fewer than ``count`` whole runs."""
    from .runs import RunStore, RunStoreError
    if count < 1:
        raise UsageError("bench memory: --count must be at least 1")
    whole = 0 if store_dir is None else sum(r.ok for r in RunStore(store_dir).list())
    if store_dir is not None and whole < count:
        raise RunStoreError(f"{store_dir} holds {whole} whole runs; bench memory needs {count}")


def bench_memory(store_dir: str | None = None, count: int = 5, train_size: int = 2000) -> dict:
    """RSS of a process holding ``count`` loaded runs the way the app's server holds them.

    Each run is loaded from the store with its :class:`~rnnlab.analysis.trace.Tracer`, one full
    trace (integrated gradients and the PCA path), the neuron view's sample and the
    padding demo, and is kept referenced, as the server's caches keep it. Without a
    store the runs are trained first in a child process, so no training memory counts.
    """
    import gc
    import subprocess
    import tempfile

    from .data import DataError, load_ag_news
    from .runs import RunStore
    from .analysis.neurons import neuron_contexts
    from .analysis.padding import padding_demo
    from .analysis.trace import Tracer

    check_memory_request(store_dir, count)
    temp = None
    if store_dir is None:
        temp = tempfile.TemporaryDirectory(prefix="rnnlab-bench-memory-")
        store_dir = temp.name
        subprocess.run([sys.executable, "-c", "import sys; from rnnlab.bench import train_memory_runs; "
                        "train_memory_runs(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))",
                        store_dir, str(train_size), str(count)], check=True, stdout=subprocess.DEVNULL)
    try:
        store = RunStore(store_dir)
        run_ids = [r.run_id for r in store.list() if r.ok][:count]
        if len(run_ids) < count:
            from .runs import RunStoreError
            raise RunStoreError(f"{store_dir} holds {len(run_ids)} whole runs; bench memory needs {count}")
        gc.collect()
        steps = [{"step": "start (Python, TensorFlow, Keras and rnnlab imported)", **process_memory()}]
        try:
            data = load_ag_news()
            steps.append({"step": f"AG News loaded ({len(data.train):,} + {len(data.test):,} rows)",
                          **process_memory()})
        except DataError as exc:
            data = None
            print(f"bench memory: no data ({exc}); runs are loaded without the data views", file=sys.stderr)
        held, runs = [], []
        for run_id in run_ids:
            run = store.load(run_id)
            tracer = Tracer(run)
            trace = tracer.trace(MEMORY_HEADLINE, integrated_gradients=True, projection=True)
            extra = {}
            if data is not None:
                layer = tracer.layer_names[-1]
                extra["neurons"] = neuron_contexts(tracer, layer, "forward", 0)
                extra["padding"] = padding_demo(tracer, MEMORY_HEADLINE, pads=20)
            held.append((run, tracer, trace, extra))
            params = int(run.model.count_params())
            runs.append({"run_id": run_id, "model": run.config.describe(), "parameters": params,
                         "predicted": trace.predicted_class})
            steps.append({"step": f"holding {len(held)} run(s), last {run_id}", **process_memory()})
        gc.collect()
        end = process_memory()
        start = steps[0]["rss"]
        result = {
            "runs": runs, "train_size": train_size if temp is not None else None,
            "rss_start_mb": _mb(start), "rss_after_mb": _mb(end["rss"]), "peak_mb": _mb(end["peak"]),
            "per_run_mb": round(_mb(end["rss"] - steps[1 if data is not None else 0]["rss"]) / len(held), 1),
            "limit_mb": _mb(MEMORY_LIMIT_BYTES), "under_limit": end["rss"] < MEMORY_LIMIT_BYTES,
            "steps": [{"step": s["step"], "rss_mb": _mb(s["rss"])} for s in steps],
            "tensorflow": importlib.metadata.version("tensorflow"),
        }
        del held
        return result
    finally:
        if temp is not None:
            temp.cleanup()


def _mb(n: int | None) -> float | None:
    return None if n is None else round(n / 1e6, 1)
