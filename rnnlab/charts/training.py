"""How a run learned and how it scores: training curves, confusion matrix, class probabilities."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..config import CLASS_NAMES
from .style import CLASS_COLORS, FONT_SIZE, finite, class_color, style


CELL_MARKER_SIZE = 48        # px: inside a cell of the 460 px high matrix, even half a page wide


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
        fig.add_trace(go.Scatter(x=xs, y=finite([p[key] for p in curve]), mode="lines", name=train,
                                 line=dict(color=CLASS_COLORS[0], width=3), legendgroup="train",
                                 showlegend=col == 1), row=1, col=col)
        points = [(end_of_epoch.get(e["epoch"], 0), e.get(val_key)) for e in epochs if e.get(val_key) is not None]
        if points:
            fig.add_trace(go.Scatter(x=[p[0] for p in points], y=finite([p[1] for p in points]),
                                     mode="lines+markers", name=validation, legendgroup="validation",
                                     marker=dict(size=14, color=CLASS_COLORS[2], symbol="diamond"),
                                     line=dict(color=CLASS_COLORS[2], width=2, dash="dot"),
                                     showlegend=col == 1), row=1, col=col)
        fig.update_xaxes(title_text=samples, row=1, col=col, rangemode="tozero")
    losses = [v for v in finite([p["loss"] for p in curve] + [e.get("val_loss") for e in epochs
                                                               if e.get("val_loss") is not None]) if np.isfinite(v)]
    fig.update_yaxes(range=[0, max(losses) * 1.1 if losses else 1.5], row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    style(fig, title, height=380)
    fig.update_layout(legend=dict(orientation="h", y=-0.3, x=0.5, xanchor="center"))
    return fig


def confusion_matrix(matrix, class_names: Sequence[str] = CLASS_NAMES, *, title: str | None = None,
                     true_label: str = "True class", predicted_label: str = "Predicted class",
                     count_label: str = "Headlines", clickable: bool = False) -> go.Figure:
    """Counts with the true class on rows and the predicted class on columns.

    ``clickable`` lays an invisible square marker on every cell: Plotly selects no heatmap
    cells (so Streamlit reports no click on them), but it does select scatter points,
    whose ``customdata`` is then ``[true, predicted]``.
    """
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
    if clickable:
        # customdata as plain lists: a numpy array reaches the browser as a typed array,
        # which Plotly hands to Streamlit's selection as something other than [i, j, n].
        fig.data[0].hoverinfo = "skip"
        rows, cols = np.indices(m.shape)
        fig.add_trace(go.Scatter(
            x=[names[j] for j in cols.ravel()], y=[names[i] for i in rows.ravel()], mode="markers",
            marker=dict(symbol="square", size=CELL_MARKER_SIZE, color=CLASS_COLORS[0], opacity=0.01),
            selected=dict(marker=dict(opacity=0.25)), unselected=dict(marker=dict(opacity=0.01)),
            customdata=np.stack([rows.ravel(), cols.ravel(), m.ravel()], axis=1).tolist(), showlegend=False,
            hovertemplate=f"{true_label}: %{{y}}<br>{predicted_label}: %{{x}}<br>"
                          f"{count_label}: %{{customdata[2]:,}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text=true_label)
    fig.update_xaxes(title_text=predicted_label, side="bottom")
    return style(fig, title, height=460)


def clicked_cell(selection) -> tuple[int, int] | None:
    """(true, predicted) of the cell a person clicked in a ``clickable`` confusion matrix,
    from Streamlit's selection state (``{"points": [{"customdata": [i, j, n], ...}]}``)."""
    points = (selection or {}).get("points") or []
    for point in points:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, (list, tuple)) and len(data) >= 2:
            try:
                return int(data[0]), int(data[1])
            except (TypeError, ValueError):
                continue
    return None


# -- one prediction --------------------------------------------------------------------

def probability_bars(probabilities, class_names: Sequence[str] = CLASS_NAMES, *, title: str | None = None,
                     axis_label: str = "Probability") -> go.Figure:
    """One horizontal bar per class in its colour, labelled with its percentage."""
    p = finite(probabilities)
    names = list(class_names)
    fig = go.Figure(go.Bar(
        x=p, y=names, orientation="h", marker_color=[class_color(i) for i in range(len(names))],
        text=[f"{v:.0%}" if math.isfinite(v) else "" for v in p], textposition="outside",
        textfont=dict(size=FONT_SIZE), hovertemplate="%{y}: %{x:.1%}<extra></extra>", cliponaxis=False))
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", title_text=axis_label)
    fig.update_yaxes(autorange="reversed")
    return style(fig, title, height=260)
