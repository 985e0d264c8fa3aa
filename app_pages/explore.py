"""Explore: one run reads one headline; every step of its reading, drawn."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab import charts
from rnnlab.data import DataError
from rnnlab.errors import InputError
from rnnlab.runs import RunStoreError
from rnnlab_app import explain
from rnnlab_app import resources as res
from rnnlab_app import ui
from rnnlab_app.ui import tr

ui.keep_params("explore")
st.title(tr("explore.title"))
st.markdown(tr("explore.intro"))


def pick_run() -> str | None:
    runs = ui.runs_first(res.ok_runs())       # ready-trained (preset) runs first
    if not runs:
        ui.no_runs("explore")
        return None
    by_id = {r.run_id: r for r in runs}
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


def section(title_key: str) -> None:
    st.divider()
    st.header(tr(title_key))


def prediction(trace, names) -> None:
    c = trace.predicted_index
    left, right = st.columns([1, 2], vertical_alignment="center")
    with left:
        st.metric(tr("explore.predicted"), names[c], help=tr("explore.predicted_help"))
        st.markdown(tr("explore.confidence", p=f"{trace.probabilities[c]:.0%}"))
    with right:
        ui.chart(charts.probability_bars(trace.probabilities, names, axis_label=tr("chart.probability")),
                 key="fig-probs", note=tr("note.probabilities"))
    st.caption(tr("explore.reads", n=len(trace.tokens)))
    st.text(trace.cleaned or "[UNK]")
    if trace.truncated:
        st.warning(tr("explore.truncated", n=trace.max_length), icon=":material/content_cut:")
    unknown = [t.word for t in trace.tokens if t.unknown]
    if unknown:
        st.caption(tr("explore.unknown", n=len(unknown)))


def attribution_strip(trace, names) -> None:
    methods = [m for m in ("occlusion", "integrated_gradients") if m in trace.attributions]
    if not methods:
        return
    if st.session_state.get("explore_attr") not in methods:
        st.session_state["explore_attr"] = methods[0]
    method = st.segmented_control(tr("explore.attr_method"), methods, key="explore_attr", required=True,
                                  format_func=lambda m: tr(f"attr.{m}"))
    method = method or methods[0]
    words = [t.word for t in trace.tokens]
    st.html(charts.token_strip_html(words, trace.attributions[method], charts.class_color(trace.predicted_index),
                                    unknown=[t.unknown for t in trace.tokens], value_label=tr(f"attr.{method}"),
                                    unknown_label=tr("explore.unknown_word")))
    st.caption(tr("note.attributions", cls=names[trace.predicted_index]) + " " + tr(f"note.attr.{method}"))


def heatmaps(trace, words) -> tuple[str, str]:
    options = [(layer.name, layer.direction) for layer in trace.layers]
    labels = {opt: tr("explore.layer_option", n=opt[0].split("_")[-1], direction=tr(f"direction.{opt[1]}"))
              for opt in options}
    keys = [f"{n}|{d}" for n, d in options]
    if st.session_state.get("explore_layer") not in keys:
        st.session_state["explore_layer"] = keys[0]
    if len(keys) > 1:
        st.selectbox(tr("explore.layer"), keys, key="explore_layer",
                     format_func=lambda k: labels[tuple(k.split("|"))], help=tr("explore.layer_help"))
    name, direction = st.session_state["explore_layer"].split("|")
    layer = trace.layer(name, direction)
    label = labels[(name, direction)]
    ui.chart(charts.state_heatmap(layer.hidden, words, title=tr("explore.hidden_title", layer=label),
                                  unit_label=tr("chart.unit"), token_label=tr("chart.token"),
                                  value_label=tr("chart.value"), zmax=1.0),
             key="fig-hidden", note=tr("note.hidden") + (" " + tr("note.backward") if direction == "backward" else ""))
    internals = list(layer.internals)
    if internals:
        if st.session_state.get("explore_internal") not in internals:
            st.session_state["explore_internal"] = internals[0]
        st.segmented_control(tr("explore.internal"), internals, key="explore_internal", required=True,
                             format_func=lambda k: tr(f"internal.{k}"))
        internal = st.session_state.get("explore_internal") or internals[0]
        kind = explain.INTERNAL_KIND.get(internal, "state")
        ui.chart(charts.state_heatmap(layer.internals[internal], words, kind=kind,
                                      title=tr("explore.internal_title", what=tr(f"internal.{internal}"), layer=label),
                                      unit_label=tr("chart.unit"), token_label=tr("chart.token"),
                                      value_label=tr("chart.value")),
                 key="fig-internal", note=tr(f"note.internal.{internal}"))
    return name, direction


def neuron_view(run_id, trace, layer_name, direction) -> None:
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
    st.caption(tr("note.neuron", n=found.get("n_headlines", "")))
    for part in ("top", "bottom"):
        with st.container():
            st.subheader(tr(f"explore.neuron_{part}"))
            frame = pd.DataFrame([{tr("explore.context"): r["context"], tr("chart.value"): r["value"],
                                   tr("explore.headline_col"): r["headline"]} for r in found[part]])
            st.dataframe(frame, hide_index=True, column_config={
                tr("chart.value"): st.column_config.NumberColumn(format="%.3f"),
                tr("explore.context"): st.column_config.TextColumn(width="large"),
                tr("explore.headline_col"): st.column_config.TextColumn(width="large")})


def padding(run_id, text, names) -> None:
    pads = st.slider(tr("explore.pads"), 0, 60, 20, step=5, key="explore_pads")
    try:
        demo = res.padding_demo(run_id, text, pads)
    except InputError as exc:
        st.warning(str(exc))
        return
    ui.chart(charts.padding_demo(demo, names, masked_label=tr("padding.masked"), unmasked_label=tr("padding.unmasked"),
                                 pads_label=tr("padding.pads"), probability_label=tr("chart.probability"),
                                 drift_label=tr("padding.drift"), probability_title=tr("padding.prob_title"),
                                 drift_title=tr("padding.drift_title")),
             key="fig-padding", note=tr("note.padding"))
    own = tr("padding.model_masks") if demo.get("model_masking") else tr("padding.model_no_mask")
    st.info(own, icon=":material/info:")


def main() -> None:
    run_id = pick_run()
    if run_id is None:
        return
    try:
        with st.spinner(tr("explore.loading")):
            config = res.run_config(run_id)
    except RunStoreError as exc:
        st.error(tr("explore.load_failed", run=ui.esc(run_id)))
        st.text(str(exc))
        return
    except Exception as exc:  # a model the trace engine cannot read: say so, keep the page up
        st.error(tr("explore.load_failed", run=ui.esc(run_id)))
        st.text(f"{type(exc).__name__}: {exc}")
        return
    info = next((r for r in res.ok_runs() if r.run_id == run_id), None)
    st.caption(ui.describe(config) + (f" · {tr('eval.test_accuracy')}: {info.metrics['test_accuracy']:.1%}"
                                      if info and isinstance(info.metrics.get("test_accuracy"), float) else ""))

    text = ui.headline_input("explore")
    if not text.strip():
        st.info(tr("explore.type_headline"), icon=":material/keyboard:")
        return
    try:
        with st.spinner(tr("explore.reading")):
            trace = res.trace(run_id, text)
    except InputError as exc:
        st.warning(tr("explore.bad_text", error=ui.esc(exc)))
        return
    names = ui.class_names()
    words = [t.word for t in trace.tokens]

    section("explore.section_prediction")
    prediction(trace, names)
    st.subheader(tr("explore.attr_title"))
    attribution_strip(trace, names)

    section("explore.section_forming")
    ui.chart(charts.prefix_probabilities(trace.prefix_probabilities, words, names,
                                         token_label=tr("chart.after_reading"),
                                         probability_label=tr("chart.probability")),
             key="fig-prefix", note=tr("note.prefix"))

    section("explore.section_inside")
    st.markdown(tr("explore.recurrence_intro"))
    for shape in explain.layer_shapes(config):
        st.latex(explain.recurrence_latex(shape))
        st.caption(tr("explore.shapes", layer=shape.name.split("_")[-1], units=shape.units, inputs=shape.input_dim,
                      gates=shape.gates, cell=ui.cell_name(shape.cell), params=f"{explain.parameter_count(shape):,}")
                   + (" " + tr(f"explore.gates.{shape.cell}") if shape.gates > 1 else ""))
    layer_name, direction = heatmaps(trace, words)

    st.subheader(tr("explore.state_change_title"))
    ui.chart(charts.state_change(trace.state_change, words, token_label=tr("chart.token"),
                                 value_label=tr("chart.state_change")),
             key="fig-change", note=tr("note.state_change"))

    st.subheader(tr("explore.pca_title"))
    if trace.projection is None:
        st.info(tr("explore.pca_no_data"))
    else:
        basis = res.projection_basis(run_id)
        centroids = [basis.get("class_centroids", {}).get(n) for n in
                     ("World", "Sports", "Business", "Sci/Tech")]
        ratio = basis.get("explained_variance_ratio", [0, 0])
        ui.chart(charts.projection_path(trace.projection, words, centroids=centroids, class_names=names,
                                        x_label=tr("chart.pca_x", p=f"{ratio[0]:.0%}"),
                                        y_label=tr("chart.pca_y", p=f"{ratio[1]:.0%}"),
                                        path_label=tr("chart.this_headline"), start_label=tr("chart.start"),
                                        end_label=tr("chart.end"), centroid_label=tr("chart.centroid")),
                 key="fig-pca", note=tr("note.pca"))

    section("explore.section_neurons")
    neuron_view(run_id, trace, layer_name, direction)

    section("explore.section_padding")
    padding(run_id, text, names)

    section("explore.section_downloads")
    st.markdown(tr("explore.download_trace"))
    ui.trace_downloads(trace, key="trace-dl")
    st.markdown(tr("explore.download_run"))
    ui.run_downloads(run_id, key="run-dl")


main()
