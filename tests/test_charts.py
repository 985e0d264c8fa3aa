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


def test_clickable_confusion_matrix_gives_each_cell_a_point_naming_it():
    m = np.array([[5, 1, 0, 0], [0, 6, 0, 0], [0, 0, 7, 0], [2, 0, 0, 8]])
    names = ["W", "S", "B", "T"]
    assert len(charts.confusion_matrix(m, names).data) == 1
    fig = charts.confusion_matrix(m, names, clickable=True)
    cells = fig.data[1]
    assert cells.type == "scatter" and len(cells.x) == 16
    for x, y, data in zip(cells.x, cells.y, cells.customdata):
        assert (names[data[0]], names[data[1]], data[2]) == (y, x, m[data[0], data[1]])
    point = {"x": "W", "y": "T", "customdata": list(cells.customdata[12])}       # as Streamlit reports a click
    assert charts.clicked_cell({"points": [point]}) == (3, 0)
    assert charts.clicked_cell({"points": []}) is None and charts.clicked_cell(None) is None
    assert charts.clicked_cell({"points": [{"x": "W"}, {"customdata": ["a", 1]}]}) is None


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


def _font_sizes_in(node, inside_font: bool = False) -> list[float]:
    """Every ``size`` of every ``*font`` dict in a figure spec (template included)."""
    if isinstance(node, list):
        return [s for item in node for s in _font_sizes_in(item, inside_font)]
    if not isinstance(node, dict):
        return []
    sizes = [node["size"]] if inside_font and isinstance(node.get("size"), (int, float)) else []
    return sizes + [s for key, value in node.items() if key != "size"
                    for s in _font_sizes_in(value, key.endswith("font"))]


@pytest.mark.parametrize("name", sorted(_all_figures()))
def test_projector_grows_every_font_of_a_copy(name):
    fig = _all_figures()[name]
    before = fig.to_json()
    projected = charts.for_projector(fig)
    sizes = _font_sizes_in(projected.to_dict())
    assert sizes and min(sizes) >= charts.PROJECTOR_MIN_FONT
    assert min(_fonts(projected)) >= charts.PROJECTOR_MIN_FONT
    assert projected.layout.uniformtext.minsize == charts.PROJECTOR_MIN_FONT   # bar labels never shrink
    assert fig.to_json() == before                   # the cached, shared figure is untouched
    assert min(_font_sizes_in(fig.to_dict())) < charts.PROJECTOR_MIN_FONT


# Colour-vision deficiency: Machado, Oliveira & Fernandes (2009), severity 1.0, applied to
# linear RGB. Each class colour must stay clearly apart from the others (CIE76 ΔE in Lab).
CVD = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
# ΔE 2.3 is a just-noticeable difference; 15 is far apart at a glance. The Okabe-Ito
# colours used stay above it (closest: 17, green and reddish purple for a deuteranope);
# Plotly's default red and green fall to 7 (see the test below).
MIN_DELTA_E = 15


