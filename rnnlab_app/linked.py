"""Explore's linked views: one chosen word for every chart, and a headline pinned for comparison.

The chosen word (``explore_step``, 0-based; in the URL as ``step``, 1-based) is set by
a click on a point or bar of Explore's token charts (Streamlit's ``on_select``), or by
the step slider; every chart with a token axis then outlines it, and the word strip
frames it. A new headline or run clears it. The pinned headline (``explore_pin``, URL
``pin``) is read by the same run as the headline on screen and drawn against it.
"""
from __future__ import annotations

import streamlit as st

from rnnlab import charts
from rnnlab.analysis import edits
from rnnlab.errors import InputError
from rnnlab_app import resources as res
from rnnlab_app import ui
from rnnlab_app.ui import tr
from . import headline
from . import plot

STEP, STEP_FOR, SLIDER, FIGURE = "explore_step", "explore_step_for", "linked_step_slider", "fig-linked"
PIN, HEADLINE = "explore_pin", "explore_headline"
NONE = -1                  # the slider's "no word chosen"
ATTRIBUTION = "occlusion"  # what "the most important word" means: the drop without it
SHOWN = 300                # characters of the pinned headline written out


# -- the chosen word -----------------------------------------------------------------------

def selected_step() -> int | None:
    return st.session_state.get(STEP)


def sync_step(run_id: str, trace) -> int | None:
    """The chosen word for this run and headline: from the link on a session's first run,
    kept while the headline stays, cleared by a new one; written back to the URL."""
    n, here = len(trace.tokens), (run_id, trace.text)
    if STEP_FOR not in st.session_state:
        requested = ui.get_param("step") or ""
        st.session_state[STEP] = int(requested) - 1 if requested.isascii() and requested.isdigit() else None
    elif st.session_state[STEP_FOR] != here:
        st.session_state[STEP] = None
    st.session_state[STEP_FOR] = here
    step = st.session_state.get(STEP)
    if step is not None and not 0 <= step < n:
        step = st.session_state[STEP] = None
    ui.set_param("step", None if step is None else str(step + 1))
    return step


def choose_from_chart(key: str) -> None:
    """A chart's selection callback: the clicked point's position becomes the chosen word
    (a click on empty space, which clears Plotly's selection, keeps it)."""
    points = (st.session_state.get(key) or {}).get("selection", {}).get("points") or []
    positions = [p["x"] for p in points if isinstance(p.get("x"), (int, float))]
    if positions:
        st.session_state[STEP] = int(round(positions[0]))


def _choose_from_slider() -> None:
    value = st.session_state.get(SLIDER, NONE)
    st.session_state[STEP] = None if value == NONE else int(value)


def mark(fig, run_id: str, name: str, *key):
    """``fig`` with the chosen word outlined (cached per word like every figure), or ``fig``."""
    step = selected_step()
    if step is None:
        return fig
    return res.figure(run_id, f"{name}@step", lambda: charts.mark_step(fig, step), ui.lang(), *key, step)


# -- step by step ------------------------------------------------------------------------------

def steps_panel(run_id: str, trace, names, words, layer, layer_label: str) -> None:
    """The four token views in one figure, the step slider and the chosen step's numbers."""
    st.subheader(tr("linked.title"))
    n = len(words)
    st.session_state[SLIDER] = NONE if selected_step() is None else selected_step()
    st.select_slider(tr("linked.slider"), options=[NONE, *range(n)], key=SLIDER, on_change=_choose_from_slider,
                     format_func=lambda k: tr("linked.none") if k == NONE else f"{k + 1}: {words[k]}",
                     help=tr("linked.slider_help"))
    step = selected_step()
    if step is not None:
        step_numbers(edits.step_numbers(trace, step, layer), names, n)
    method = ATTRIBUTION if ATTRIBUTION in trace.attributions else next(iter(trace.attributions))
    attribution = tr(f"attr.{method}")
    base = res.figure(run_id, "linked", lambda: charts.step_by_step(
        trace.prefix_probabilities, trace.state_change, trace.attributions[method], layer.hidden, words, names,
        probability_label=tr("linked.row.prediction"), change_label=tr("linked.row.change"),
        attribution_label=attribution[:1].upper() + attribution[1:],
        hidden_label=tr("linked.row.hidden", layer=layer_label),
        unit_label=tr("chart.unit"), value_label=tr("chart.value")),
        ui.lang(), trace.text, layer.name, layer.direction)
    plot.chart(mark(base, run_id, "linked", trace.text, layer.name, layer.direction), key=FIGURE,
             note=tr("linked.note"), on_select=lambda: choose_from_chart(FIGURE))


def step_numbers(numbers: edits.StepNumbers, names, n: int) -> None:
    """The chosen step's numbers, in one compact box."""
    with st.container(border=True, key="linked_step_box"):
        st.markdown(tr("linked.step", k=numbers.position + 1, n=n, word=ui.esc(numbers.word)))
        top = int(numbers.probabilities.argmax())
        st.markdown(" · ".join((f"**{names[c]} {ui.pct(p, 0)}**" if c == top else f"{names[c]} {ui.pct(p, 0)}")
                               for c, p in enumerate(numbers.probabilities)))
        parts = [tr("linked.change", value=ui.num(numbers.state_change, 3))]
        parts += [f"{tr(f'attr.{k}')} {'+' if v >= 0 else ''}{ui.num(v, 3)}" for k, v in numbers.attributions.items()]
        st.caption(" · ".join(parts))
        if numbers.gate_means:
            st.caption(tr("linked.gates") + " " + " · ".join(
                f"{tr(f'internal.{g}')} {ui.num(v, 2)}" for g, v in numbers.gate_means.items()))


