"""Compare: two or more runs read the same headline, side by side."""
from __future__ import annotations

import streamlit as st

from rnnlab import charts
from rnnlab.errors import InputError
from rnnlab.runs import RunStoreError
from rnnlab_app import drill, explain
from rnnlab_app import links
from rnnlab_app import resources as res
from rnnlab_app import ui
from rnnlab_app.ui import tr
from rnnlab_app import results
from rnnlab_app import trainings
from rnnlab_app import headline
from rnnlab_app import plot

ui.keep_params("compare")
st.title(tr("compare.title"))
st.markdown(tr("compare.intro"))
MAX_RUNS = 4
PER_ROW = 2


def pairs_panel(by_id: dict) -> None:
    """Preset pairs: pick both runs if trained, else offer to train the missing ones."""
    st.subheader(tr("compare.pairs"))
    cols = st.columns(3)
    for col, (name, (a, b)) in zip(cols, explain.compare_pairs().items()):
        with col, st.container(border=True):
            st.markdown(f"**{tr(f'compare.pair.{name}')}**")
            st.caption(tr(f"compare.pair.{name}.note"))
            ids = [a.run_id(), b.run_id()]
            missing = [c for c in (a, b) if c.run_id() not in by_id]
            if not missing:
                if st.button(tr("compare.show_pair"), key=f"pair-{name}", icon=":material/compare:"):
                    st.session_state["compare_runs"] = ids
                    st.rerun()
            else:
                active = [j for j in res.queue().jobs() if j.run_id in ids and j.active]
                if not active and links.training_off():
                    continue
                if active:
                    st.caption(tr("compare.pair_training", n=len(active)))
                    st.page_link(ui.PAGES["train"], label=tr("compare.watch"), icon=":material/model_training:")
                elif st.button(tr("compare.train_both") if len(missing) == 2 else tr("compare.train_missing"),
                               key=f"train-pair-{name}",
                               icon=":material/play_arrow:"):
                    ag, _ = res.data()
                    if ag is None:
                        st.error(tr("train.no_data_to_train"))
                    else:
                        for config in missing:
                            trainings.submit_training(config)
                        st.session_state["keep.compare_pending"] = ids
                        st.rerun()


def watch_pending() -> None:
    """While a pair this person asked for is training, check every two seconds and show
    the comparison as soon as both runs are saved."""
    pending = ui.remembered("compare_pending")
    if not pending:
        return
    active = [j for j in res.queue().jobs() if j.run_id in pending and j.active]
    if not active:
        return

    @st.fragment(run_every=2.0)
    def poll():
        if not any(j.active for j in res.queue().jobs() if j.run_id in pending):
            st.rerun(scope="app")
        st.caption(tr("compare.pair_training", n=len(active)))

    poll()


def pick_runs(by_id: dict) -> list[str]:
    fixed = links.fixed_runs(list(by_id), MAX_RUNS)
    if fixed:                                 # the teacher's link fixes the runs: no picker
        links.show_fixed(tr("compare.runs"), ", ".join(ui.run_label(by_id[r], r) for r in fixed))
        ui.set_param("runs", ",".join(fixed))
        return fixed
    requested = [r.strip() for r in (ui.get_param("runs") or "").split(",") if r.strip()]
    valid, problems = [], []
    for rid in requested[:MAX_RUNS]:
        ok, problem = ui.validate_run_param(rid, list(by_id))
        if ok:
            valid.append(ok)
        else:
            problems.append(problem)
    for problem in problems:
        st.warning(problem, icon=":material/link_off:")
    pending = ui.remembered("compare_pending")
    if pending and all(p in by_id for p in pending):
        st.session_state["compare_runs"] = list(pending)
        ui.remember("compare_pending", None)
    if "compare_runs" not in st.session_state or any(r not in by_id for r in st.session_state["compare_runs"]):
        kept = [r for r in (ui.remembered("runs") or []) if r in by_id]
        st.session_state["compare_runs"] = valid or kept or list(by_id)[:2]
    chosen = st.multiselect(tr("compare.runs"), list(by_id), key="compare_runs", max_selections=MAX_RUNS,
                            format_func=lambda rid: ui.run_label(by_id.get(rid), rid), help=tr("compare.runs_help"))
    ui.remember("runs", chosen)
    ui.set_param("runs", ",".join(chosen))
    return chosen


