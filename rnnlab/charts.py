"""Plotly figures for the web app: pure functions from numbers to figures, no Streamlit.

Every chart shares one look that reads on a projector (large fonts, few lines, no
clutter) and one colour per class (:data:`CLASS_COLORS`, the Okabe-Ito palette, safe
for colour-blind viewers). Hidden and cell states use a diverging scale centred on 0
(blue negative, white 0, red positive); gates, which live between 0 and 1, use a
sequential scale from 0 to 1.

Texts on the charts (titles, axis names, class names) are passed in by the caller, so
the app can translate them; the defaults are English.
"""
from __future__ import annotations

import html
import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from .config import CLASS_NAMES
from .vocabulary import MARKS

# One colour per class, everywhere: World, Sports, Business, Sci/Tech.
CLASS_COLORS = ("#0072B2", "#009E73", "#E69F00", "#CC79A7")
STATE_SCALE = "RdBu_r"          # diverging: negative blue, 0 white, positive red
GATE_SCALE = "Viridis"          # sequential, 0..1
ACCENT = "#333333"
FONT_SIZE = 18                  # body text; titles are larger, never below 16
TITLE_SIZE = 22
FONT_FAMILY = "Source Sans, Source Sans Pro, Arial, sans-serif"   # Streamlit serves "Source Sans"


def class_color(index: int) -> str:
    return CLASS_COLORS[index % len(CLASS_COLORS)]


def _register_template() -> None:
    """Projector-sized text for every figure, as the default template (set once).

    Defaults live in a template rather than in each figure: naming a template or
    updating axes per figure costs plotly a validated deep copy each time, ~20 ms
    a figure, most of what drawing Explore cost for a new headline.
    """
    projector = go.layout.Template(layout=dict(
        font=dict(size=FONT_SIZE, family=FONT_FAMILY, color="#222"),
        hoverlabel=dict(font_size=FONT_SIZE),
        legend=dict(font=dict(size=FONT_SIZE)),
        xaxis=dict(title_font=dict(size=FONT_SIZE), tickfont=dict(size=16)),
        yaxis=dict(title_font=dict(size=FONT_SIZE), tickfont=dict(size=16)),
        annotationdefaults=dict(font=dict(size=FONT_SIZE)),
    ))
    pio.templates["rnnlab"] = pio.templates.merge_templates("plotly_white", projector)   # merged once
    pio.templates.default = "rnnlab"


_register_template()


