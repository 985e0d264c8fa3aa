"""From a run's confusion matrix to the test headlines behind one cell, and on to Explore.

A click on a cell of the matrix (see :func:`rnnlab.charts.clicked_cell`) or the two
selectboxes (for keyboards and tests) pick the cell; the compute worker lists its
headlines (:mod:`rnnlab.analysis.mistakes`); each opens in Explore with the run.
"""
from __future__ import annotations

import streamlit as st

from rnnlab import charts

from . import resources as res
from . import ui
from . import plot
from .ui import tr

LISTED = 20


def drill_down(run_id: str, key: str, event) -> None:
    """The cell picker and, once a cell is picked, its headlines with a button each."""
    names = ui.class_names()
    take_click(key, event, len(names))
    st.subheader(tr("drill.title"))
    st.caption(tr("drill.note"))
    left, right = st.columns(2)
    options = list(range(len(names)))
    true_class = left.selectbox(tr("drill.true"), options, key=f"{key}-drill-true", index=None,
                                format_func=lambda i: names[i], placeholder=tr("drill.choose"))
    predicted = right.selectbox(tr("drill.predicted"), options, key=f"{key}-drill-predicted", index=None,
                                format_func=lambda i: names[i], placeholder=tr("drill.choose"))
    if true_class is not None and predicted is not None:
        headlines(run_id, true_class, predicted, key)


def take_click(key: str, event, classes: int) -> None:
    """A new click on the matrix sets the selectboxes (before they are drawn); the same
    selection seen again on a later rerun leaves the person's selectbox choice alone."""
    selection = event.get("selection") if hasattr(event, "get") else None
    clicked = charts.clicked_cell(selection)
    if clicked is not None and not all(0 <= c < classes for c in clicked):
        clicked = None
    seen_key = f"{key}-drill-clicked"
    if clicked is not None and clicked != st.session_state.get(seen_key):
        st.session_state[f"{key}-drill-true"], st.session_state[f"{key}-drill-predicted"] = clicked
    st.session_state[seen_key] = clicked


def headlines(run_id: str, true_class: int, predicted: int, key: str) -> None:
    names = ui.class_names()
    try:
        with st.spinner(tr("drill.reading")):
            cell = res.confusion_cell(run_id, true_class, predicted, LISTED)
    except Exception as exc:  # an unreadable run or a dead worker: a message, never a traceback
        st.error(tr("drill.failed", error=ui.esc(exc)))
        return
    which = "drill.count_right" if true_class == predicted else "drill.count_wrong"
    st.markdown(tr(which, n=ui.num(cell.total), true=names[true_class], predicted=names[predicted]))
    if not cell.headlines:
        st.caption(tr("drill.empty"))
        return
    if cell.total > len(cell.headlines):
        st.caption(tr("drill.first", n=len(cell.headlines)))
    with st.container(height=420, border=True):
        for h in cell.headlines:
            text_col, button_col = st.columns([2, 1], vertical_alignment="center")
            text_col.markdown(ui.esc(h.title))
            text_col.caption(tr("drill.confidence", p=ui.pct(h.confidence, 0)))
            if button_col.button(tr("drill.open"), key=f"{key}-open-{h.row}", icon=":material/search:",
                                 help=tr("drill.open_help")):
                open_in_explore(run_id, h.text, true_class)


def open_in_explore(run_id: str, text: str, label: int) -> None:
    """Explore with this run and headline (its widgets set too: a person who was there before
    would otherwise get their old choices back rather than the URL's)."""
    st.session_state["explore_run"] = run_id
    st.session_state["explore_headline"] = text
    st.session_state["keep.headline_label"] = (text, label)
    ui.switch_page("explore", run=run_id, headline=text[:500])


def compare_section(chosen: list[str], by_id: dict) -> None:
    """Compare: one chosen run's confusion matrix (picked above it) beside its headlines."""
    st.header(tr("drill.compare_section"))
    with_matrix = [rid for rid in chosen if "confusion_matrix" in (by_id[rid].metrics or {})]
    if not with_matrix:
        st.caption(tr("eval.none"))
        return
    if st.session_state.get("compare_drill_run") not in with_matrix:
        st.session_state["compare_drill_run"] = with_matrix[0]
    run_id = st.segmented_control(tr("drill.compare_run"), with_matrix, key="compare_drill_run", required=True,
                                  format_func=lambda rid: ui.describe(by_id[rid].config)) or with_matrix[0]
    names = ui.class_names()
    left, right = st.columns(2)
    with left:
        event = plot.chart(charts.confusion_matrix(by_id[run_id].metrics["confusion_matrix"], names,
                                                 true_label=tr("eval.true"), predicted_label=tr("eval.predicted"),
                                                 count_label=tr("eval.headlines"), clickable=True),
                         key=f"fig-cmp-confusion-{run_id}", note=tr("eval.confusion_note"), on_select="rerun")
    with right:
        drill_down(run_id, f"cmp-{run_id}", event)
