"""Every chart on every page is drawn here: the person's language and projector mode applied, the toolbar trimmed, clicks on points optional."""
from __future__ import annotations

import streamlit as st

from rnnlab import charts
from rnnlab.i18n import DEFAULT_LANG, chart_separators

from .projector import projector
from .ui import lang


def _fig_key(*parts) -> str:
    return "fig-" + "-".join(str(p) for p in parts)


def chart(fig, key: str, note: str | None = None, on_select=None):
    """A Plotly figure with its one- or two-sentence 'what to look for'.

    ``on_select`` (a callback, or "rerun") makes a click on a point or bar select it: a
    callback reads the selection from ``st.session_state[key]`` before the page runs
    again; with "rerun" the selection state is returned.

    In projector mode every font of the figure grows (:func:`rnnlab.charts.for_projector`)
    and the figure keeps its own dark text rather than Streamlit's chart theme.
    Of Plotly's toolbar only the camera stays (shown on hover): it downloads the chart
    as a PNG in the browser, at twice the screen resolution, named after the chart.
    """
    if note:
        st.caption(note)
    name = key[4:] if key.startswith("fig-") else key
    if projector():
        fig = charts.for_projector(fig)
    separators = chart_separators(lang())
    if separators != fig.layout.separators and lang() != DEFAULT_LANG:
        fig = charts.in_language(fig, separators)      # a figure of this rerun; cached ones have them
    # Streamlit's chart theme sets small grey axis labels of its own: the projector drops it.
    selecting = {"on_select": on_select, "selection_mode": ("points",)} if on_select else {}
    return st.plotly_chart(fig, key=key, theme=None if projector() else "streamlit", **selecting, config={
        "displaylogo": False, "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": "png", "filename": f"rnnlab-{name}", "scale": 2}})
