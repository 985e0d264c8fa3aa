"""One headline, read word by word: hidden-state heatmaps, the prediction after each word, state change, the state's path."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ..config import CLASS_NAMES
from .style import ACCENT, FONT_SIZE, GATE_SCALE, STATE_SCALE, escaped, finite, shorten, token_axis, class_color, style


def state_heatmap(values, words: Sequence[str], *, title: str | None = None, kind: str = "state",
                  unit_label: str = "Unit", token_label: str = "Token", value_label: str = "Value",
                  zmax: float | None = None, angle_from: int = 12) -> go.Figure:
    """Units (rows) by tokens (columns); hover gives unit, token and value.

    ``kind="state"`` uses the diverging scale centred on 0 (symmetric range);
    ``kind="gate"`` uses the sequential scale from 0 to 1.
    """
    z = finite(values)
    if z.ndim != 2:
        raise ValueError(f"values must be 2-D (tokens, units), got shape {z.shape}")
    n_tokens, n_units = z.shape
    if n_tokens != len(words):
        raise ValueError(f"{len(words)} words for {n_tokens} tokens")
    grid = z.T  # rows = units
    safe = escaped(words)
    custom = np.array([[safe[t] for t in range(n_tokens)] for _ in range(n_units)], dtype=object)
    if kind == "gate":
        scale, zmin, top, mid = GATE_SCALE, 0.0, 1.0, None
    else:
        sizes = np.abs(grid[np.isfinite(grid)])
        top = zmax if zmax is not None else (float(sizes.max()) if sizes.size and sizes.max() > 0 else 1.0)
        scale, zmin, mid = STATE_SCALE, -top, 0.0
    fig = go.Figure(go.Heatmap(
        z=grid, x=list(range(n_tokens)), y=list(range(n_units)), customdata=custom,
        colorscale=scale, zmin=zmin, zmax=top, zmid=mid,
        colorbar=dict(title=dict(text=value_label, side="right"), thickness=18, tickfont=dict(size=16)),
        hovertemplate=f"{unit_label} %{{y}}<br>{token_label} %{{x}}: %{{customdata}}<br>"
                      f"{value_label} %{{z:.3f}}<extra></extra>",
        xgap=1 if n_tokens <= 40 else 0, ygap=1 if n_units <= 32 else 0))
    token_axis(fig, words, angle_from=angle_from)
    fig.update_yaxes(title_text=unit_label, autorange="reversed",
                     dtick=1 if n_units <= 16 else (4 if n_units <= 64 else 16))
    height = int(min(900, max(300, 140 + 14 * n_units + (60 if n_tokens > 12 else 0))))
    return style(fig, title, height=height)


SMALL_STATES = 0.7      # states whose 99th percentile of |value| stays below this get their own scale (a
                        # two-layer BiLSTM's, 0.57 at most, read as nearly white on ±1)
SCALE_FLOOR = 0.01


def readable_scale(values, full: float = 1.0) -> float:
    """The top of a symmetric colour scale that shows the pattern of ``values``: ``full``
    (tanh states live in -1..1), or, when nearly all values are much smaller (an LSTM's
    hidden states often stay within ±0.1 and look white on ±1), their 99th percentile of
    |value| rounded up to two decimals (at least :data:`SCALE_FLOOR`)."""
    sizes = np.abs(finite(values))
    sizes = sizes[np.isfinite(sizes)]
    if not sizes.size:
        return full
    p99 = float(np.percentile(sizes, 99))
    if p99 >= SMALL_STATES * full:
        return full
    return max(SCALE_FLOOR, math.ceil(p99 * 100 - 1e-9) / 100)


def prefix_probabilities(prefix, words: Sequence[str], class_names: Sequence[str] = CLASS_NAMES, *,
                         title: str | None = None, token_label: str = "After reading",
                         probability_label: str = "Probability", angle_from: int = 12) -> go.Figure:
    """The class probabilities after each token: how the prediction forms while reading."""
    p = finite(prefix)
    fig = go.Figure()
    for c, name in enumerate(class_names):
        fig.add_trace(go.Scatter(
            x=list(range(len(words))), y=p[:, c], mode="lines+markers", name=name,
            line=dict(color=class_color(c), width=4), marker=dict(size=9),
            customdata=escaped(words), hovertemplate=f"{name}<br>%{{customdata}}: %{{y:.1%}}<extra></extra>"))
    token_axis(fig, words, angle_from=angle_from)
    fig.update_xaxes(title_text=token_label)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", title_text=probability_label)
    style(fig, title, height=400)
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig


def state_change(values, words: Sequence[str], *, title: str | None = None, token_label: str = "Token",
                 value_label: str = "How much the state moved") -> go.Figure:
    """One bar per token: how far reading it moved the hidden state."""
    v = finite(values)
    fig = go.Figure(go.Bar(x=list(range(len(words))), y=v, marker_color=ACCENT, customdata=escaped(words),
                           hovertemplate="%{customdata}: %{y:.3f}<extra></extra>"))
    token_axis(fig, words)
    fig.update_xaxes(title_text=token_label)
    fig.update_yaxes(title_text=value_label, rangemode="tozero")
    return style(fig, title, height=360)


# Word labels on the PCA path: the plot area assumed when placing them (the narrowest the
# pages draw it; wider only spreads them further), a 16 px font's box, and the places tried
# around each point, in order of preference.
LABEL_AREA_PX = (560, 400)
LABEL_FONT_PX = 16
LABEL_SPOTS = ("top center", "bottom center", "middle right", "middle left",
               "top right", "top left", "bottom right", "bottom left")
SAME_PLACE_PX = 8           # a point this close to a labelled one gets no label of its own (hover keeps it)


def _label_box(x: float, y: float, spot: str, width: float, height: float, gap: float = 6.0):
    """(left, bottom, right, top) in pixels of a label at ``spot`` around the point (x, y)."""
    vertical, horizontal = spot.split()
    if horizontal == "center":
        left = x - width / 2
    else:
        left = x + gap if horizontal == "right" else x - gap - width
    if vertical == "middle":
        bottom = y - height / 2
    else:
        bottom = y + gap if vertical == "top" else y - gap - height
    return left, bottom, left + width, bottom + height


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_places(xy, texts: Sequence[str], x_range, y_range,
                 area_px: tuple[int, int] = LABEL_AREA_PX) -> list[tuple[str, tuple] | None]:
    """Where each point's label goes, so that no two labels overlap: per point, in order,
    the first spot of :data:`LABEL_SPOTS` whose box overlaps no label placed before, and
    its pixel box; None (no label, the word stays in the hover) where no spot is free or
    the point sits on a labelled one."""
    xy = np.asarray(xy, dtype=float)
    sx = area_px[0] / max(x_range[1] - x_range[0], 1e-12)
    sy = area_px[1] / max(y_range[1] - y_range[0], 1e-12)
    px = np.column_stack([(xy[:, 0] - x_range[0]) * sx, (xy[:, 1] - y_range[0]) * sy]) if len(xy) else xy
    boxes, labelled, out = [], [], []
    for (x, y), text in zip(px, texts):
        if not np.isfinite([x, y]).all() or any(np.hypot(x - a, y - b) < SAME_PLACE_PX for a, b in labelled):
            out.append(None)
            continue
        width, height = 0.6 * LABEL_FONT_PX * max(len(text), 1) + 4, LABEL_FONT_PX + 4
        for spot in LABEL_SPOTS:
            box = _label_box(x, y, spot, width, height)
            if not any(_overlaps(box, other) for other in boxes):
                boxes.append(box)
                labelled.append((x, y))
                out.append((spot, box))
                break
        else:
            out.append(None)
    return out


def _padded_range(*arrays, pad: float = 0.08) -> tuple[list[float], list[float]]:
    """x and y ranges around every finite point given, widened by ``pad`` of their span."""
    points = np.concatenate([np.asarray(a, float).reshape(-1, 2) for a in arrays if a is not None and len(a)])
    points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        return [-1.0, 1.0], [-1.0, 1.0]
    ranges = []
    for axis in (0, 1):
        low, high = float(points[:, axis].min()), float(points[:, axis].max())
        span = max(high - low, 1e-6)
        ranges.append([low - pad * span, high + pad * span])
    return ranges[0], ranges[1]


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
    xy = finite(points)
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
        bg = finite(background)
        labels = np.asarray(background_labels if background_labels is not None else np.zeros(len(bg)), int)
        for c, name in enumerate(class_names):
            sel = labels == c
            if sel.any():
                fig.add_trace(go.Scattergl(x=bg[sel, 0], y=bg[sel, 1], mode="markers", name=name,
                                           marker=dict(size=6, color=class_color(c), opacity=0.35),
                                           hoverinfo="skip"))
    centre_points = [c for c in ([] if centroids is None else centroids) if c is not None]
    x_range, y_range = _padded_range(xy, None if background is None else finite(background),
                                     np.array(centre_points, float) if centre_points else None)
    fig.update_xaxes(range=x_range)
    fig.update_yaxes(range=y_range)
    if len(xy):
        short = [shorten(w) for w in words]
        places = label_places(xy, short, x_range, y_range)
        fig.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], mode="lines+markers+text", name=path_label,
            text=[w if place else "" for w, place in zip(short, places)],
            textposition=[place[0] if place else "top center" for place in places],
            textfont=dict(size=LABEL_FONT_PX),
            line=dict(color=ACCENT, width=3), marker=dict(size=10, color=ACCENT),
            customdata=escaped(words), hovertemplate="%{customdata}<br>(%{x:.2f}, %{y:.2f})<extra></extra>"))
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
