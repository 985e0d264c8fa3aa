"""Words coloured by how much they matter, and how far back the answer depends on them."""
from __future__ import annotations

import html
import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..vocabulary import MARKS
from .style import ACCENT, escaped, finite, shorten, style


def attribution_colors(values, color: str) -> list[str]:
    """A background colour per token: ``color`` for positive values, grey for negative,
    more opaque the larger the value relative to the largest magnitude."""
    v = finite(values)
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
                     sources: Sequence[str] | None = None, source_labels: dict[str, str] | None = None,
                     selected: int | None = None) -> str:
    """The headline's tokens as coloured chips. Every word is HTML-escaped.

    ``selected`` (a token's position) outlines that word's chip, the word chosen in
    Explore's linked views.

    ``sources`` (one of :data:`rnnlab.vocabulary.SOURCES` per token) adds each word's small
    mark (:data:`rnnlab.vocabulary.MARKS`), with ``source_labels[source]`` as its tooltip.
    """
    colors = attribution_colors(values, color)
    v = np.nan_to_num(finite(values))
    chips = []
    for i, (word, bg) in enumerate(zip(words, colors)):
        is_unknown = bool(unknown[i]) if unknown is not None and i < len(unknown) else False
        tip = f"{value_label} {v[i]:+.3f}" + (f" · {unknown_label}" if is_unknown else "")
        border = "2px dashed #555" if is_unknown else "2px solid transparent"
        mark = ""
        if i == selected:
            border, mark = f"3px solid {ACCENT}", ' data-selected="true"'
        text = html.escape(word)
        if sources is not None and i < len(sources):
            label = (source_labels or {}).get(sources[i], sources[i])
            tip += f" · {label}"
            # The word keeps an element of its own: the mark is not part of its text.
            text = (f'<span>{text}</span><sup data-source="{html.escape(sources[i], quote=True)}" '
                    f'style="font-size:15px;font-weight:700;margin-left:3px;color:#222;">'
                    f'{MARKS.get(sources[i], "")}</sup>')
        chips.append(
            f'<span title="{html.escape(tip, quote=True)}"{mark} '
            f'style="background:{bg};border:{border};'
            f'border-radius:6px;padding:4px 8px;margin:3px;display:inline-block;font-size:22px;'
            f'color:#111;">{text}</span>')
    return '<div style="line-height:2.4;">' + "".join(chips) + "</div>"


# -- memory ----------------------------------------------------------------------------

MEMORY_TICKS = 16          # at most this many named words on the distance axis


def memory_dependence(words: Sequence[str], distances: Sequence[int], gradient_norms, occlusion_drops, *,
                      color: str = ACCENT, title: str | None = None,
                      distance_label: str = "Words from the end of the headline",
                      gradient_label: str = "Gradient size", occlusion_label: str = "Drop without the word",
                      gradient_title: str = "Sensitivity (gradient)",
                      occlusion_title: str = "Occlusion (word read as [UNK])",
                      max_ticks: int = MEMORY_TICKS) -> go.Figure:
    """How much the final answer depends on each word, against its distance from the end.

    Two panels sharing the x axis (distance, 0 = last word, drawn at the right so the
    headline reads left to right; each tick names its word): the gradient norm of the
    predicted class's probability with respect to the word's embedding, and the drop of
    that probability when the word is read as [UNK]. At most ``max_ticks`` words are
    named on the axis (every word in hover).
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=(gradient_title, occlusion_title))
    x = [int(d) for d in distances]
    hover = escaped(words)
    for row, values, label, fmt in ((1, gradient_norms, gradient_label, ".3g"),
                                    (2, occlusion_drops, occlusion_label, "+.1%")):
        fig.add_trace(go.Scatter(x=x, y=finite(values), mode="lines+markers", customdata=hover,
                                 line=dict(color=color, width=3), marker=dict(size=10),
                                 hovertemplate=f"%{{customdata}} (%{{x}}): %{{y:{fmt}}}<extra></extra>",
                                 showlegend=False), row=row, col=1)
        fig.update_yaxes(title_text=label, row=row, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".1%", zeroline=True, row=2, col=1)
    step = max(1, math.ceil(len(x) / max_ticks))           # a long text names every step-th word
    ticks = [(d, w) for d, w in zip(x, words) if d % step == 0]
    fig.update_xaxes(autorange="reversed", tickmode="array", tickvals=[d for d, _ in ticks],
                     ticktext=[f"{d}<br>{shorten(w, 10)}" for d, w in ticks],
                     tickangle=0 if len(ticks) <= 12 else -45)
    fig.update_xaxes(title_text=distance_label, row=2, col=1)
    return style(fig, title, height=520)
