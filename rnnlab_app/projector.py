"""Projector mode: larger type, black text, every chart grown (rnnlab.charts.for_projector), sidebar collapsed."""
from __future__ import annotations

import streamlit as st

from .ui import set_param, tr


# Projector mode: larger type everywhere (Streamlit sizes text in rem, so a larger root
# font grows it all, tables included: their canvas takes its font in rem too; captions
# and small labels get at least 20 px) and black text for contrast.
# Charts grow their own fonts: see :func:`rnnlab_app.plot.chart`.
PROJECTOR_CSS = """<style>
html { font-size: 23px; }
[data-testid="stMain"], [data-testid="stSidebar"] { color: #000; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *, [data-testid="stMetricLabel"],
[data-testid="stWidgetLabel"], [data-testid="stMarkdownContainer"] small {
  color: #000 !important; opacity: 1 !important; font-size: max(20px, 0.9rem) !important; }
</style>"""


def init_projector() -> None:
    """Projector mode from the URL (``present=1``) on a session's first run, then the toggle."""
    if "present" not in st.session_state:
        st.session_state["present"] = st.query_params.get("present") == "1"


def projector() -> bool:
    """Whether this person shows the app on a projector (the one place charts and pages ask)."""
    return bool(st.session_state.get("present", False))


def projector_switch() -> None:
    """The sidebar toggle; it keeps ``present=1`` in the URL while on, so a shared link keeps it."""
    def changed():
        st.session_state["present"] = st.session_state["present_toggle"]

    st.session_state["present_toggle"] = projector()
    st.toggle(tr("teacher.projector"), key="present_toggle", on_change=changed, help=tr("teacher.projector_help"))
    set_param("present", "1" if projector() else None)


def projector_style() -> None:
    if projector():
        st.html(PROJECTOR_CSS)
