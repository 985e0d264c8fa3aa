"""The data and padding: class balance, lengths, and what padding does to a run."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..config import CLASS_NAMES
from .style import ACCENT, CLASS_COLORS, FONT_SIZE, finite, class_color, esc, style


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
        probs = finite(part["probabilities"])
        pads = list(range(len(probs)))
        for c, name in enumerate(class_names):
            fig.add_trace(go.Scatter(x=pads, y=probs[:, c], mode="lines", name=name, legendgroup=name,
                                     line=dict(color=class_color(c), width=3, dash=dash),
                                     showlegend=variant == variants[0][0],
                                     hovertemplate=f"{name} ({label}): %{{y:.1%}}<extra></extra>"), row=1, col=1)
        drift = finite(part["state_drift"])
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
        probs = finite(panel["probabilities"])
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
        drift = finite(item["drift"])
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
