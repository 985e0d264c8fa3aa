"""Command line: ``python -m rnnlab data|train|runs|eval|predict|trace|bench|serve ...``.

Every command takes ``--json`` and then prints only JSON on stdout; progress bars and
messages go to stderr. Bad input exits with code 2 and a one-line message.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from dataclasses import fields

from .config import ConfigError, PRESETS, RunConfig, field_ranges, preset
from .progress import ProgressBar
from .usage import UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(message)


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


# -- commands ------------------------------------------------------------------------

def cmd_data(args):
    from .data import load_ag_news, summary
    info = summary(load_ag_news())
    if args.json:
        _print_json(info)
    else:
        print(f"source: {info['source']}\ntrain rows: {info['train']:,}\ntest rows: {info['test']:,}\n"
              f"classes: {', '.join(info['classes'])}")


def config_from_args(args) -> RunConfig:
    config = preset(args.preset)
    changes = {f.name: getattr(args, f.name) for f in fields(RunConfig) if getattr(args, f.name) is not None}
    return config.override(**changes)


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {value!r}")
    return seconds


def cmd_train(args):
    from .runs import RunStore
    from .training import TrainingError, train
    config = config_from_args(args)
    store = RunStore()
    print(f"training {config.run_id()}: {config.describe()}", file=sys.stderr)
    result = train(config, callbacks=[ProgressBar()], time_budget_s=args.time_budget)
    if not result.metrics["samples_seen"]:
        raise TrainingError(f"training stopped ({result.stop_reason}) before it read any text; nothing saved")
    run_id = store.save_result(result)
    out = {"run_id": run_id, "test_accuracy": result.metrics["test_accuracy"],
           "test_titles_accuracy": result.metrics["test_titles_accuracy"],
           "train_seconds": result.train_seconds, "samples_per_second": result.samples_per_second,
           "device": result.device, "stopped_early": result.stopped_early, "config": config.to_dict()}
    if args.json:
        _print_json(out)
    else:
        print(f"run {run_id} saved to {store.path(run_id)}\n"
              f"test accuracy {out['test_accuracy']:.4f} (titles only {out['test_titles_accuracy']:.4f}), "
              f"{out['train_seconds']:.1f} s of training at {out['samples_per_second']:.0f} samples/s "
              f"on {result.device}")


def cmd_zoo(args):
    """Train every preset once, so a class can start exploring at once; finished ones are kept."""
    from .runs import RunStore
    from .training import train
    store = RunStore()
    rows = []
    for name, config in PRESETS.items():
        run_id = config.run_id()
        if store.info(run_id).finished and not args.retrain:
            print(f"{name}: {run_id} already in the store", file=sys.stderr)
            rows.append({"preset": name, "run_id": run_id, "trained": False,
                         "test_accuracy": store.info(run_id).metrics.get("test_accuracy"), "train_seconds": 0.0})
            continue
        print(f"{name}: training {run_id}: {config.describe()}", file=sys.stderr)
        result = train(config, callbacks=[ProgressBar()])
        store.save_result(result, run_id)
        rows.append({"preset": name, "run_id": run_id, "trained": True,
                     "test_accuracy": result.metrics["test_accuracy"], "train_seconds": result.train_seconds})
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['preset']:18s} {r['run_id']:28s} acc {r['test_accuracy']:.4f}  "
                  f"{r['train_seconds']:6.1f} s{'' if r['trained'] else ' (kept)'}")


def cmd_runs(args):
    from .runs import RunStore
    runs = RunStore().list()
    rows = [{"run_id": r.run_id, "ok": r.ok, "damaged": r.damaged,
             "config": r.config.to_dict() if r.config else None,
             "test_accuracy": r.metrics.get("test_accuracy"), "train_seconds": r.metrics.get("train_seconds")}
            for r in runs]
    if args.json:
        _print_json(rows)
        return
    if not rows:
        print("no runs yet: train one with `python -m rnnlab train`")
    for r, info in zip(rows, runs):
        if r["ok"]:
            seconds = f"{r['train_seconds']:7.1f}" if r["train_seconds"] is not None else "      –"
            print(f"{r['run_id']:32s} acc {r['test_accuracy']:.4f}  {seconds} s  {info.config.describe()}")
        else:
            print(f"{r['run_id']:32s} DAMAGED: {r['damaged']}")


def cmd_eval(args):
    if args.headlines is not None:
        cmd_eval_headlines(args)
        return
    from .data import prepare_splits, texts
    from .runs import RunStore
    from .evaluation import encode, evaluate
    run = RunStore().load(args.run)
    test = prepare_splits(run.config).test
    metrics = evaluate(run.model, encode(run.model, texts(test, run.config.text), test["label"].to_numpy()),
                       misclassified=args.misclassified)
    if args.json:
        _print_json({"run_id": run.run_id, **metrics})
        return
    print(f"test accuracy {metrics['accuracy']:.4f} on {len(test):,} texts")
    for name, m in metrics["per_class"].items():
        print(f"  {name:10s} precision {m['precision']:.3f} recall {m['recall']:.3f} f1 {m['f1']:.3f}")


def cmd_eval_headlines(args):
    """Score a run on a labelled headlines file; the file is read before the run is loaded."""
    from .config import CLASS_NAMES
    from .headlines import read_headlines
    from .runs import RunStore
    from .evaluation import score_headlines
    headlines = read_headlines(args.headlines)
    run = RunStore().load(args.run)
    result = score_headlines(run.model, headlines)
    if args.json:
        _print_json({"run_id": run.run_id, **result.to_dict()})
        return
    print(f"headlines accuracy {result.accuracy:.4f} on {result.rows:,} headlines from {result.path}")
    for name, recall in result.recall.items():
        print(f"  {name:10s} recall {recall:.3f}")
    print("confusion matrix (rows: true class, columns: predicted)")
    print(" " * 12 + "".join(f"{name:>10s}" for name in CLASS_NAMES))
    for name, row in zip(CLASS_NAMES, result.confusion):
        print(f"  {name:10s}" + "".join(f"{n:10d}" for n in row))


PREDICT_BATCH = 512      # texts of a --file predicted (and printed) at a time


def _text_batches(args):
    """The texts to predict in batches; a --file is streamed (see :mod:`rnnlab.text_file`)."""
    if args.file and args.text:
        raise UsageError("give texts or --file, not both")
    if not args.file:
        if not args.text:
            raise UsageError("give at least one text, or --file FILE with one text per line")
        yield args.text
        return
    from .text_file import text_lines
    lines = text_lines(args.file)
    batch = list(itertools.islice(lines, PREDICT_BATCH))
    if not batch:
        raise UsageError(f"{args.file} holds no text")
    while batch:
        yield batch
        batch = list(itertools.islice(lines, PREDICT_BATCH))


def cmd_predict(args):
    from .config import CLASS_NAMES
    from .inference import Predictor
    from .runs import RunStore
    batches = _text_batches(args)
    first = next(batches)                # the file is readable and holds text: now load the run
    predictor = Predictor(RunStore().load(args.run).model)
    results = (r for batch in itertools.chain([first], batches) for r in predictor.predict(batch))
    if args.json:
        _print_json_list(results)
        return
    for r in results:
        probs = "  ".join(f"{name} {p:.3f}" for name, p in zip(CLASS_NAMES, r["probabilities"]))
        print(f"{r['predicted_class']:9s} | {probs} | {r['text']}")


def _print_json_list(items) -> None:
    """A JSON list printed item by item; nothing is printed before the first item exists,
    so a bad first text leaves stdout empty."""
    opening = "["
    for item in items:
        print(opening + json.dumps(item, indent=2, ensure_ascii=False))
        opening = ","
    print("]" if opening == "," else "[]")


def cmd_bench(args):
    from . import bench
    bench.run(args)


def cmd_serve(args):
    from dataclasses import asdict

    from .serve import serve

    def announce(served):
        if args.json:
            _print_json(asdict(served))
        elif served.folder:
            print(f"RNN Lab: {served.workers} app processes behind nginx; students open {served.url}\n"
                  f"(nginx configuration and logs in {served.folder}; Ctrl-C stops everything)")
        else:
            print(f"RNN Lab: one app process; students open {served.url} (Ctrl-C stops it)")
        sys.stdout.flush()

    serve(args.workers, args.port, args.address, announce)
    print("rnnlab: stopped", file=sys.stderr)


# -- parser --------------------------------------------------------------------------

def _add_config_options(p):
    p.add_argument("--preset", default="quick", choices=sorted(PRESETS),
                   help="start from this preset (default quick); options below override it")
    ranges = field_ranges()
    for f in fields(RunConfig):
        flag = "--" + f.name.replace("_", "-")
        allowed = ranges.get(f.name)
        if f.type in ("bool", bool):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None)
        elif f.name in ("cell", "text", "embeddings"):
            p.add_argument(flag, dest=f.name, choices=allowed, default=None)
        else:
            kind = float if f.type in ("float", float) else int
            p.add_argument(flag, dest=f.name, type=kind, default=None,
                           help=f"{allowed[0]}..{allowed[1]}" if allowed else None)
    p.add_argument("--time-budget", type=_positive_seconds, default=None,
                   help="stop training after this many seconds (the run is then saved as RUN_ID-partial)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m rnnlab", description="RNN Lab: recurrent networks reading AG News headlines")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print only JSON on stdout")
        p.set_defaults(func=func)
        return p

    add("data", cmd_data, "where the AG News data comes from and how large it is")
    _add_config_options(add("train", cmd_train, "train a run and save it in the run store"))
    add("runs", cmd_runs, "list the runs in the store")
    p = add("zoo", cmd_zoo, "train every preset once into the run store (ready-trained runs for a class)")
    p.add_argument("--retrain", action="store_true", help="train presets again even if their runs exist")
    p = add("eval", cmd_eval, "evaluate a run on the test split, or on a labelled headlines file")
    p.add_argument("run")
    p.add_argument("--misclassified", type=int, default=20)
    p.add_argument("--headlines", metavar="FILE", default=None,
                   help="a UTF-8 CSV with a header label,headline[,source] (label 1..4): report accuracy, "
                        "recall per class and the confusion matrix on it instead of the test split")
    p = add("predict", cmd_predict, "class probabilities for texts")
    p.add_argument("run")
    p.add_argument("text", nargs="*")
    p.add_argument("--file", help="a UTF-8 file with one text per line")
    from .bench import add_arguments as add_bench_arguments
    add_bench_arguments(add("bench", cmd_bench, "benchmarks that print numbers"))
    _add_trace_command(add)
    p = add("worker", cmd_worker, "serve traces and trainings to app processes (the app starts its own)")
    p.add_argument("--address", required=True, help="unix:/path/to/socket or host:port")
    p.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    _add_serve_command(add)
    return parser


def cmd_worker(args):
    import os

    from .service import KEY_ENV, parse_address, serve
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise UsageError(f"set {KEY_ENV} to a shared secret: app processes need it to reach the worker")
    try:
        parse_address(args.address)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    serve(args.address, key.encode(), parent_pid=args.parent_pid)


def _add_trace_command(add):
    from .trace_cli import add_arguments, cmd_trace
    add_arguments(add("trace", cmd_trace, "everything the network computes for one text, token by token"))


def _whole_number(low: int, high: int):
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low} to {high}")
        return int(text)
    return parse


def _add_serve_command(add):
    p = add("serve", cmd_serve, "serve the app to a class: N Streamlit processes behind nginx")
    p.add_argument("--workers", type=_whole_number(1, 64), default=1,
                   help="app processes (default 1: one Streamlit, no nginx)")
    p.add_argument("--port", type=_whole_number(1, 65535), default=8501, help="port students open (default 8501)")
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for a classroom network)")


def main(argv=None) -> int:
    from .data import DataError
    from .errors import InputError, TrainingError
    from .headlines import HeadlinesError
    from .runs import RunStoreError
    from .serve import ServeError
    from .text_file import TextFileError
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        args.func(args)
    except (UsageError, ConfigError, DataError, RunStoreError, InputError, TrainingError, TextFileError,
            HeadlinesError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"rnnlab: error: {message}", file=sys.stderr)
        return 2
    except ServeError as exc:
        print(f"rnnlab: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rnnlab: interrupted", file=sys.stderr)
        return 130
    return 0
