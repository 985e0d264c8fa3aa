"""Explore's "Read the same way": the test headlines whose hidden state is nearest to this
headline's (rnnlab.analysis.memory, a cached matrix per run), each openable in Explore."""
from __future__ import annotations

import streamlit as st

from rnnlab.data import DataError

from . import resources as res
from . import ui
from .ui import tr


def open_neighbour(title: str, label: int) -> None:
    """Make a neighbour the headline (a button's callback, so it runs before the text box is drawn)."""
    st.session_state["explore_headline"] = title
    st.session_state["keep.headline_label"] = (title, label)


def panel(run_id, trace, names) -> None:
    """The test headlines whose state is nearest to this headline's, each openable here."""
    st.subheader(tr("explore.neighbours_title"))
    words, n = [t.word for t in trace.tokens], len(trace.tokens)
    if st.session_state.get("explore_neighbours_for") != (run_id, trace.text):
        st.session_state["explore_neighbours_for"] = (run_id, trace.text)
        st.session_state["explore_neighbours_step"] = n      # a new headline starts at its end
    step = n
    if n > 1:
        step = st.select_slider(tr("neighbours.step"), options=list(range(1, n + 1)), key="explore_neighbours_step",
                                format_func=lambda k: tr("neighbours.after", k=k, word=words[k - 1]))
    try:
        with st.spinner(tr("neighbours.searching")):
            found = res.neighbours(run_id, trace.text, None if step == n else int(step))
    except DataError:
        st.info(tr("neighbours.no_data"))
        return
    st.caption(tr("note.neighbours", n=ui.num(found.n_corpus)))
    widths = [1, 6, 1.6, 1.8, 1.2]
    for col, key in zip(st.columns(widths), ("cosine", "headline", "true", "predicted")):
        col.caption(tr(f"neighbours.col.{key}"))
    for i, nb in enumerate(found.neighbours):
        cols = st.columns(widths, vertical_alignment="center")
        cols[0].markdown(ui.num(nb.cosine, 3))
        cols[1].markdown(ui.esc(nb.title))
        cols[2].markdown(names[nb.true_class])
        cols[3].markdown(names[nb.predicted_class] + (" ✓" if nb.predicted_class == nb.true_class else " ✗"))
        cols[4].button(tr("neighbours.open"), key=f"explore_neighbour_{i}", on_click=open_neighbour,
                       args=(nb.title, nb.true_class), help=tr("neighbours.open_help"))
