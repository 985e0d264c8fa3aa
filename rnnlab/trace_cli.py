"""``python -m rnnlab trace RUN "headline"``: the trace of one text, as a table or JSON."""
from __future__ import annotations

import json

from .config import CLASS_NAMES


def add_arguments(parser) -> None:
    parser.add_argument("run", help="a run id from `python -m rnnlab runs`")
    parser.add_argument("text", help="the headline to trace")
    parser.add_argument("--no-ig", dest="integrated_gradients", action="store_false",
                        help="skip the integrated-gradients attribution (faster)")


def cmd_trace(args) -> None:
    from .runs import RunStore
    from .analysis.trace import Tracer
    run = RunStore().load(args.run)
    trace = Tracer(run).trace(args.text, integrated_gradients=args.integrated_gradients)
    if args.json:
        print(json.dumps(trace.to_dict(), ensure_ascii=False, allow_nan=False))
        return
    print(format_table(trace))


def format_table(trace) -> str:
    """Token, top class after the token (that prefix alone), its probability, attributions."""
    frame = trace.to_frame()
    ig = "integrated_gradients" in trace.attributions
    width = max([5, *(len(t) for t in frame["token"])])
    width = min(width, 30)
    header = f"{'#':>3}  {'token':<{width}}  {'top class after token':<21}  {'prob':>5}  {'occlusion':>9}"
    if ig:
        header += f"  {'int. grad.':>10}"
    lines = [f"run {trace.run_id}: {trace.predicted_class} "
             f"({', '.join(f'{name} {p:.3f}' for name, p in zip(CLASS_NAMES, trace.probabilities))})",
             f"cleaned: {trace.cleaned}"]
    if trace.truncated:
        lines.append(f"note: the text is longer than the model's {trace.max_length} tokens; "
                     f"only the first {trace.max_length} are read")
    lines += [header, "-" * len(header)]
    for row in frame.itertuples(index=False):
        token = row.token if len(row.token) <= width else row.token[: width - 1] + "…"
        if row.unknown:
            token = f"{token}?" if len(token) < width else token
        line = (f"{row.position:>3}  {token:<{width}}  {row.top_class:<21}  {row.top_probability:5.3f}  "
                f"{row.occlusion:+9.4f}")
        if ig:
            line += f"  {row.integrated_gradients:+10.4f}"
        lines.append(line)
    if any(t.unknown for t in trace.tokens):
        lines.append("? = not in the vocabulary, read as [UNK]")
    return "\n".join(lines)
