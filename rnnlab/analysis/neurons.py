"""Where one unit's hidden state is highest and lowest over a sample of test titles (as LSTMVis does)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import TraceError
from ..reference import forward
from ..tracedata import NeuronContext, NeuronContexts
from .samples import sample_test_titles

NEURON_SAMPLE_SIZE = 1000
NEURON_SEED = 7
UNK_ID = 1
# Tokens that say where a headline came from, or are left of the crawl's escapes, rather
# than what it says: a unit that fires on "(AFP)" in every third title fills its list with
# «afp» and teaches nothing, so its contexts skip them (the unit's value there still counts
# for the ranking of the rest).
SOURCE_TAGS = frozenset({
    "afp", "ap", "reuters", "cp", "ft", "upi", "dpa", "xinhua", "ians", "pti", "aap",
    "usatoday", "usatodaycom", "washingtonpost", "washingtonpostcom", "forbes", "forbescom", "newsfactor",
    "spacecom", "techweb", "eweek", "zdnet", "cnet", "pcworld", "com", "quot", "amp", "lt", "gt", "39", "36",
    "151", "150", "http", "www",
})


@dataclass(frozen=True)
class _StateSample:
    """Every hidden state of every layer and direction over the sample, one row per token read."""

    titles: list[str]
    tokens: list[list[str]]
    positions: np.ndarray                               # (S, 2): title index, token position
    states: dict[tuple[str, str], np.ndarray]           # (layer, direction) -> (S, units)


def neuron_contexts(tracer, layer: str, direction: str, unit: int, n: int = 8, window: int = 3) -> NeuronContexts:
    """Up to ``n`` distinct contexts where ``unit`` is highest (``top``) and lowest (``bottom``):
    the token with ``window`` neighbours either side."""
    lw = next((lw for lw in tracer.weights.layers if lw.name == layer), None)
    if lw is None:
        raise TraceError(f"no layer {layer!r}; this run has {', '.join(tracer.layer_names)}")
    if direction not in lw.directions:
        raise TraceError(f"layer {layer} has no {direction!r} direction; it has {', '.join(lw.directions)}")
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < lw.units:
        raise TraceError(f"unit must be a whole number from 0 to {lw.units - 1}, got {unit!r}")
    if not 1 <= n <= 1000 or not 0 <= window <= 50:
        raise TraceError("n must be from 1 to 1000 and window from 0 to 50")
    sample = tracer.cached("neuron_sample", lambda: state_sample(
        tracer, sample_test_titles(NEURON_SAMPLE_SIZE, NEURON_SEED)[0]))
    values = sample.states[(layer, direction)][:, int(unit)]
    order = np.argsort(values, kind="stable")
    return NeuronContexts(layer, direction, int(unit), _pick(sample, values, order[::-1], n, window),
                          _pick(sample, values, order, n, window), len(sample.titles), int(len(values)))


def shows_content(token: str) -> bool:
    """Whether a token is worth a context line: not a source tag nor punctuation-like."""
    return token.lower() not in SOURCE_TAGS and any(ch.isalnum() for ch in token)


def _pick(sample: _StateSample, values: np.ndarray, indices, n: int, window: int) -> list[NeuronContext]:
    """The first ``n`` contexts in ``indices`` order: one per headline (a title repeated in the
    sample counts once) and none centred on a source tag (see :data:`SOURCE_TAGS`)."""
    out, seen_titles, seen_contexts = [], set(), set()
    for k in indices:
        title, pos = sample.positions[k]
        tokens = sample.tokens[title]
        headline = " ".join(tokens)
        if headline in seen_titles or not shows_content(tokens[pos]):
            continue
        left = tokens[max(0, pos - window):pos]
        right = tokens[pos + 1:pos + 1 + window]
        context = " ".join([*left, f"«{tokens[pos]}»", *right])
        if context in seen_contexts:
            continue
        seen_titles.add(headline)
        seen_contexts.add(context)
        out.append(NeuronContext(context, tokens[pos], float(values[k]), sample.titles[title], int(pos),
                                 " ".join(left), " ".join(right)))
        if len(out) == n:
            break
    return out


def state_sample(tracer, titles: list[str]) -> _StateSample:
    """The hidden states of ``titles`` from the numpy reference cells, batched by similar length."""
    ids = tracer.token_ids(titles)
    lengths = np.array([len(r) for r in ids])
    states: dict[tuple[str, str], list[np.ndarray]] = {}
    order = np.argsort(lengths, kind="stable")
    positions = []
    for start in range(0, len(order), 256):
        index = order[start:start + 256]
        width = lengths[index].max()
        batch = np.zeros((len(index), width), dtype=np.int64)
        for j, i in enumerate(index):
            batch[j, :lengths[i]] = ids[i]
        runs, _ = forward(tracer.weights, batch, lengths=lengths[index], internals=False)
        valid = np.arange(width)[None, :] < lengths[index][:, None]
        rows, cols = np.nonzero(valid)
        positions.append(np.stack([index[rows], cols], axis=1))
        for run in runs:
            for direction, cell_run in run.directions.items():
                states.setdefault((run.weights.name, direction), []).append(cell_run.hidden[valid].astype(np.float32))
    tokens = [[tracer.vocabulary[i] if i != UNK_ID else "[UNK]" for i in row] for row in ids]
    return _StateSample(titles, tokens, np.concatenate(positions), {k: np.concatenate(v) for k, v in states.items()})
