"""Explore's linked views without Streamlit: the one-axis figures, the chosen word's mark,
the one-click edits and the nearest word in an embedding."""
from __future__ import annotations

import numpy as np
import pytest

from rnnlab import charts
from rnnlab.analysis import edits
from rnnlab.config import CLASS_NAMES
from rnnlab.tracedata import LayerTrace, TokenInfo, Trace
from test_charts import _font_sizes_in, _fonts

WORDS = ["oil", "<b>soars</b>", "again"]


def _figure(selected=None):
    rng = np.random.default_rng(0)
    return charts.step_by_step(rng.dirichlet(np.ones(4), size=3), rng.random(3), np.array([0.2, -0.1, 0.4]),
                               rng.normal(size=(3, 5)), WORDS, selected=selected)


def _marks(fig) -> list:
    return [s for s in fig.layout.shapes if s.name == charts.SELECTED_SHAPE]


def test_every_row_of_the_step_figure_hovers_together_on_one_token_axis():
    fig = _figure()
    assert fig.layout.hoversubplots == "axis" and fig.layout.hovermode.startswith("x")
    assert {t.xaxis or "x" for t in fig.data} == {"x"}                     # one axis, not matched copies
    assert {t.yaxis for t in fig.data} == {"y", "y2", "y3", "y4"}
    assert [t.type for t in fig.data].count("heatmap") == 1
    domains = [fig.layout[f"yaxis{i or ''}"].domain for i in (0, 2, 3, 4)]
    assert all(a[0] > b[1] for a, b in zip(domains, domains[1:]))          # rows stacked, never overlapping
    assert list(fig.layout.xaxis.ticktext) == ["oil", "&lt;b&gt;soars&lt;/b&gt;", "again"]
    assert not _marks(fig)


def test_the_chosen_word_is_outlined_in_a_copy():
    fig = _figure()
    before = fig.to_json()
    marked = charts.mark_step(fig, 1)
    (shape,) = _marks(marked)
    assert (shape.x0, shape.x1, shape.xref, shape.yref, shape.y0, shape.y1) == (0.5, 1.5, "x", "paper", 0, 1)
    assert fig.to_json() == before                                         # the cached figure is untouched
    assert len(_marks(_figure(selected=2))) == 1 and not _marks(charts.mark_step(fig, None))
    heatmap = charts.mark_step(charts.state_heatmap(np.zeros((3, 4)), WORDS), 0)
    assert _marks(heatmap)[0].x0 == -0.5


def test_the_pinned_comparison_overlays_both_and_names_both_words_per_position():
    rng = np.random.default_rng(1)
    fig = charts.pinned_comparison(rng.dirichlet(np.ones(4), size=2), rng.dirichlet(np.ones(4), size=3),
                                   np.array([0.0, 0.7]), ["oil", "<i>up</i>"], WORDS, pinned_label="pinned")
    lines = [t for t in fig.data if t.type == "scatter"]
    assert len(lines) == 8 and sum(t.line.dash == "dash" for t in lines) == 4
    assert {t.name for t in lines if t.line.dash == "dash"} == {f"{c} (pinned)" for c in CLASS_NAMES}
    assert fig.layout.hoversubplots == "axis" and {t.xaxis or "x" for t in fig.data} == {"x"}
    assert list(fig.layout.xaxis.ticktext) == [
        "oil<br><i>oil</i>", "&lt;b&gt;soars&lt;/b&gt;<br><i>&lt;i&gt;up&lt;/i&gt;</i>", "again<br><i>–</i>"]


@pytest.mark.parametrize("fig", [_figure(1), charts.pinned_comparison(np.full((2, 4), 0.25), np.full((2, 4), 0.25),
                                                                       np.zeros(2), ["a", "b"], ["a", "c"])])
def test_linked_figures_are_readable_on_a_projector(fig):
    assert min(_fonts(fig)) >= 16
    projected = charts.for_projector(fig)
    assert min(_fonts(projected)) >= charts.PROJECTOR_MIN_FONT
    assert min(_font_sizes_in(projected.to_dict())) >= charts.PROJECTOR_MIN_FONT


