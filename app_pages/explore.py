"""Explore: one run reads one headline; every step of its reading, drawn.

The answer is always on top; below it one panel at a time (chosen with a selector and
kept in the URL as ``panel``), so opening the page builds only what the first screen
shows. Each panel's own controls re-run only that panel (``st.fragment``), and every
figure comes from the server-wide figure cache: a headline anybody has read before
costs no computation, whatever the language.
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab import cells, charts, vocabulary
from rnnlab.data import DataError
from rnnlab.errors import InputError
from rnnlab.runs import RunStoreError
from rnnlab_app import explain, handouts, headline, linked, links, neighbours, plot, replay, results, trainings
from rnnlab_app import resources as res
from rnnlab_app import ui
from rnnlab_app.ui import tr

PANELS = ("reading", "linked", "pin", "inside", "path", "neurons", "padding", "memory", "neighbours", "replay",
          "downloads")
TOKEN_CHARTS = ("prefix", "change", "hidden", "internal")     # x: the words; the chosen word is outlined
SELECTABLE = ("prefix", "change")                             # a click on a point or bar chooses its word


def pick_run() -> str | None:
    runs = ui.runs_first(res.ok_runs())       # ready-trained (preset) runs first
    if not runs:
        trainings.no_runs("explore")
        return None
    by_id = {r.run_id: r for r in runs}
    fixed = links.fixed_run(list(by_id))
    if fixed:                                 # the teacher's link fixes the run: no picker
        links.show_fixed(tr("explore.run"), ui.run_label(by_id[fixed], fixed))
        ui.set_param("run", fixed)
        return fixed
    requested, problem = ui.validate_run_param(ui.get_param("run"), list(by_id))
    if problem:
        st.warning(problem, icon=":material/link_off:")
    if "explore_run" not in st.session_state or st.session_state["explore_run"] not in by_id:
        kept = ui.remembered("run")
        st.session_state["explore_run"] = requested or (kept if kept in by_id else runs[0].run_id)
    run_id = st.selectbox(tr("explore.run"), list(by_id), key="explore_run",
                          format_func=lambda rid: ui.run_label(by_id.get(rid), rid), help=tr("explore.run_help"))
    ui.remember("run", run_id)
    ui.set_param("run", run_id)
    return run_id


def chart(run_id: str, text: str, name: str, build, note: str, *settings) -> None:
    """Draw a figure from the server-wide cache (keyed by run, text, language, settings)."""
    fig = res.figure(run_id, name, build, ui.lang(), text, *settings)
    if name in TOKEN_CHARTS:
        fig = linked.mark(fig, run_id, name, text, *settings)
    key = f"fig-{name}"
    plot.chart(fig, key=key, note=note,
             on_select=(lambda: linked.choose_from_chart(key)) if name in SELECTABLE else None)


def prediction(run_id, trace, names) -> None:
    c = trace.predicted_index
    left, right = st.columns([1, 2], vertical_alignment="center")
    with left:
        st.metric(tr("explore.predicted"), names[c], help=tr("explore.predicted_help"))
        st.markdown(tr("explore.confidence", p=ui.pct(trace.probabilities[c], 0)))
    with right:
        chart(run_id, trace.text, "probs",
              lambda: charts.probability_bars(trace.probabilities, names, axis_label=tr("chart.probability")),
              tr("note.probabilities"))
    st.caption(tr("explore.reads", n=len(trace.tokens)))
    st.text(trace.cleaned or "[UNK]")
    if trace.truncated:
        st.warning(tr("explore.truncated", n=trace.max_length), icon=":material/content_cut:")
    unknown = [t.word for t in trace.tokens if t.unknown]
    if unknown:
        st.caption(tr("explore.unknown", n=len(unknown)))


def pick_panel() -> str:
    if st.session_state.get("explore_panel") not in PANELS:
        requested = ui.get_param("panel")
        st.session_state["explore_panel"] = requested if requested in PANELS else PANELS[0]
    panel = st.segmented_control(tr("explore.panel"), PANELS, key="explore_panel", required=True,
                                 format_func=lambda p: tr(f"explore.panel.{p}")) or PANELS[0]
    ui.set_param("panel", None if panel == PANELS[0] else panel)
    return panel


# -- panels ------------------------------------------------------------------------------

def reading_panel(run_id, config, trace, names, words) -> None:
    st.subheader(tr("explore.attr_title"))
    attribution_strip(trace, names, words, res.word_sources(run_id, trace.text), config.embeddings)
    st.subheader(tr("explore.section_forming"))
    chart(run_id, trace.text, "prefix",
          lambda: charts.prefix_probabilities(trace.prefix_probabilities, words, names,
                                              token_label=tr("chart.after_reading"),
                                              probability_label=tr("chart.probability")),
          tr("note.prefix"))
    st.subheader(tr("explore.state_change_title"))
    chart(run_id, trace.text, "change",
          lambda: charts.state_change(trace.state_change, words, token_label=tr("chart.token"),
                                      value_label=tr("chart.state_change")),
          tr("note.state_change"))


@st.fragment
def attribution_strip(trace, names, words, sources, embeddings) -> None:
    methods = [m for m in ("occlusion", "integrated_gradients") if m in trace.attributions]
    if not methods:
        return
    method = ui.choice("explore_attr", methods, methods[0])
    method = st.segmented_control(tr("explore.attr_method"), methods, key="explore_attr", required=True,
                                  format_func=lambda m: tr(f"attr.{m}")) or method
    st.html(charts.token_strip_html(words, trace.attributions[method], charts.class_color(trace.predicted_index),
                                    unknown=[t.unknown for t in trace.tokens], value_label=tr(f"attr.{method}"),
                                    unknown_label=tr("explore.unknown_word"), sources=sources,
                                    source_labels={s: tr(f"explore.source.{s}") for s in vocabulary.SOURCES},
                                    selected=linked.selected_step()))
    if sources is not None:
        st.caption(" · ".join(f"{vocabulary.MARKS[s]} {tr(f'explore.source.{s}')}"
                              for s in vocabulary.possible_sources(embeddings)))
    st.caption(tr("note.attributions", cls=names[trace.predicted_index]) + " " + tr(f"note.attr.{method}"))


def inside_panel(run_id, config, trace, words) -> None:
    st.markdown(tr("explore.recurrence_intro"))
    for shape in explain.layer_shapes(config):
        st.latex(explain.recurrence_latex(shape))
        st.caption(tr("explore.shapes", layer=shape.name.split("_")[-1], units=shape.units, inputs=shape.input_dim,
                      gates=shape.gates, cell=cells.label(shape.cell), params=ui.num(explain.parameter_count(shape)))
                   + (" " + tr(f"explore.gates.{shape.cell}") if shape.gates > 1 else ""))
    heatmaps(run_id, trace, words)


def layer_choice(trace) -> tuple[str, str, str]:
    """The layer and direction picked (one choice for the heatmaps and the neuron view)."""
    options = [f"{layer.name}|{layer.direction}" for layer in trace.layers]

    def label(key: str) -> str:
        name, direction = key.split("|")
        return tr("explore.layer_option", n=name.split("_")[-1], direction=tr(f"direction.{direction}"))

    key = ui.choice("explore_layer", options, options[0], keep=True)
    if len(options) > 1:
        key = st.selectbox(tr("explore.layer"), options, key="explore_layer", format_func=label,
                           help=tr("explore.layer_help"), on_change=ui.keep_choice, args=("explore_layer",))
    name, direction = key.split("|")
    return name, direction, label(key)


@st.fragment
def heatmaps(run_id, trace, words) -> None:
    name, direction, label = layer_choice(trace)
    layer = trace.layer(name, direction)
    top, value_label = results.state_scale(layer.hidden)
    chart(run_id, trace.text, "hidden",
          lambda: charts.state_heatmap(layer.hidden, words, title=tr("explore.hidden_title", layer=label),
                                       unit_label=tr("chart.unit"), token_label=tr("chart.token"),
                                       value_label=value_label, zmax=top),
          tr("note.hidden") + (" " + tr("note.backward") if direction == "backward" else ""), name, direction)
    internals = list(layer.internals)
    if not internals:
        return
    ui.choice("explore_internal", internals, internals[0])
    internal = st.segmented_control(tr("explore.internal"), internals, key="explore_internal", required=True,
                                    format_func=lambda k: tr(f"internal.{k}")) or internals[0]
    chart(run_id, trace.text, "internal",
          lambda: charts.state_heatmap(layer.internals[internal], words,
                                       kind=cells.INTERNAL_KIND.get(internal, cells.STATE),
                                       title=tr("explore.internal_title", what=tr(f"internal.{internal}"),
                                                layer=label),
                                       unit_label=tr("chart.unit"), token_label=tr("chart.token"),
                                       value_label=tr("chart.value")),
          tr(f"note.internal.{internal}"), name, direction, internal)


def path_panel(run_id, trace, names, words) -> None:
    st.subheader(tr("explore.pca_title"))
    if trace.projection is None:
        st.info(tr("explore.pca_no_data"))
        return
    basis = res.projection_basis(run_id)
    centroids = [basis.centroid(n) for n in ("World", "Sports", "Business", "Sci/Tech")]
    ratio = basis.explained_variance_ratio
    chart(run_id, trace.text, "pca",
          lambda: charts.projection_path(trace.projection, words, centroids=centroids, class_names=names,
                                         x_label=tr("chart.pca_x", p=ui.pct(ratio[0], 0)),
                                         y_label=tr("chart.pca_y", p=ui.pct(ratio[1], 0)),
                                         path_label=tr("chart.this_headline"), start_label=tr("chart.start"),
                                         end_label=tr("chart.end"), centroid_label=tr("chart.centroid")),
          tr("note.pca"))


@st.fragment
def neuron_panel(run_id, trace) -> None:
    st.subheader(tr("explore.section_neurons"))
    layer_name, direction, _ = layer_choice(trace)
    layer = trace.layer(layer_name, direction)
    units = layer.hidden.shape[1]
    busiest = int(np.abs(layer.hidden[-1]).argmax())
    key = f"explore_unit|{run_id}|{layer_name}|{direction}"
    if key not in st.session_state:
        st.session_state[key] = busiest
    unit = st.number_input(tr("explore.unit", n=units - 1), min_value=0, max_value=units - 1, step=1, key=key,
                           help=tr("explore.unit_help", busiest=busiest))
    st.caption(tr("explore.unit_now", unit=unit, value=f"{layer.hidden[-1, unit]:+.3f}", busiest=busiest))
    try:
        with st.spinner(tr("explore.searching")):
            found = res.neuron_contexts(run_id, layer_name, direction, int(unit))
    except DataError:
        st.info(tr("explore.neuron_no_data"))
        return
    st.caption(tr("note.neuron", n=found.n_headlines))
    for part, contexts in (("top", found.top), ("bottom", found.bottom)):
        st.subheader(tr(f"explore.neuron_{part}"))
        frame = pd.DataFrame([{tr("explore.context"): r.context, tr("chart.value"): r.value,
                               tr("explore.headline_col"): r.headline} for r in contexts])
        st.dataframe(ui.number_table(frame, decimals={tr("chart.value"): 3}), hide_index=True, column_config={
            tr("explore.context"): st.column_config.TextColumn(width="large"),
            tr("explore.headline_col"): st.column_config.TextColumn(width="large")})


@st.fragment
def padding_panel(run_id, text, names) -> None:
    st.subheader(tr("explore.section_padding"))
    pads = st.slider(tr("explore.pads"), 0, 60, 20, step=5, key="explore_pads")
    try:
        demo = res.padding_demo(run_id, text, pads)
    except InputError as exc:
        st.warning(str(exc))
        return
    chart(run_id, text, "padding",        # the chart draws the nested form: {"masked": {...}, ...}
          lambda: charts.padding_demo(asdict(demo), names, masked_label=tr("padding.masked"),
                                      unmasked_label=tr("padding.unmasked"), pads_label=tr("padding.pads"),
                                      probability_label=tr("chart.probability"), drift_label=tr("padding.drift"),
                                      probability_title=tr("padding.prob_title"),
                                      drift_title=tr("padding.drift_title")),
          tr("note.padding"), pads)
    own = tr("padding.model_masks") if demo.model_masking else tr("padding.model_no_mask")
    st.info(own, icon=":material/info:")


def memory_panel(run_id, trace, names) -> None:
    """How much the final answer still depends on each word, against its distance from the end."""
    st.subheader(tr("explore.memory_title"))
    with st.spinner(tr("explore.reading")):
        found = res.memory(run_id, trace.text)
    tokens = found.tokens
    chart(run_id, trace.text, "memory",
          lambda: charts.memory_dependence([t.word for t in tokens], [t.distance for t in tokens],
                                           [t.gradient_norm for t in tokens], [t.occlusion_drop for t in tokens],
                                           color=charts.class_color(found.predicted),
                                           distance_label=tr("memory.distance"), gradient_label=tr("memory.gradient"),
                                           occlusion_label=tr("memory.occlusion"),
                                           gradient_title=tr("memory.gradient_title"),
                                           occlusion_title=tr("memory.occlusion_title")),
          tr("note.memory", cls=names[found.predicted]))
    st.caption(tr("memory.why_unk"))


def replay_panel(run_id, trace) -> None:
    """The same headline read by the network as it learned (the snapshots its training kept)."""
    st.subheader(tr("replay.title"))
    index = replay.index_of(run_id)
    if index is None:
        st.info(tr("replay.none"), icon=":material/history:")
        return
    st.markdown(tr("replay.intro", n=index.count))
    replay.player(run_id, trace.text, index, key="explore_replay")


def downloads_panel(run_id, trace, config) -> None:
    st.markdown(tr("explore.download_trace"))
    results.trace_downloads(trace, key="trace-dl")
    handouts.download_button(ui.describe(config), trace, key="handout-dl")
    st.markdown(tr("explore.download_run"))
    results.run_downloads(run_id, key="run-dl")


# -- the page ------------------------------------------------------------------------------

def open_run(run_id: str):
    """The run's config, loaded in the worker; None (with a message) when it cannot be read."""
    try:
        with st.spinner(tr("explore.loading")):
            return res.run_config(run_id)
    except RunStoreError as exc:
        st.error(tr("explore.load_failed", run=ui.esc(run_id)))
        st.text(str(exc))
    except Exception as exc:  # a model the trace engine cannot read: say so, keep the page up
        st.error(tr("explore.load_failed", run=ui.esc(run_id)))
        st.text(f"{type(exc).__name__}: {exc}")
    return None


