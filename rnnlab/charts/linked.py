"""One token axis for every view: the step-by-step figure, the marked step, a headline against its pinned copy.

The rows of :func:`step_by_step` and :func:`pinned_comparison` put every trace on the
one x axis ``x`` (each row has its own y axis, stacked with ``domain``s) and set
``layout.hoversubplots="axis"``: hovering a word in any row shows every row's value at
that word. Plotly does this only for traces on the very same axis, which
``make_subplots(shared_xaxes=True)`` does not give (it makes one x axis per row that
only *match*; plotly.py issue 4603), so the rows are laid out here by hand.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ..config import CLASS_NAMES
from .style import ACCENT, STATE_SCALE, class_color, escaped, finite, shorten, style, token_axis

SELECTED_SHAPE = "selected-step"     # the name of the shape that marks the chosen word
_GAP = 0.06


def _rows(fig: go.Figure, heights: Sequence[float], titles: Sequence[str]) -> None:
    """Stack one y axis per row (top first) over the shared x axis, each with its title."""
    total, top = sum(heights), 1.0
    usable = 1.0 - _GAP * (len(heights) - 1)
    for i, (height, title) in enumerate(zip(heights, titles), start=1):
        bottom = max(0.0, top - usable * height / total)
        fig.update_layout({f"yaxis{'' if i == 1 else i}": dict(domain=[bottom, top], title_text=title)})
        top = bottom - _GAP
    fig.update_layout(xaxis=dict(anchor=f"y{len(heights)}"), hoversubplots="axis", hovermode="x unified")


def step_by_step(prefix, state_change, attribution, hidden, words: Sequence[str],
                 class_names: Sequence[str] = CLASS_NAMES, *, selected: int | None = None,
                 probability_label: str = "Prediction", change_label: str = "State change",
                 attribution_label: str = "Attribution", hidden_label: str = "Hidden state",
                 unit_label: str = "Unit", value_label: str = "Value") -> go.Figure:
    """The prediction after each word (a line per class), how far each word moved the state,
    each word's attribution and the hidden state (units by words), on one token axis.

    Hovering a word shows all four at that word; clicking a point of the prediction
    selects the word (the page reads the selection; Plotly selects on a click only in the
    subplot of the first hovered trace, the prediction's); ``selected`` marks a word in
    every row. The bars never dim on a click, as nothing in their rows gets selected.
    """
    p, n = finite(prefix), len(words)
    x, safe = list(range(n)), escaped(words)
    fig = go.Figure()
    for c, name in enumerate(class_names):
        fig.add_trace(go.Scatter(x=x, y=p[:, c], mode="lines+markers", name=name, yaxis="y",
                                 line=dict(color=class_color(c), width=3), marker=dict(size=8),
                                 customdata=safe, hovertemplate=f"{name} %{{y:.0%}}<extra></extra>"))
    fig.add_trace(go.Bar(x=x, y=finite(state_change), yaxis="y2", marker_color=ACCENT, name=change_label,
                         unselected=dict(marker=dict(opacity=1)),
                         showlegend=False, customdata=safe, hovertemplate=f"{change_label} %{{y:.3f}}<extra></extra>"))
    a = finite(attribution)
    fig.add_trace(go.Bar(x=x, y=a, yaxis="y3", name=attribution_label, showlegend=False, customdata=safe,
                         unselected=dict(marker=dict(opacity=1)),
                         marker_color=[ACCENT if v >= 0 else "#999999" for v in np.nan_to_num(a)],
                         hovertemplate=f"{attribution_label} %{{y:+.3f}}<extra></extra>"))
    z = finite(hidden).T
    top = float(np.nanmax(np.abs(z))) if z.size and np.isfinite(z).any() and np.nanmax(np.abs(z)) > 0 else 1.0
    fig.add_trace(go.Heatmap(z=z, x=x, y=list(range(z.shape[0])), yaxis="y4", colorscale=STATE_SCALE,
                             zmin=-top, zmax=top, zmid=0.0, showscale=False, name=hidden_label,
                             hovertemplate=f"{unit_label} %{{y}}: {value_label} %{{z:.3f}}<extra></extra>"))
    _rows(fig, (3, 1.4, 1.4, 2.6), (probability_label, change_label, attribution_label, hidden_label))
    fig.update_layout(yaxis=dict(range=[0, 1.02], tickformat=".0%"), yaxis2=dict(rangemode="tozero"),
                      yaxis3=dict(zeroline=True), yaxis4=dict(autorange="reversed", showticklabels=False))
    token_axis(fig, words)
    style(fig, None, height=760)
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return mark_step(fig, selected) if selected is not None else fig


def mark_step(fig: go.Figure, step: int | None) -> go.Figure:
    """A copy of ``fig`` with word ``step`` (a position on the token axis ``x``) outlined
    from top to bottom; ``fig`` itself (cached, shared) is left alone."""
    marked = go.Figure(fig)
    if step is None:
        return marked
    marked.add_shape(type="rect", name=SELECTED_SHAPE, xref="x", yref="paper", x0=step - 0.5, x1=step + 0.5,
                     y0=0, y1=1, layer="above", line=dict(color=ACCENT, width=3),
                     fillcolor="rgba(255, 215, 0, 0.18)")
    return marked


def pinned_comparison(pinned_prefix, prefix, difference, pinned_words: Sequence[str], words: Sequence[str],
                      class_names: Sequence[str] = CLASS_NAMES, *, pinned_label: str = "pinned",
                      probability_label: str = "Prediction", difference_label: str = "State difference",
                      position_label: str = "Position") -> go.Figure:
    """A headline against its pinned copy, position by position on one axis: the prediction
    after each word of both (the pinned one dashed) and how far apart their hidden states
    are (``difference``, one value per position both have). Each tick names the word of
    the headline and, in italics below it, the pinned headline's word at that position."""
    pp, p = finite(pinned_prefix), finite(prefix)
    n = max(len(words), len(pinned_words))
    fig = go.Figure()
    for c, name in enumerate(class_names):
        for values, dash, label in ((p, None, name), (pp, "dash", f"{name} ({pinned_label})")):
            fig.add_trace(go.Scatter(
                x=list(range(len(values))), y=values[:, c], mode="lines+markers", name=label, yaxis="y",
                legendgroup=name, line=dict(color=class_color(c), width=3, dash=dash), marker=dict(size=7),
                hovertemplate=f"{label} %{{y:.0%}}<extra></extra>"))
    d = finite(difference)
    fig.add_trace(go.Bar(x=list(range(len(d))), y=d, yaxis="y2", marker_color=ACCENT, showlegend=False,
                         name=difference_label, hovertemplate=f"{difference_label} %{{y:.3f}}<extra></extra>"))
    _rows(fig, (3, 1.6), (probability_label, difference_label))
    fig.update_layout(yaxis=dict(range=[0, 1.02], tickformat=".0%"), yaxis2=dict(rangemode="tozero"))
    ticks = [f"{shorten(words[i]) if i < len(words) else '–'}<br>"
             f"<i>{shorten(pinned_words[i]) if i < len(pinned_words) else '–'}</i>" for i in range(n)]
    fig.update_xaxes(tickmode="array", tickvals=list(range(n)), ticktext=ticks, tickangle=-45 if n > 10 else 0,
                     title_text=position_label)
    style(fig, None, height=560)
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=16)),
                      margin=dict(t=110))
    return fig
