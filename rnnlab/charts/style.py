"""The one look every chart shares: colours, fonts, the template, projector mode, axis helpers."""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio



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


def in_language(fig: go.Figure, separators: str) -> go.Figure:
    """A copy of ``fig`` whose tick labels and hover numbers use ``separators`` (decimal
    mark, thousands mark: ``rnnlab.i18n.chart_separators``); the cached figure is left alone."""
    copy = go.Figure(fig)
    copy.update_layout(separators=separators)
    return copy


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


def token_axis(fig: go.Figure, words: Sequence[str], row=None, col=None, angle_from: int = 12) -> None:
    """Positions on the x axis, labelled with the words (words can repeat, positions can't)."""
    kwargs = {} if row is None else dict(row=row, col=col)
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(words))), ticktext=[shorten(w) for w in words],
                     tickangle=-45 if len(words) > angle_from else 0, **kwargs)


def shorten(word: str, limit: int = 14) -> str:
    """A word cut to ``limit`` characters and escaped for Plotly."""
    return esc(word if len(word) <= limit else word[: limit - 1] + "…")


def esc(text: str) -> str:
    """Text made inert for Plotly, which renders tags such as <b>, <i>, <a href> and <br>
    in titles, tick labels, hover labels and point texts."""
    return html.escape(str(text), quote=False)


def escaped(words: Sequence[str]) -> list[str]:
    return [esc(w) for w in words]


def finite(values) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr), arr, np.nan)


# -- training --------------------------------------------------------------------------