# -- pin and compare ----------------------------------------------------------------------------

def pinned() -> str | None:
    """The pinned headline: from the link on a session's first run, then the person's."""
    if PIN not in st.session_state:      # cut as the headline box cuts a link's headline
        st.session_state[PIN] = (ui.get_param("pin") or "")[:headline.MAX_HEADLINE_CHARS + 1] or None
    pin = st.session_state[PIN]
    ui.set_param("pin", pin and pin[:500])
    return pin


def _pin(text: str | None) -> None:
    st.session_state[PIN] = text


def _edit(text: str) -> None:
    """Make ``text`` the headline (a button's callback: it runs before the text box is drawn)."""
    st.session_state[HEADLINE] = text
    st.session_state["keep.headline_label"] = (text, None)


def pin_panel(run_id: str, trace, names) -> None:
    """Pin a headline, edit the one on screen, and see the two read side by side."""
    st.subheader(tr("pin.title"))
    pin = pinned()
    if not pin:
        st.markdown(tr("pin.intro"))
        st.button(tr("pin.pin"), key="pin_pin", icon=":material/push_pin:", on_click=_pin, args=(trace.text,))
        return
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.markdown(tr("pin.pinned", text=ui.esc(pin if len(pin) <= SHOWN else pin[:SHOWN] + "…")))
    right.button(tr("pin.unpin"), key="pin_unpin", on_click=_pin, args=(None,), icon=":material/close:")
    if pin != trace.text:
        right.button(tr("pin.repin"), key="pin_repin", on_click=_pin, args=(trace.text,))
    edit_buttons(run_id, trace)
    if pin == trace.text:
        st.info(tr("pin.same"), icon=":material/edit:")
        return
    try:
        with st.spinner(tr("explore.reading")):
            other = res.trace(run_id, pin)
    except InputError as exc:
        st.warning(tr("pin.bad", error=ui.esc(exc)))
        return
    comparison(run_id, other, trace, names)


def edit_buttons(run_id: str, trace) -> None:
    """One click each: drop the most important word, reverse the words, swap a word for its
    nearest neighbour in the run's embedding space. They edit the headline on screen."""
    tokens = [t.token for t in trace.tokens]
    st.caption(tr("pin.edits"))
    cols = st.columns(3, vertical_alignment="bottom")
    if len(tokens) > 1:
        top = edits.most_important(trace.attributions[ATTRIBUTION])
        cols[0].button(tr("pin.drop", word=ui.esc(tokens[top])), key="pin_drop", on_click=_edit,
                       args=(edits.drop_word(tokens, top),), help=tr("pin.drop_help"))
        cols[1].button(tr("pin.reverse"), key="pin_reverse", on_click=_edit, args=(edits.reverse_words(tokens),))
    default = selected_step()
    if default is None:
        default = edits.most_important(trace.attributions[ATTRIBUTION])
    # The options are the labels themselves: a headline with as many words but others gets
    # new options (a list of numbers with a new format_func would keep showing the old words).
    labels = [f"{i + 1}: {token}" for i, token in enumerate(tokens)]
    ui.choice("pin_swap_word", labels, labels[default])
    with cols[2]:
        index = labels.index(st.selectbox(tr("pin.swap_word"), labels, key="pin_swap_word"))
        found = res.embedding_neighbour(run_id, trace.tokens[index].id)
        if found is None:
            st.caption(tr("pin.no_neighbour", word=ui.esc(tokens[index])))
        else:
            st.button(tr("pin.swap", word=ui.esc(tokens[index]), other=ui.esc(found.word)), key="pin_swap",
                      on_click=_edit,
                      args=(edits.swap_word(tokens, index, found.word),),
                      help=tr("pin.swap_help", other=ui.esc(found.word), cosine=ui.num(found.cosine, 2)))


def comparison(run_id: str, other, trace, names) -> None:
    """The pinned headline (``other``) and the one on screen (``trace``), drawn together."""
    hidden, pinned_hidden = edits.last_forward(trace).hidden, edits.last_forward(other).hidden
    words, pinned_words = [t.word for t in trace.tokens], [t.word for t in other.tokens]
    fig = res.figure(run_id, "pinned", lambda: charts.pinned_comparison(
        other.prefix_probabilities, trace.prefix_probabilities, edits.state_difference(pinned_hidden, hidden),
        pinned_words, words, names, pinned_label=tr("pin.pinned_short"),
        probability_label=tr("linked.row.prediction"), difference_label=tr("pin.difference"),
        position_label=tr("pin.position")), ui.lang(), trace.text, other.text)
    plot.chart(fig, key="fig-pinned", note=tr("pin.note"))
    for label, t in ((tr("pin.strip_pinned"), other), (tr("pin.strip_now"), trace)):
        st.caption(label)
        st.html(charts.token_strip_html([x.word for x in t.tokens], t.attributions[ATTRIBUTION],
                                        charts.class_color(t.predicted_index), unknown=[x.unknown for x in t.tokens],
                                        value_label=tr(f"attr.{ATTRIBUTION}"),
                                        unknown_label=tr("explore.unknown_word")))
    st.caption(tr("pin.strips_note", now=names[trace.predicted_index], pinned=names[other.predicted_index]))