def test_the_word_strip_frames_the_chosen_word_only():
    strip = charts.token_strip_html(WORDS, [0.1, 0.2, 0.3], "#0072B2", selected=1)
    assert strip.count('data-selected="true"') == 1
    assert 'data-selected="true"' in strip.split("&lt;b&gt;soars")[0].rsplit("<span", 1)[1]
    assert "data-selected" not in charts.token_strip_html(WORDS, [0.1, 0.2, 0.3], "#0072B2")


# -- edits -----------------------------------------------------------------------------

def test_text_edits():
    words = ["stocks", "slide", "as", "oil", "climbs"]
    assert edits.drop_word(words, 1) == "stocks as oil climbs"
    assert edits.reverse_words(words) == "climbs oil as slide stocks"
    assert edits.swap_word(words, 4, "rises") == "stocks slide as oil rises"
    with pytest.raises(IndexError):
        edits.drop_word(words, 5)
    with pytest.raises(IndexError):
        edits.swap_word(words, -1, "x")
    assert edits.most_important([0.1, np.nan, 0.5, 0.5, -1.0]) == 2        # the first of a tie; NaN never wins


def test_the_nearest_word_in_an_embedding_is_never_itself_padding_or_unk():
    vocab = ["", "[UNK]", "oil", "gas", "sport", "petrol"]
    emb = np.array([[1.0, 0.0], [1.0, 0.01], [1.0, 0.1], [0.9, 0.3], [0.0, 1.0], [0.5, 0.5]])
    found = edits.nearest_in_embedding(emb, vocab, 2)                       # padding and [UNK] are nearer
    assert (found.word, found.id) == ("gas", 3) and found.cosine == pytest.approx(
        emb[2] @ emb[3] / np.linalg.norm(emb[2]) / np.linalg.norm(emb[3]))
    assert edits.nearest_in_embedding(emb, vocab, 4).word == "petrol"
    assert edits.nearest_in_embedding(emb, vocab, 0) is None and edits.nearest_in_embedding(emb, vocab, 1) is None
    assert edits.nearest_in_embedding(emb, vocab, 6) is None
    emb[5] = 0.0
    assert edits.nearest_in_embedding(emb, vocab, 5) is None                # no direction to compare


def _trace(hidden: np.ndarray) -> Trace:
    n = len(hidden)
    tokens = [TokenInfo(f"w{i}", f"W{i}", i + 2, False) for i in range(n)]
    gates = {"forget_gate": np.full((n, 2), 0.25), "input_gate": np.arange(2 * n).reshape(n, 2) / 10,
             "cell": np.ones((n, 2))}
    layer = LayerTrace("rnn_1", "forward", "lstm", hidden, gates)
    back = LayerTrace("rnn_1", "backward", "lstm", -hidden, {})
    prefix = np.tile([0.1, 0.2, 0.3, 0.4], (n, 1))
    return Trace("r", "t", "t", tokens, False, 32, [layer, back], prefix, prefix[-1], "Sci/Tech",
                 {"occlusion": np.arange(n) / 10}, np.arange(n, dtype=float))


def test_step_numbers_and_the_state_difference():
    trace = _trace(np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]]))
    numbers = edits.step_numbers(trace, 1, trace.layers[0])
    assert (numbers.position, numbers.word, numbers.state_change) == (1, "W1", 1.0)
    assert numbers.attributions == {"occlusion": 0.1}
    assert numbers.gate_means == {"forget_gate": 0.25, "input_gate": pytest.approx(0.25)}   # gates only, no cell
    with pytest.raises(IndexError):
        edits.step_numbers(trace, 3, trace.layers[0])
    assert edits.last_forward(trace) is trace.layers[0]
    other = np.array([[0.0, 0.0], [0.0, 0.0]])
    assert edits.state_difference(other, trace.layers[0].hidden).tolist() == [0.0, 5.0]   # positions both have