def style(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    """The common projector-friendly layout (fonts come from the default template).

    Importing Streamlit makes its own template plotly's default; when that happened after
    this module was imported (tests, scripts), the figure is moved to ours once and ours
    becomes the default again, so every later figure starts right.
    """
    if pio.templates.default != "rnnlab":
        pio.templates.default = "rnnlab"
        fig.update_layout(template="rnnlab")
    fig.update_layout(
        title=dict(text=title, font=dict(size=TITLE_SIZE)) if title else None,
        margin=dict(l=70, r=30, t=70 if title else 30, b=60),
        **({"height": height} if height else {}),
    )
    return fig


PROJECTOR_MIN_FONT = 20          # px: the smallest chart text in projector mode
PROJECTOR_SCALE = 1.25


def for_projector(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` for a classroom projector: every font (titles, axes, ticks,
    legends, labels on bars and points, colour bars, hover labels) grown by a quarter
    and never below :data:`PROJECTOR_MIN_FONT`. The figure itself is left alone: figures
    are cached and shared by everyone on the server."""
    spec = fig.to_dict()
    _grow_fonts(spec, inside_font=False)
    # Plotly shrinks text inside bars to fit them; on a projector it stays readable.
    spec.setdefault("layout", {})["uniformtext"] = {"minsize": PROJECTOR_MIN_FONT, "mode": "show"}
    return go.Figure(spec)


def _grow_fonts(node, inside_font: bool) -> None:
    """Grow every ``size`` of every ``*font`` dict in a figure spec, in place."""
    if isinstance(node, list):
        for item in node:
            _grow_fonts(item, inside_font)
        return
    if not isinstance(node, dict):
        return
    if inside_font and "size" in node:
        node["size"] = _grown(node["size"])
    for key, value in node.items():
        if key != "size":
            _grow_fonts(value, key.endswith("font"))


def _grown(size):
    if isinstance(size, (list, tuple)):
        return [_grown(s) for s in size]
    if isinstance(size, (int, float)):
        return max(PROJECTOR_MIN_FONT, round(size * PROJECTOR_SCALE, 1))
    return size


def _token_axis(fig: go.Figure, words: Sequence[str], row=None, col=None, angle_from: int = 12) -> None:
    """Positions on the x axis, labelled with the words (words can repeat, positions can't)."""
    kwargs = {} if row is None else dict(row=row, col=col)
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(words))), ticktext=[_short(w) for w in words],
                     tickangle=-45 if len(words) > angle_from else 0, **kwargs)


def _short(word: str, limit: int = 14) -> str:
    """A word cut to ``limit`` characters and escaped for Plotly."""
    return esc(word if len(word) <= limit else word[: limit - 1] + "…")


def esc(text: str) -> str:
    """Text made inert for Plotly, which renders tags such as <b>, <i>, <a href> and <br>
    in titles, tick labels, hover labels and point texts."""
    return html.escape(str(text), quote=False)


def _escaped(words: Sequence[str]) -> list[str]:
    return [esc(w) for w in words]


def _finite(values) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr), arr, np.nan)


# -- training --------------------------------------------------------------------------

def training_curves(curve: Sequence[dict], epochs: Sequence[dict], *, title: str | None = None,
                    loss: str = "Loss", accuracy: str = "Accuracy", samples: str = "Headlines seen",
                    train: str = "training", validation: str = "validation") -> go.Figure:
    """Loss and accuracy while training: a running line per batch, a dot per epoch on validation.

    ``curve``: dicts with ``samples``, ``loss``, ``accuracy`` (and ``epoch``); ``epochs``:
    dicts with ``epoch``, ``val_loss``, ``val_accuracy``. The validation dot of an epoch
    sits at the number of headlines seen when that epoch ended.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=(loss, accuracy), horizontal_spacing=0.12)
    xs = [p["samples"] for p in curve]
    end_of_epoch = {}
    for p in curve:
        end_of_epoch[p.get("epoch", 1)] = max(end_of_epoch.get(p.get("epoch", 1), 0), p["samples"])
    for col, key, val_key in ((1, "loss", "val_loss"), (2, "accuracy", "val_accuracy")):
        fig.add_trace(go.Scatter(x=xs, y=_finite([p[key] for p in curve]), mode="lines", name=train,
                                 line=dict(color=CLASS_COLORS[0], width=3), legendgroup="train",
                                 showlegend=col == 1), row=1, col=col)
        points = [(end_of_epoch.get(e["epoch"], 0), e.get(val_key)) for e in epochs if e.get(val_key) is not None]
        if points:
            fig.add_trace(go.Scatter(x=[p[0] for p in points], y=_finite([p[1] for p in points]),
                                     mode="lines+markers", name=validation, legendgroup="validation",
                                     marker=dict(size=14, color=CLASS_COLORS[2], symbol="diamond"),
                                     line=dict(color=CLASS_COLORS[2], width=2, dash="dot"),
                                     showlegend=col == 1), row=1, col=col)
        fig.update_xaxes(title_text=samples, row=1, col=col, rangemode="tozero")
    losses = [v for v in _finite([p["loss"] for p in curve] + [e.get("val_loss") for e in epochs
                                                               if e.get("val_loss") is not None]) if np.isfinite(v)]
    fig.update_yaxes(range=[0, max(losses) * 1.1 if losses else 1.5], row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    style(fig, title, height=380)
    fig.update_layout(legend=dict(orientation="h", y=-0.3, x=0.5, xanchor="center"))
    return fig


def confusion_matrix(matrix, class_names: Sequence[str] = CLASS_NAMES, *, title: str | None = None,
                     true_label: str = "True class", predicted_label: str = "Predicted class",
                     count_label: str = "Headlines") -> go.Figure:
    """Counts with the true class on rows and the predicted class on columns."""
    m = np.asarray(matrix, dtype=int)
    names = list(class_names)
    totals = m.sum(axis=1, keepdims=True)
    share = np.divide(m, totals, out=np.zeros(m.shape, dtype=float), where=totals > 0)
    text = [[f"{m[i, j]:,}<br>({share[i, j]:.0%})" for j in range(m.shape[1])] for i in range(m.shape[0])]
    fig = go.Figure(go.Heatmap(
        z=share, x=names, y=names, text=text, texttemplate="%{text}", textfont=dict(size=FONT_SIZE),
        colorscale="Blues", zmin=0, zmax=1, showscale=False,
        customdata=m, hovertemplate=f"{true_label}: %{{y}}<br>{predicted_label}: %{{x}}<br>"
                                    f"{count_label}: %{{customdata:,}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text=true_label)
    fig.update_xaxes(title_text=predicted_label, side="bottom")
    return style(fig, title, height=460)


# -- one prediction --------------------------------------------------------------------

def probability_bars(probabilities, class_names: Sequence[str] = CLASS_NAMES, *, title: str | None = None,
                     axis_label: str = "Probability") -> go.Figure:
    """One horizontal bar per class in its colour, labelled with its percentage."""
    p = _finite(probabilities)
    names = list(class_names)
    fig = go.Figure(go.Bar(
        x=p, y=names, orientation="h", marker_color=[class_color(i) for i in range(len(names))],
        text=[f"{v:.0%}" if math.isfinite(v) else "" for v in p], textposition="outside",
        textfont=dict(size=FONT_SIZE), hovertemplate="%{y}: %{x:.1%}<extra></extra>", cliponaxis=False))
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", title_text=axis_label)
    fig.update_yaxes(autorange="reversed")
    return style(fig, title, height=260)


def state_heatmap(values, words: Sequence[str], *, title: str | None = None, kind: str = "state",
                  unit_label: str = "Unit", token_label: str = "Token", value_label: str = "Value",
                  zmax: float | None = None, angle_from: int = 12) -> go.Figure:
    """Units (rows) by tokens (columns); hover gives unit, token and value.

    ``kind="state"`` uses the diverging scale centred on 0 (symmetric range);
    ``kind="gate"`` uses the sequential scale from 0 to 1.
    """
    z = _finite(values)
    if z.ndim != 2:
        raise ValueError(f"values must be 2-D (tokens, units), got shape {z.shape}")
    n_tokens, n_units = z.shape
    if n_tokens != len(words):
        raise ValueError(f"{len(words)} words for {n_tokens} tokens")
    grid = z.T  # rows = units
    safe = _escaped(words)
    custom = np.array([[safe[t] for t in range(n_tokens)] for _ in range(n_units)], dtype=object)
    if kind == "gate":
        scale, zmin, top, mid = GATE_SCALE, 0.0, 1.0, None
    else:
        finite = np.abs(grid[np.isfinite(grid)])
        top = zmax if zmax is not None else (float(finite.max()) if finite.size and finite.max() > 0 else 1.0)
        scale, zmin, mid = STATE_SCALE, -top, 0.0
    fig = go.Figure(go.Heatmap(
        z=grid, x=list(range(n_tokens)), y=list(range(n_units)), customdata=custom,
        colorscale=scale, zmin=zmin, zmax=top, zmid=mid,
        colorbar=dict(title=dict(text=value_label, side="right"), thickness=18, tickfont=dict(size=16)),
        hovertemplate=f"{unit_label} %{{y}}<br>{token_label} %{{x}}: %{{customdata}}<br>"
                      f"{value_label} %{{z:.3f}}<extra></extra>",
        xgap=1 if n_tokens <= 40 else 0, ygap=1 if n_units <= 32 else 0))
    _token_axis(fig, words, angle_from=angle_from)
    fig.update_yaxes(title_text=unit_label, autorange="reversed",
                     dtick=1 if n_units <= 16 else (4 if n_units <= 64 else 16))
    height = int(min(900, max(300, 140 + 14 * n_units + (60 if n_tokens > 12 else 0))))
    return style(fig, title, height=height)


def prefix_probabilities(prefix, words: Sequence[str], class_names: Sequence[str] = CLASS_NAMES, *,
                         title: str | None = None, token_label: str = "After reading",
                         probability_label: str = "Probability", angle_from: int = 12) -> go.Figure:
    """The class probabilities after each token: how the prediction forms while reading."""
    p = _finite(prefix)
    fig = go.Figure()
    for c, name in enumerate(class_names):
        fig.add_trace(go.Scatter(
            x=list(range(len(words))), y=p[:, c], mode="lines+markers", name=name,
            line=dict(color=class_color(c), width=4), marker=dict(size=9),
            customdata=_escaped(words), hovertemplate=f"{name}<br>%{{customdata}}: %{{y:.1%}}<extra></extra>"))
    _token_axis(fig, words, angle_from=angle_from)
    fig.update_xaxes(title_text=token_label)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", title_text=probability_label)
    style(fig, title, height=400)
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig


def state_change(values, words: Sequence[str], *, title: str | None = None, token_label: str = "Token",
                 value_label: str = "How much the state moved") -> go.Figure:
    """One bar per token: how far reading it moved the hidden state."""
    v = _finite(values)
    fig = go.Figure(go.Bar(x=list(range(len(words))), y=v, marker_color=ACCENT, customdata=_escaped(words),
                           hovertemplate="%{customdata}: %{y:.3f}<extra></extra>"))
    _token_axis(fig, words)
    fig.update_xaxes(title_text=token_label)
    fig.update_yaxes(title_text=value_label, rangemode="tozero")
    return style(fig, title, height=360)


def projection_path(points, words: Sequence[str], *, title: str | None = None, background=None,
                    background_labels=None, centroids=None, class_names: Sequence[str] = CLASS_NAMES,
                    centroid_label: str = "typical {cls} headline",
                    x_label: str = "Direction 1", y_label: str = "Direction 2",
                    path_label: str = "This headline", start_label: str = "start",
                    end_label: str = "end") -> go.Figure:
    """The headline's path through the run's PCA plane, one labelled point per token.

    ``background`` (N, 2) with ``background_labels`` (N,) draws final states of other
    headlines in their class colours; ``centroids`` (one (x, y) or None per class) marks
    where a typical headline of each class ends, so the end of the path can be read
    against them.
    """
    xy = _finite(points)
    fig = go.Figure()
    if centroids is not None:
        for c, name in enumerate(class_names):
            point = centroids[c] if c < len(centroids) else None
            if point is None:
                continue
            fig.add_trace(go.Scatter(
                x=[point[0]], y=[point[1]], mode="markers+text", name=centroid_label.format(cls=name),
                text=[name], textposition="bottom center", textfont=dict(size=FONT_SIZE, color=class_color(c)),
                marker=dict(size=26, color=class_color(c), opacity=0.85, symbol="square",
                            line=dict(color="white", width=2)), showlegend=False,
                hovertemplate=f"{centroid_label.format(cls=name)}<extra></extra>"))
    if background is not None and len(background):
        bg = _finite(background)
        labels = np.asarray(background_labels if background_labels is not None else np.zeros(len(bg)), int)
        for c, name in enumerate(class_names):
            sel = labels == c
            if sel.any():
                fig.add_trace(go.Scattergl(x=bg[sel, 0], y=bg[sel, 1], mode="markers", name=name,
                                           marker=dict(size=6, color=class_color(c), opacity=0.35),
                                           hoverinfo="skip"))
    if len(xy):
        fig.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], mode="lines+markers+text", name=path_label,
            text=[_short(w) for w in words], textposition="top center", textfont=dict(size=16),
            line=dict(color=ACCENT, width=3), marker=dict(size=10, color=ACCENT),
            customdata=_escaped(words), hovertemplate="%{customdata}<br>(%{x:.2f}, %{y:.2f})<extra></extra>"))
        fig.add_trace(go.Scatter(x=[xy[0, 0]], y=[xy[0, 1]], mode="markers", name=start_label,
                                 marker=dict(size=18, symbol="circle-open", color=ACCENT, line=dict(width=3)),
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=[xy[-1, 0]], y=[xy[-1, 1]], mode="markers", name=end_label,
                                 marker=dict(size=20, symbol="star", color=ACCENT), hoverinfo="skip"))
    fig.update_xaxes(title_text=x_label, zeroline=True)
    fig.update_yaxes(title_text=y_label, zeroline=True)
    style(fig, title, height=560)
    fig.update_layout(legend=dict(orientation="h", y=-0.2, x=0.5, xanchor="center"))
    return fig


def padding_demo(demo: dict, class_names: Sequence[str] = CLASS_NAMES, *, title: str | None = None,
                 masked_label: str = "with masking", unmasked_label: str = "without masking",
                 pads_label: str = "Padding tokens added", probability_label: str = "Probability",
                 drift_label: str = "State drift", probability_title: str = "Class probabilities",
                 drift_title: str = "How far the final state moves") -> go.Figure:
    """What padding does to a headline, with and without masking.

    ``demo``: ``{"masked": {"probabilities": (P+1, 4), "state_drift": (P+1,)}, "unmasked": {...}}``.
    Solid lines are masked, dashed lines unmasked.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=(probability_title, drift_title), horizontal_spacing=0.12)
    variants = [(v, d, lab) for v, d, lab in (("masked", "solid", masked_label), ("unmasked", "dash", unmasked_label))
                if demo.get(v)]
    for variant, dash, label in variants:
        part = demo[variant]
        probs = _finite(part["probabilities"])
        pads = list(range(len(probs)))
        for c, name in enumerate(class_names):
            fig.add_trace(go.Scatter(x=pads, y=probs[:, c], mode="lines", name=name, legendgroup=name,
                                     line=dict(color=class_color(c), width=3, dash=dash),
                                     showlegend=variant == variants[0][0],
                                     hovertemplate=f"{name} ({label}): %{{y:.1%}}<extra></extra>"), row=1, col=1)
        drift = _finite(part["state_drift"])
        fig.add_trace(go.Scatter(x=pads, y=drift, mode="lines", name=label, legendgroup=variant,
                                 line=dict(color=ACCENT, width=3, dash=dash), showlegend=True,
                                 hovertemplate=f"{label}: %{{y:.3f}}<extra></extra>"), row=1, col=2)
    fig.update_xaxes(title_text=pads_label)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", title_text=probability_label, row=1, col=1)
    fig.update_yaxes(title_text=drift_label, rangemode="tozero", row=1, col=2)
    style(fig, title, height=460)
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0.5, xanchor="center"))
    return fig


def padding_side_by_side(panels: Sequence[dict], class_names: Sequence[str] = CLASS_NAMES, *,
                         pads_label: str = "Padding tokens added",
                         probability_label: str = "Probability") -> go.Figure:
    """Several runs' topic probabilities as padding is added, one panel per run, side by side.

    ``panels``: dicts with ``title`` (the run, shown above its panel), ``probabilities``
    (P+1, 4) and ``masking`` (solid lines if true, dashed if not). The y axis is shared.
    """
    n = max(1, len(panels))
    fig = make_subplots(rows=1, cols=n, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=[esc(p["title"]) for p in panels] or None)
    for i, panel in enumerate(panels, start=1):
        probs = _finite(panel["probabilities"])
        pads = list(range(len(probs)))
        dash = "solid" if panel.get("masking") else "dash"
        for c, name in enumerate(class_names):
            fig.add_trace(go.Scatter(x=pads, y=probs[:, c], mode="lines", name=name, legendgroup=name,
                                     line=dict(color=class_color(c), width=4, dash=dash), showlegend=i == 1,
                                     hovertemplate=f"{name}: %{{y:.1%}}<extra></extra>"), row=1, col=i)
        fig.update_xaxes(title_text=pads_label, row=1, col=i)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_yaxes(title_text=probability_label, row=1, col=1)
    style(fig, None, height=440)
    fig.update_layout(legend=dict(orientation="h", y=-0.3, x=0.5, xanchor="center"), margin=dict(t=60))
    return fig


def padding_drift_compare(series: Sequence[dict], *, title: str | None = None,
                          pads_label: str = "Padding tokens added", drift_label: str = "Drift") -> go.Figure:
    """Several runs in one chart: how far each one's final state drifts as padding is added.

    ``series``: dicts with ``label``, ``drift`` (P+1,) and ``masking`` (solid if true,
    dashed if not); lines are told apart by shade, not by class colour.
    """
    shades = ("#222222", "#777777", "#AAAAAA", "#444444")
    fig = go.Figure()
    for i, item in enumerate(series):
        drift = _finite(item["drift"])
        fig.add_trace(go.Scatter(x=list(range(len(drift))), y=drift, mode="lines+markers", name=esc(item["label"]),
                                 line=dict(color=shades[i % len(shades)], width=4,
                                           dash="solid" if item.get("masking") else "dash"),
                                 marker=dict(size=7, symbol=("circle", "square", "diamond", "triangle-up")[i % 4]),
                                 hovertemplate=f"{esc(item['label'])}: %{{y:.3f}}<extra></extra>"))
    fig.update_xaxes(title_text=pads_label)
    fig.update_yaxes(title_text=drift_label, rangemode="tozero")
    style(fig, title, height=400)
    fig.update_layout(legend=dict(orientation="h", y=-0.3, x=0.5, xanchor="center"))
    return fig


# -- data ------------------------------------------------------------------------------

def class_balance(counts: dict, class_names: Sequence[str] = CLASS_NAMES, *, title: str | None = None,
                  count_label: str = "Headlines") -> go.Figure:
    """Grouped bars: for each split (key of ``counts``) the number of rows per class."""
    fig = go.Figure()
    splits = list(counts)
    for c, name in enumerate(class_names):
        fig.add_trace(go.Bar(x=splits, y=[int(counts[s][c]) for s in splits], name=name,
                             marker_color=class_color(c), hovertemplate=f"{name}: %{{y:,}}<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=count_label)
    return style(fig, title, height=380)


def length_histogram(lengths, labels, class_names: Sequence[str] = CLASS_NAMES, *, title: str | None = None,
                     length_label: str = "Words per text", count_label: str = "Texts",
                     max_length: int | None = None, cutoff_label: str = "model reads at most") -> go.Figure:
    """How long the texts are, stacked by class; a line marks the model's max_length."""
    lengths = np.asarray(lengths, dtype=int)
    labels = np.asarray(labels, dtype=int)
    fig = go.Figure()
    top = int(lengths.max()) if lengths.size else 1
    for c, name in enumerate(class_names):
        sel = lengths[labels == c]
        fig.add_trace(go.Histogram(x=sel, name=name, marker_color=class_color(c), xbins=dict(start=0.5, end=top + 0.5,
                                   size=max(1, math.ceil(top / 60))), hovertemplate=f"{name}<br>%{{x}}: %{{y:,}}<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.05, legend=dict(traceorder="normal"))
    if max_length:
        fig.add_vline(x=max_length + 0.5, line=dict(color=ACCENT, width=3, dash="dash"),
                      annotation_text=f"{cutoff_label} {max_length}", annotation_position="top right")
    fig.update_xaxes(title_text=length_label)
    fig.update_yaxes(title_text=count_label)
    return style(fig, title, height=400)


def padding_comparison(rows: Sequence[dict], *, title: str | None = None,
                       padding_label: str = "Share of padding tokens") -> go.Figure:
    """One bar per batching method: ``rows`` of ``{"label": str, "padding": fraction}``."""
    fig = go.Figure(go.Bar(x=[r["label"] for r in rows], y=[r["padding"] for r in rows],
                           marker_color=[ACCENT, CLASS_COLORS[1]][: len(rows)] + [ACCENT] * max(0, len(rows) - 2),
                           text=[f"{r['padding']:.0%}" for r in rows], textposition="outside",
                           textfont=dict(size=FONT_SIZE), cliponaxis=False,
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    top = max([r["padding"] for r in rows] + [0.1])
    fig.update_yaxes(range=[0, min(1.0, top * 1.3 + 0.02)], tickformat=".0%", title_text=padding_label)
    return style(fig, title, height=360)


# -- the coloured token strip (HTML, escaped) -------------------------------------------

def attribution_colors(values, color: str) -> list[str]:
    """A background colour per token: ``color`` for positive values, grey for negative,
    more opaque the larger the value relative to the largest magnitude."""
    v = _finite(values)
    v = np.nan_to_num(v)
    top = float(np.abs(v).max()) if v.size else 0.0
    out = []
    for value in v:
        alpha = 0.0 if top == 0 else min(1.0, abs(value) / top)
        rgb = _hex_to_rgb(color) if value >= 0 else (120, 120, 120)
        out.append(f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{0.08 + 0.82 * alpha:.2f})")
    return out


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def token_strip_html(words: Sequence[str], values, color: str, *, unknown: Sequence[bool] | None = None,
                     value_label: str = "attribution", unknown_label: str = "not in the vocabulary",
                     sources: Sequence[str] | None = None, source_labels: dict[str, str] | None = None) -> str:
    """The headline's tokens as coloured chips. Every word is HTML-escaped.

    ``sources`` (one of :data:`rnnlab.vocabulary.SOURCES` per token) adds each word's small
    mark (:data:`rnnlab.vocabulary.MARKS`), with ``source_labels[source]`` as its tooltip.
    """
    colors = attribution_colors(values, color)
    v = np.nan_to_num(_finite(values))
    chips = []
    for i, (word, bg) in enumerate(zip(words, colors)):
        is_unknown = bool(unknown[i]) if unknown is not None and i < len(unknown) else False
        tip = f"{value_label} {v[i]:+.3f}" + (f" · {unknown_label}" if is_unknown else "")
        border = "2px dashed #555" if is_unknown else "2px solid transparent"
        text = html.escape(word)
        if sources is not None and i < len(sources):
            label = (source_labels or {}).get(sources[i], sources[i])
            tip += f" · {label}"
            # The word keeps an element of its own: the mark is not part of its text.
            text = (f'<span>{text}</span><sup data-source="{html.escape(sources[i], quote=True)}" '
                    f'style="font-size:15px;font-weight:700;margin-left:3px;color:#222;">'
                    f'{MARKS.get(sources[i], "")}</sup>')
        chips.append(
            f'<span title="{html.escape(tip, quote=True)}" style="background:{bg};border:{border};'
            f'border-radius:6px;padding:4px 8px;margin:3px;display:inline-block;font-size:22px;'
            f'color:#111;">{text}</span>')
    return '<div style="line-height:2.4;">' + "".join(chips) + "</div>"


# -- memory ----------------------------------------------------------------------------

def memory_dependence(words: Sequence[str], distances: Sequence[int], gradient_norms, occlusion_drops, *,
                      color: str = ACCENT, title: str | None = None,
                      distance_label: str = "Words from the end of the headline",
                      gradient_label: str = "Gradient size", occlusion_label: str = "Drop without the word",
                      gradient_title: str = "Sensitivity (gradient)",
                      occlusion_title: str = "Occlusion (word read as [UNK])") -> go.Figure:
    """How much the final answer depends on each word, against its distance from the end.

    Two panels sharing the x axis (distance, 0 = last word, drawn at the right so the
    headline reads left to right; each tick names its word): the gradient norm of the
    predicted class's probability with respect to the word's embedding, and the drop of
    that probability when the word is read as [UNK].
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=(gradient_title, occlusion_title))
    x = [int(d) for d in distances]
    hover = _escaped(words)
    for row, values, label, fmt in ((1, gradient_norms, gradient_label, ".3g"),
                                    (2, occlusion_drops, occlusion_label, "+.1%")):
        fig.add_trace(go.Scatter(x=x, y=_finite(values), mode="lines+markers", customdata=hover,
                                 line=dict(color=color, width=3), marker=dict(size=10),
                                 hovertemplate=f"%{{customdata}} (%{{x}}): %{{y:{fmt}}}<extra></extra>",
                                 showlegend=False), row=row, col=1)
        fig.update_yaxes(title_text=label, row=row, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".1%", zeroline=True, row=2, col=1)
    fig.update_xaxes(autorange="reversed", tickmode="array", tickvals=x,
                     ticktext=[f"{d}<br>{_short(w, 10)}" for d, w in zip(x, words)],
                     tickangle=0 if len(x) <= 12 else -45)
    fig.update_xaxes(title_text=distance_label, row=2, col=1)
    return style(fig, title, height=520)