def _linear_rgb(hex_colour: str) -> np.ndarray:
    srgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(f > (6 / 29) ** 3, np.cbrt(f), f / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair(colours, matrix) -> float:
    labs = [_lab(np.clip(matrix @ _linear_rgb(c), 0, 1)) for c in colours]
    return min(np.linalg.norm(a - b) for i, a in enumerate(labs) for b in labs[i + 1:])


@pytest.mark.parametrize("kind", sorted(CVD))
def test_class_colours_stay_apart_for_colour_blind_viewers(kind):
    assert _closest_pair(charts.CLASS_COLORS, CVD[kind]) >= MIN_DELTA_E
    assert _closest_pair(charts.CLASS_COLORS, np.eye(3)) >= MIN_DELTA_E


def test_the_colour_blind_check_catches_red_and_green():
    """Plotly's default red and green (as many charts use them) merge for a deuteranope."""
    assert _closest_pair(("#1f77b4", "#d62728", "#2ca02c"), np.eye(3)) >= MIN_DELTA_E
    assert _closest_pair(("#1f77b4", "#d62728", "#2ca02c"), CVD["deuteranopia"]) < MIN_DELTA_E


def test_figures_keep_the_projector_template_when_another_becomes_the_default(monkeypatch):
    """Importing Streamlit after this module made 'streamlit' plotly's default template:
    figures lost their projector-sized fonts (test_charts failed after test_runs)."""
    import plotly.io as pio
    monkeypatch.setattr(pio.templates, "default", "streamlit" if "streamlit" in pio.templates else "plotly")
    fig = charts.probability_bars(np.full(4, 0.25))
    assert min(_fonts(fig)) >= charts.FONT_SIZE - 4
    assert pio.templates.default == "rnnlab"


def test_small_states_get_their_own_scale():
    rng = np.random.default_rng(0)
    assert charts.readable_scale(np.tanh(rng.normal(0, 2, (12, 8)))) == 1.0            # a GRU's states: ±1
    small = rng.uniform(-0.1, 0.1, (40, 20))
    small[0, 0] = 0.9                                                                   # one outlier saturates
    top = charts.readable_scale(small)
    assert 0.09 < top <= 0.11 and round(top, 2) == top
    assert charts.readable_scale(np.zeros((3, 4))) == charts.reading.SCALE_FLOOR
    assert charts.readable_scale(np.full((2, 2), np.nan)) == 1.0


def test_state_scale_says_so_in_the_colour_bar_in_both_languages(monkeypatch):
    import streamlit as st
    from rnnlab_app import results
    values = np.linspace(-0.115, 0.115, 200).reshape(20, 10)
    for lang, expected in (("en", "Value · scale ±0.12, not ±1"), ("nb", "Verdi · skala ±0,12, ikke ±1")):
        monkeypatch.setattr(st, "session_state", {"lang": lang})
        top, label = results.state_scale(values)
        assert (top, label) == (0.12, expected)
        fig = charts.state_heatmap(values, [str(i) for i in range(20)], value_label=label, zmax=top)
        assert fig.data[0].zmax == 0.12 and fig.data[0].colorbar.title.text == expected
    assert results.state_scale(np.tanh(np.linspace(-3, 3, 40)).reshape(8, 5))[1] == "Verdi"


def test_pca_word_labels_never_overlap():
    """A path that dwells in one place (the same state six times) and crowds its words."""
    rng = np.random.default_rng(3)
    crowd = rng.normal(0, 0.02, (14, 2))
    points = np.vstack([crowd, np.repeat([[0.5, 0.5]], 6, axis=0), [[1.0, -1.0]]])
    words = [f"word{i}" for i in range(len(points))]
    fig = charts.projection_path(points, words)
    path = next(t for t in fig.data if t.mode == "lines+markers+text")
    shown = [i for i, text in enumerate(path.text) if text]
    places = charts.reading.label_places(points, [charts.reading.shorten(w) for w in words],
                                         fig.layout.xaxis.range, fig.layout.yaxis.range)
    assert [i for i, p in enumerate(places) if p] == shown
    boxes = [places[i][1] for i in shown]
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not charts.reading._overlaps(boxes[a], boxes[b]), (shown[a], shown[b])
    assert sum(1 for i in range(14, 20) if path.text[i]) == 1        # one label where the path stands still
    assert path.text[-1] == "word20" and 0 in shown                   # an open spot keeps its label
    assert len(shown) < len(words) and list(path.customdata) == words  # the rest only in the hover
    assert list(path.textposition)[shown[0]] == "top center"


def test_memory_chart_names_at_most_sixteen_words_of_a_long_text():
    words = [f"w{i}" for i in range(45)]
    distances = list(range(44, -1, -1))
    fig = charts.memory_dependence(words, distances, np.ones(45), np.zeros(45))
    ticks = list(fig.layout.xaxis.tickvals)
    assert 0 in ticks and len(ticks) <= charts.words.MEMORY_TICKS
    assert all(text.endswith(f"w{44 - d}") for d, text in zip(ticks, fig.layout.xaxis.ticktext))
    narrow = charts.memory_dependence(words, distances, np.ones(45), np.zeros(45), max_ticks=8)
    assert len(narrow.layout.xaxis.tickvals) <= 8 and narrow.layout.xaxis.tickangle == 0
    short = charts.memory_dependence(words[:6], list(range(5, -1, -1)), np.ones(6), np.zeros(6))
    assert list(short.layout.xaxis.tickvals) == [5, 4, 3, 2, 1, 0]                # a headline names every word
