"""rnnlab.charts: pure figure builders — one colour per class, projector-sized text,
diverging states centred on 0, gates on 0..1, and typed words never rendered as HTML."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnlab import charts
from rnnlab.config import CLASS_NAMES

WORDS = ["oil", "prices", "<b>soar</b>", "oil"]   # a repeated word and an HTML-looking one


def _fonts(fig: go.Figure) -> list[int]:
    """Every font size the figure shows: set in the figure, else by its template."""
    layout = fig.to_plotly_json()["layout"]
    template = layout["template"]["layout"]
    sizes = [layout.get("font", template["font"])["size"]]
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            default = template[key[:5]]
            sizes += [value.get("tickfont", default["tickfont"])["size"],
                      value.get("title", {}).get("font", default["title"]["font"])["size"]]
    annotations = layout.get("annotations", [])
    sizes += [a.get("font", template["annotationdefaults"]["font"])["size"] for a in annotations]
    return sizes


def _all_figures():
    rng = np.random.default_rng(0)
    prefix = rng.dirichlet(np.ones(4), size=len(WORDS))
    demo = {"masked": {"probabilities": rng.dirichlet(np.ones(4), size=6), "state_drift": np.zeros(6)},
            "unmasked": {"probabilities": rng.dirichlet(np.ones(4), size=6), "state_drift": np.linspace(0, 1, 6)}}
    return {
        "curves": charts.training_curves([{"samples": 32 * i, "loss": 1.4 - 0.1 * i, "accuracy": 0.25 + 0.05 * i,
                                           "epoch": 1} for i in range(1, 6)],
                                         [{"epoch": 1, "val_loss": 1.0, "val_accuracy": 0.5}]),
        "confusion": charts.confusion_matrix(np.eye(4, dtype=int) * 10 + 1),
        "probs": charts.probability_bars(prefix[-1]),
        "heatmap": charts.state_heatmap(rng.normal(size=(len(WORDS), 8)), WORDS),
        "prefix": charts.prefix_probabilities(prefix, WORDS),
        "change": charts.state_change(rng.random(len(WORDS)), WORDS),
        "pca": charts.projection_path(rng.normal(size=(len(WORDS), 2)), WORDS,
                                      centroids=[(0, 1), (1, 0), None, (-1, -1)]),
        "padding": charts.padding_demo(demo),
        "drift": charts.padding_drift_compare([{"label": "A", "drift": np.zeros(6), "masking": True},
                                               {"label": "B <i>x</i>", "drift": np.ones(6), "masking": False}]),
        "side": charts.padding_side_by_side([
            {"title": "A <i>x</i>", "probabilities": rng.dirichlet(np.ones(4), size=6), "masking": False},
            {"title": "B", "probabilities": rng.dirichlet(np.ones(4), size=6), "masking": True}]),
        "balance": charts.class_balance({"train": [10, 11, 12, 13], "test": [5, 5, 5, 5]}),
        "lengths": charts.length_histogram([3, 5, 8, 40, 12], [0, 1, 2, 3, 0], max_length=32),
        "padshare": charts.padding_comparison([{"label": "plain", "padding": 0.4}, {"label": "bucketed", "padding": 0.01}]),
    }


@pytest.mark.parametrize("name", list(_all_figures()))
def test_every_figure_is_readable_on_a_projector(name):
    fig = _all_figures()[name]
    assert isinstance(fig, go.Figure)
    assert min(_fonts(fig)) >= 16
    fig.to_json()                                   # serialisable as Streamlit sends it


def test_one_colour_per_class_everywhere():
    figs = _all_figures()
    probs = figs["probs"].data[0]
    assert list(probs.marker.color) == list(charts.CLASS_COLORS)
    for fig in (figs["prefix"], figs["balance"]):
        colours = {t.name: (t.line.color if t.type == "scatter" else t.marker.color) for t in fig.data}
        assert [colours[n] for n in CLASS_NAMES] == list(charts.CLASS_COLORS)
    padding = {t.name: t.line.color for t in figs["padding"].data if t.name in CLASS_NAMES}
    assert [padding[n] for n in CLASS_NAMES] == list(charts.CLASS_COLORS)
    assert len(set(charts.CLASS_COLORS)) == 4


def test_state_heatmap_is_diverging_around_zero_with_hover():
    values = np.array([[0.5, -2.0], [1.0, 0.0], [0.1, 0.2]])
    fig = charts.state_heatmap(values, ["a", "b", "a"])
    trace = fig.data[0]
    assert trace.zmid == 0 and trace.zmin == -2.0 and trace.zmax == 2.0
    assert np.asarray(trace.z).shape == (2, 3)             # units x tokens
    assert list(fig.layout.xaxis.ticktext) == ["a", "b", "a"] and list(fig.layout.xaxis.tickvals) == [0, 1, 2]
    for part in ("Unit", "Token", "Value"):
        assert part in trace.hovertemplate
    fixed = charts.state_heatmap(values, ["a", "b", "a"], zmax=1.0).data[0]
    assert (fixed.zmin, fixed.zmax) == (-1.0, 1.0)


def test_gates_use_zero_to_one():
    trace = charts.state_heatmap(np.full((2, 3), 0.5), ["x", "y"], kind="gate").data[0]
    assert (trace.zmin, trace.zmax) == (0.0, 1.0) and trace.zmid is None


def test_heatmap_checks_its_shapes():
    with pytest.raises(ValueError):
        charts.state_heatmap(np.zeros((3, 2)), ["only", "two"])
    with pytest.raises(ValueError):
        charts.state_heatmap(np.zeros(3), ["a", "b", "c"])


def test_typed_words_are_escaped_for_plotly():
    figs = _all_figures()
    for name in ("heatmap", "prefix", "change"):
        fig = figs[name]
        assert "&lt;b&gt;soar&lt;/b&gt;" in list(fig.layout.xaxis.ticktext)
        assert not any("<b>" in str(t) for t in fig.layout.xaxis.ticktext)
    pca = figs["pca"]
    path = next(t for t in pca.data if t.mode == "lines+markers+text")
    assert "&lt;b&gt;soar&lt;/b&gt;" in list(path.text) and "&lt;b&gt;soar&lt;/b&gt;" in list(path.customdata)
    assert figs["drift"].data[1].name == "B &lt;i&gt;x&lt;/i&gt;"


def test_token_strip_escapes_every_word():
    html = charts.token_strip_html(["<script>alert(1)</script>", 'a"b', "fine"], [0.5, -0.2, 0.0],
                                   charts.CLASS_COLORS[1], unknown=[False, True, False])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<span") == 3 and html.count("<") == html.count("</") * 2   # only our own tags
    assert html.count("dashed") == 1                        # the unknown word
    assert "rgba(0,158,115," in html                        # Sports' colour for the positive word


def test_attribution_colours_scale_with_magnitude():
    colours = charts.attribution_colors([1.0, 0.5, -1.0, 0.0], "#0072B2")
    alphas = [float(c.rsplit(",", 1)[1].rstrip(")")) for c in colours]
    assert alphas[0] > alphas[1] > alphas[3] and alphas[2] == alphas[0]
    assert colours[2].startswith("rgba(120,120,120")      # negative: grey
    assert charts.attribution_colors([0.0, 0.0], "#0072B2") == ["rgba(0,114,178,0.08)"] * 2


def test_curves_put_validation_at_the_end_of_each_epoch():
    curve = [{"samples": s, "loss": 1.0, "accuracy": 0.5, "epoch": e} for s, e in ((10, 1), (20, 1), (30, 2), (40, 2))]
    fig = charts.training_curves(curve, [{"epoch": 1, "val_loss": 0.9, "val_accuracy": 0.6},
                                         {"epoch": 2, "val_loss": 0.8, "val_accuracy": 0.7}])
    validation = [t for t in fig.data if t.legendgroup == "validation"]
    assert list(validation[0].x) == [20, 40] and list(validation[1].y) == [0.6, 0.7]
    assert charts.training_curves([], []).data           # empty while preparing: still a figure


def test_confusion_matrix_rows_are_true_classes():
    m = np.array([[5, 1, 0, 0], [0, 6, 0, 0], [0, 0, 7, 0], [2, 0, 0, 8]])
    trace = charts.confusion_matrix(m).data[0]
    assert trace.customdata[3][0] == 2 and "2<br>(20%)" == trace.text[3][0]


def test_padding_side_by_side_has_a_panel_per_run():
    fig = _all_figures()["side"]
    assert [a.text for a in fig.layout.annotations] == ["A &lt;i&gt;x&lt;/i&gt;", "B"]     # titles, escaped
    dashes = {t.xaxis: t.line.dash for t in fig.data}
    assert dashes == {"x": "dash", "x2": "solid"}                  # unmasked dashed, masked solid
    assert [t.name for t in fig.data if t.showlegend] == list(CLASS_NAMES)


def test_token_strip_marks_each_words_source_and_keeps_words_as_text():
    html_out = charts.token_strip_html(WORDS, [0.1, -0.2, 0.3, 0.0], "#0072B2",
                                       sources=["trained", "pretrained", "unknown", "trained"],
                                       source_labels={"pretrained": "only from <GloVe>"})
    assert [html_out.count(f'data-source="{s}"') for s in ("trained", "pretrained", "unknown")] == [2, 1, 1]
    assert "<span>&lt;b&gt;soar&lt;/b&gt;</span>" in html_out and "<b>" not in html_out
    assert "only from &lt;GloVe&gt;" in html_out
    assert "data-source" not in charts.token_strip_html(WORDS, [0.1, -0.2, 0.3, 0.0], "#0072B2")