def read(run_id: str, text: str):
    try:
        with st.spinner(tr("explore.reading")):
            return res.trace(run_id, text)
    except InputError as exc:
        st.warning(tr("explore.bad_text", error=ui.esc(exc)))
        return None


def main() -> None:
    ui.keep_params("explore")
    st.title(tr("explore.title"))
    st.markdown(tr("explore.intro"))
    run_id = pick_run()
    if run_id is None:
        return
    config = open_run(run_id)
    if config is None:
        return
    info = next((r for r in res.ok_runs() if r.run_id == run_id), None)
    st.caption(ui.describe(config) + (f" · {ui.accuracies(info.metrics)}" if info else ""))
    text = headline.headline_input("explore")
    if not text.strip():
        st.info(tr("explore.type_headline"), icon=":material/keyboard:")
        return
    trace = read(run_id, text)
    if trace is None:
        return
    names = ui.class_names()
    words = [t.word for t in trace.tokens]
    linked.sync_step(run_id, trace)
    st.header(tr("explore.section_prediction"))
    prediction(run_id, trace, names)
    st.divider()
    panel = pick_panel()
    if panel == "reading":
        reading_panel(run_id, config, trace, names, words)
    elif panel == "linked":
        name, direction, label = layer_choice(trace)
        linked.steps_panel(run_id, trace, names, words, trace.layer(name, direction), label)
    elif panel == "pin":
        linked.pin_panel(run_id, trace, names)
    elif panel == "inside":
        inside_panel(run_id, config, trace, words)
    elif panel == "path":
        path_panel(run_id, trace, names, words)
    elif panel == "neurons":
        neuron_panel(run_id, trace)
    elif panel == "padding":
        padding_panel(run_id, text, names)
    elif panel == "memory":
        memory_panel(run_id, trace, names)
    elif panel == "neighbours":
        neighbours.panel(run_id, trace, names)
    elif panel == "replay":
        replay_panel(run_id, trace)
    else:
        downloads_panel(run_id, trace, config)


main()