def scores_table(chosen: list[str], by_id: dict) -> None:
    """The chosen runs' accuracies side by side: AG News test texts, today's headlines, bare titles."""
    frame = res.runs_frame([by_id[rid] for rid in chosen])
    columns = ("run", "model", "test_accuracy", "headlines_accuracy", "titles_accuracy")
    shown = frame[list(columns)].copy()
    shown["model"] = [ui.describe(by_id[rid].config) for rid in chosen]
    names = {c: tr(f"runs.col.{c}") for c in columns}
    st.dataframe(ui.number_table(shown.rename(columns=names), percent={names[c]: 1 for c in columns[2:]}),
                 hide_index=True, placeholder="–")
    st.caption(tr("compare.scores_note"))


def rows(items):
    for start in range(0, len(items), PER_ROW):
        chunk = items[start:start + PER_ROW]
        yield zip(st.columns(PER_ROW), chunk)


def main() -> None:
    runs = ui.runs_first(res.ok_runs())       # ready-trained (preset) runs first
    if not runs:
        trainings.no_runs("compare")
        return
    by_id = {r.run_id: r for r in runs}
    pairs_panel(by_id)
    watch_pending()
    st.divider()
    chosen = pick_runs(by_id)
    if len(chosen) < 2:
        st.info(tr("compare.pick_two"), icon=":material/compare:")
        if len(runs) < 2:
            st.caption(tr("compare.need_two"))
        return
    scores_table(chosen, by_id)
    drill.compare_section(chosen, by_id)
    text = headline.headline_input("compare")
    if not text.strip():
        st.info(tr("explore.type_headline"), icon=":material/keyboard:")
        return
    traces = {}
    for rid in chosen:
        try:
            with st.spinner(tr("explore.reading")):
                traces[rid] = res.trace(rid, text)
        except InputError as exc:
            st.warning(tr("explore.bad_text", error=ui.esc(exc)))
            return
        except (RunStoreError, Exception) as exc:  # one unreadable run must not hide the others
            st.error(tr("explore.load_failed", run=ui.esc(rid)))
            st.text(f"{type(exc).__name__}: {exc}")
    if not traces:
        return
    names = ui.class_names()
    items = list(traces.items())

    def header(rid):
        info = by_id[rid]
        st.markdown(f"**{ui.describe(info.config)}**")
        st.caption(f"{rid} · {ui.accuracies(info.metrics)}")

    st.header(tr("compare.section_predictions"))
    for row in rows(items):
        for col, (rid, trace) in row:
            with col:
                header(rid)
                c = trace.predicted_index
                st.metric(tr("explore.predicted"), names[c], ui.pct(trace.probabilities[c], 0), delta_color="off",
                          delta_arrow="off")
                plot.chart(charts.probability_bars(trace.probabilities, names, axis_label=tr("chart.probability")),
                         key=f"fig-cmp-probs-{rid}")
    st.caption(tr("note.compare_predictions"))

    st.header(tr("compare.section_forming"))
    st.caption(tr("note.compare_forming"))
    for row in rows(items):
        for col, (rid, trace) in row:
            with col:
                header(rid)
                plot.chart(charts.prefix_probabilities(trace.prefix_probabilities, [t.word for t in trace.tokens],
                                                     names, token_label=tr("chart.after_reading"),
                                                     probability_label=tr("chart.probability"), angle_from=5),
                         key=f"fig-cmp-prefix-{rid}")

    st.header(tr("compare.section_hidden"))
    st.caption(tr("note.compare_hidden"))
    for row in rows(items):
        for col, (rid, trace) in row:
            with col:
                header(rid)
                layer = [lt for lt in trace.layers if lt.direction == "forward"][-1]   # the last layer
                top, value_label = results.state_scale(layer.hidden)
                plot.chart(charts.state_heatmap(layer.hidden, [t.word for t in trace.tokens],
                                              title=tr("explore.layer_option", n=layer.name.split("_")[-1],
                                                       direction=tr("direction.forward")),
                                              unit_label=tr("chart.unit"), token_label=tr("chart.token"),
                                              value_label=value_label, zmax=top, angle_from=5),
                         key=f"fig-cmp-hidden-{rid}")

    st.header(tr("compare.section_padding"))
    series = []
    for rid in traces:
        try:
            demo = res.padding_demo(rid, text, 20)
        except InputError:
            continue
        series.append({"label": ui.describe(by_id[rid].config), "drift": demo.own.state_drift,
                       "masking": demo.model_masking})
    if series:
        plot.chart(charts.padding_drift_compare(series, pads_label=tr("padding.pads"), drift_label=tr("padding.drift")),
                 key="fig-cmp-padding", note=tr("note.compare_padding"))

main()
