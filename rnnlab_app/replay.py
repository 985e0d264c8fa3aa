"""The training replay on a page: one headline read by the network at the snapshots its
training kept (:mod:`rnnlab.snapshots`), chosen with a slider or played through.

Explore draws the whole replay (prediction, word strip, hidden-state heatmap, a play
button); the Lesson's first step a small one (slider, answer, word strip). Every frame
comes from the worker through the server-wide caches of :mod:`rnnlab_app.resources`.
"""
from __future__ import annotations

import time

import streamlit as st

from rnnlab import charts
from rnnlab.errors import InputError
from rnnlab.runs import RunStoreError
from rnnlab.snapshots import ReplayIndex
from rnnlab_app import resources as res
from rnnlab_app import ui
from rnnlab_app.ui import tr
from . import plot

PLAY_PAUSE_S = 0.7           # between two frames while playing


def index_of(run_id: str) -> ReplayIndex | None:
    """The run's snapshots, or None: it has none, or (said on the page) its file is damaged."""
    try:
        return res.replay_index(run_id)
    except RunStoreError as exc:
        st.warning(tr("replay.damaged", error=ui.esc(exc)), icon=":material/broken_image:")
        return None


def label(index: ReplayIndex, k: int) -> str:
    """'after 3/16' for a snapshot, 'all of training' for the end of a whole training."""
    if k == index.count - 1 and index.complete:
        return tr("replay.all")
    return tr("replay.after", k=k + 1, n=index.count)


def _start(key: str) -> None:
    st.session_state[key] = 0
    st.session_state[f"{key}.playing"] = True


def _stop(key: str) -> None:
    st.session_state[f"{key}.playing"] = False
    st.session_state.pop(f"{key}.next", None)


def slider(index: ReplayIndex, key: str) -> int:
    """The snapshot picked (0-based); a new run starts at the end of training."""
    if f"{key}.next" in st.session_state:            # the player's next frame, set before the widget exists
        st.session_state[key] = st.session_state.pop(f"{key}.next")
    if st.session_state.get(key) not in range(index.count):
        st.session_state[key] = index.count - 1
    return st.select_slider(tr("replay.slider"), options=list(range(index.count)), key=key,
                            format_func=lambda k: label(index, k), help=tr("replay.slider_help"))


def frame(run_id: str, text: str, k: int):
    """The run's reading of ``text`` at snapshot ``k``, or None after saying why it cannot be read."""
    try:
        return res.replay(run_id, text, k)
    except InputError as exc:
        st.warning(tr("explore.bad_text", error=ui.esc(exc)))
    except RunStoreError as exc:
        st.warning(tr("replay.damaged", error=ui.esc(exc)), icon=":material/broken_image:")
    return None


def answer(index: ReplayIndex, found, names) -> None:
    c = found.predicted_index
    st.markdown(tr("replay.answer", cls=names[c], p=ui.pct(found.probabilities[c], 0)))
    st.caption(tr("replay.samples", n=ui.num(index.samples[found.k]), p=ui.pct(index.fraction(found.k), 0)))


def strip(found, names) -> None:
    c = found.predicted_index
    st.html(charts.token_strip_html([t.word for t in found.tokens], found.occlusion, charts.class_color(c),
                                    unknown=[t.unknown for t in found.tokens], value_label=tr("attr.occlusion"),
                                    unknown_label=tr("explore.unknown_word")))
    st.caption(tr("lesson.strip_note", cls=names[c]))


def heatmap(run_id: str, found, key: str) -> None:
    """The last layer's forward hidden state, on one colour scale (-1..1) at every snapshot."""
    layer = next(layer for layer in reversed(found.layers) if layer.direction == "forward")
    words = [t.word for t in found.tokens]
    title = tr("explore.hidden_title", layer=tr("explore.layer_option", n=layer.name.split("_")[-1],
                                                  direction=tr("direction.forward")))
    fig = res.figure(run_id, "replay-hidden", lambda: charts.state_heatmap(
        layer.hidden, words, title=title, unit_label=tr("chart.unit"), token_label=tr("chart.token"),
        value_label=tr("chart.value"), zmax=1.0), ui.lang(), found.text, found.k)
    plot.chart(fig, key=f"fig-{key}-hidden", note=tr("replay.heatmap_note"))


def bars(run_id: str, found, names, key: str) -> None:
    fig = res.figure(run_id, "replay-probs", lambda: charts.probability_bars(
        found.probabilities, names, axis_label=tr("chart.probability")), ui.lang(), found.text, found.k)
    plot.chart(fig, key=f"fig-{key}-probs")


def player(run_id: str, text: str, index: ReplayIndex, key: str, full: bool = True) -> None:
    """The replay: a slider (and with ``full`` a play button, the probabilities and the heatmap).

    Playing steps one snapshot per rerun of this fragment, from the first to the end.
    """
    @st.fragment
    def panel():
        playing = st.session_state.get(f"{key}.playing", False)
        k = slider(index, key)
        if full:
            if playing:
                st.button(tr("replay.stop"), key=f"{key}.stop", icon=":material/stop:", on_click=_stop, args=(key,))
            else:
                st.button(tr("replay.play"), key=f"{key}.play", icon=":material/play_arrow:",
                          help=tr("replay.play_help"), on_click=_start, args=(key,))
        found = frame(run_id, text, k)
        if found is None:
            return
        names = ui.class_names()
        answer(index, found, names)
        if full:
            bars(run_id, found, names, key)
        strip(found, names)
        if full:
            heatmap(run_id, found, key)
        if playing:
            if k >= index.count - 1:
                _stop(key)
            else:
                time.sleep(PLAY_PAUSE_S)
                st.session_state[f"{key}.next"] = k + 1
            st.rerun(scope="fragment")

    panel()
