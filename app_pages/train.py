"""Train: configure a run, watch it learn, read its test results, manage saved runs."""
from __future__ import annotations

import math
from dataclasses import fields

import pandas as pd
import streamlit as st

from rnnlab import cells
from rnnlab.config import (EMBEDDING_CHOICES, GLOVE_DIM, PRESETS, TEXT_FIELDS, ConfigError, RunConfig, embedding_choice,
                           field_ranges, glove_takes)
from rnnlab.jobs import DISCARDED, FAILED, FINISHED, QUEUED, REUSED, RUNNING, STOPPED
from rnnlab.runs import RunStoreError
from rnnlab_app import links
from rnnlab_app import resources as res
from rnnlab_app import teacher
from rnnlab_app import ui
from rnnlab_app.ui import tr
from rnnlab_app import results
from rnnlab_app import trainings
from rnnlab_app import plot

FIELDS = [f.name for f in fields(RunConfig)]
# The form sets the two embeddings fields with one choice (EMBEDDING_CHOICES), keyed EMBEDDINGS_KEY.
FORM_FIELDS = [name for name in FIELDS if name not in ("embeddings", "embeddings_trainable")]
EMBEDDINGS_KEY = "cfg.embeddings_choice"
RANGES = field_ranges()


# -- the person's current training ------------------------------------------------------

def _eta(seconds) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else tr("eval.seconds", s=seconds)


def _draw_active(job, queue) -> None:
    p = job.progress
    st.subheader(tr("train.now", run=ui.esc(job.run_id)))
    st.caption(ui.describe(job.config))
    if job.state == QUEUED:
        st.info(tr("train.queued", position=queue.position(job.job_id) or 1), icon=":material/hourglass_top:")
        if st.button(tr("train.cancel"), key=f"cancel-{job.job_id}", icon=":material/close:"):
            trainings.stop_training(job, keep=False)
            st.rerun(scope="app")
        return
    if job.stop_event.is_set():
        st.info(tr("train.stopping"), icon=":material/hourglass_bottom:")
    trainings.training_progress(p)
    cols = st.columns(4)
    cols[0].metric(tr("train.speed"), ui.num(p.samples_per_second) if p.samples_per_second else "–",
                   help=tr("train.speed_help"))
    cols[1].metric(tr("train.time_left"), _eta(p.eta_seconds))
    cols[2].metric(tr("chart.loss"), ui.num(p.loss, 3) if math.isfinite(p.loss) else "–")
    cols[3].metric(tr("chart.accuracy"), ui.pct(p.accuracy) if math.isfinite(p.accuracy) else "–")
    if job.curve:
        plot.chart(results.curves_figure(job.curve, job.epochs), key=f"curves-{job.job_id}", note=tr("train.curves_note"))
    st.markdown(tr("train.stop_explain"))
    c1, c2, _ = st.columns([1, 1, 2])
    if c1.button(tr("train.stop_keep"), key=f"stop-keep-{job.job_id}", icon=":material/stop_circle:"):
        trainings.stop_training(job, keep=True)
    if c2.button(tr("train.stop_discard"), key=f"stop-discard-{job.job_id}", icon=":material/delete:"):
        trainings.stop_training(job, keep=False)


def _draw_done(job) -> None:
    if job.state == FAILED:
        st.error(tr("train.failed", run=ui.esc(job.run_id)))
        st.text(job.error)
        return
    if job.state == DISCARDED:
        st.info(tr("train.discarded", run=ui.esc(job.run_id)))
        return
    message = {FINISHED: "train.finished", STOPPED: "train.stopped_kept", REUSED: "train.reused"}[job.state]
    if st.session_state.get("picked_for_job") != job.job_id:
        # Once per finished job: the runs table below opens on the new run.
        st.session_state["picked_for_job"] = job.job_id
        st.session_state["train_pick"] = job.saved_run_id
    st.success(tr(message, run=ui.esc(job.saved_run_id)), icon=":material/check_circle:")
    c1, c2 = st.columns([1, 2])
    if c1.button(tr("train.explore_this"), key=f"explore-{job.job_id}", type="primary", icon=":material/search:"):
        ui.switch_page("explore", run=job.saved_run_id)
    with c2:
        results.run_downloads(job.saved_run_id, key=f"dl-{job.job_id}")
    if job.curve:
        plot.chart(results.curves_figure(job.curve, job.epochs), key=f"curves-{job.job_id}", note=tr("train.curves_note"))
    results.evaluation(job.metrics, key=f"eval-{job.job_id}", run_id=job.saved_run_id)


def job_panel(job_id: str) -> None:
    queue = res.queue()
    job = queue.get(job_id)
    if job is None:
        return
    started_active = job.active

    @st.fragment(run_every=1.0 if started_active else None)
    def panel():
        live = queue.get(job_id)
        snap = live.snapshot()
        snap.stop_event = live.stop_event
        if started_active and not snap.active:
            st.rerun(scope="app")           # draw the results and the updated runs table
        with st.container(border=True):
            if snap.active:
                _draw_active(snap, queue)
            else:
                _draw_done(snap)

    panel()


def current_job() -> str | None:
    """The person's newest training (drawn live), with a button to put a finished one away."""
    jobs = [j for j in st.session_state.get("jobs", []) if res.queue().get(j) is not None]
    current = jobs[-1] if jobs else None
    if current:
        job_panel(current)
        if res.queue().get(current).state not in (QUEUED, RUNNING):
            if st.button(tr("train.clear"), key="clear-job", type="tertiary", icon=":material/close:"):
                st.session_state["jobs"] = jobs[:-1]
                st.rerun()
    return current


# -- the form ---------------------------------------------------------------------------

def _readable(message: str) -> str:
    """A ConfigError message with the field's name replaced by its label on the form."""
    for name in sorted(FIELDS, key=len, reverse=True):
        if message.startswith(name + " "):
            return f"{tr(f'field.{name}')} {message[len(name) + 1:]}"
    return message


def _apply(config: RunConfig) -> None:
    for name in FORM_FIELDS:
        st.session_state[f"cfg.{name}"] = getattr(config, name)
    st.session_state[EMBEDDINGS_KEY] = embedding_choice(config.embeddings, config.embeddings_trainable)


def _fit_embeddings() -> str | None:
    """GloVe's vectors have GLOVE_DIM numbers: make the word vectors and the embedding size agree.

    A form submits all its values at once, so this looks at which of the two the person
    changed since the form was last drawn: a new GloVe choice sets a size GloVe cannot take
    (:func:`rnnlab.config.glove_takes`) to GLOVE_DIM; such a size under an unchanged GloVe
    choice means learned embeddings (as
    :meth:`RunConfig.override` reads a change of size on top of a GloVe preset). Runs
    before the form's widgets are drawn (Streamlit lets a widget's value be set only then),
    so the submitted settings always agree. Returns the key of the message saying what
    changed, or None.
    """
    state = st.session_state
    choice, dim = state.get(EMBEDDINGS_KEY, "learned"), state.get("cfg.embed_dim")
    seen = state.get("cfg_embeddings_seen")
    note = None
    embeddings, trainable = EMBEDDING_CHOICES.get(choice, ("learned", False))
    if embeddings == "glove" and not glove_takes(trainable, dim):
        if seen is not None and seen[0] == choice and seen[1] != dim:
            state[EMBEDDINGS_KEY], note = "learned", "train.glove_off"
        else:
            state["cfg.embed_dim"], note = GLOVE_DIM, "train.glove_dim_set"
    state["cfg_embeddings_seen"] = (state.get(EMBEDDINGS_KEY, "learned"), state.get("cfg.embed_dim"))
    return note


def _form_config() -> RunConfig:
    """The RunConfig the form's values describe (ConfigError when one is out of range)."""
    values = {name: st.session_state[f"cfg.{name}"] for name in FORM_FIELDS}
    embeddings, trainable = EMBEDDING_CHOICES[st.session_state[EMBEDDINGS_KEY]]
    return RunConfig(**values, embeddings=embeddings, embeddings_trainable=trainable)


def _on_preset() -> None:
    name = st.session_state["train_preset"]
    ui.remember("preset", name)
    ui.remember("cfg", None)
    _apply(PRESETS[name])


def form_fields(ag) -> bool:
    """The form's fields in three groups; True when it was submitted."""
    with st.form("train_form", enter_to_submit=False, border=False):
        c1, c2, c3 = st.columns(3)
        with c1:
            st.markdown(f"**{tr('train.group_model')}**")
            st.selectbox(tr("field.cell"), cells.CELL_NAMES, key="cfg.cell", format_func=cells.label,
                         help=tr("field.cell_help"))
            st.number_input(tr("field.units"), *RANGES["units"], step=1, key="cfg.units",
                            help=tr("field.units_help"))
            st.number_input(tr("field.layers"), *RANGES["layers"], step=1, key="cfg.layers",
                            help=tr("field.layers_help"))
            st.checkbox(tr("field.bidirectional"), key="cfg.bidirectional", help=tr("field.bidirectional_help"))
            st.number_input(tr("field.embed_dim"), *RANGES["embed_dim"], step=1, key="cfg.embed_dim",
                            help=tr("field.embed_dim_help"))
            st.radio(tr("field.embeddings"), list(EMBEDDING_CHOICES), key=EMBEDDINGS_KEY,
                     format_func=lambda c: tr(f"field.embeddings.{c}"), help=tr("field.embeddings_help"))
            st.caption(tr("train.glove_dim", dim=GLOVE_DIM))
        with c2:
            st.markdown(f"**{tr('train.group_text')}**")
            st.radio(tr("field.text"), TEXT_FIELDS, key="cfg.text", format_func=lambda f: tr(f"field.text.{f}"),
                     help=tr("field.text_help"))
            st.checkbox(tr("field.add_titles"), key="cfg.add_titles", help=tr("field.add_titles_help"))
            st.checkbox(tr("field.masking"), key="cfg.masking", help=tr("field.masking_help"))
            st.number_input(tr("field.train_size"), *RANGES["train_size"], step=100, key="cfg.train_size",
                            help=tr("field.train_size_help", available=ui.num(len(ag.train))))
        with c3:
            st.markdown(f"**{tr('train.group_training')}**")
            st.number_input(tr("field.epochs"), *RANGES["epochs"], step=1, key="cfg.epochs",
                            help=tr("field.epochs_help"))
            st.number_input(tr("field.batch_size"), *RANGES["batch_size"], step=8, key="cfg.batch_size",
                            help=tr("field.batch_size_help"))
            st.checkbox(tr("field.bucketing"), key="cfg.bucketing", help=tr("field.bucketing_help"))
            st.number_input(tr("field.learning_rate"), *RANGES["learning_rate"], step=0.0005,
                            format="%.5f", key="cfg.learning_rate", help=tr("field.learning_rate_help"))
        with st.expander(tr("train.more")):
            m1, m2, m3 = st.columns(3)
            m1.number_input(tr("field.vocab_size"), *RANGES["vocab_size"], step=1000, key="cfg.vocab_size",
                            help=tr("field.vocab_size_help"))
            m2.number_input(tr("field.max_length"), *RANGES["max_length"], step=1, key="cfg.max_length",
                            help=tr("field.max_length_help"))
            m3.number_input(tr("field.seed"), *RANGES["seed"], step=1, key="cfg.seed",
                            help=tr("field.seed_help"))
            if "mixed_precision" in FIELDS:
                m1.checkbox(tr("field.mixed_precision"), key="cfg.mixed_precision",
                            help=tr("field.mixed_precision_help"))
        return st.form_submit_button(tr("train.submit"), type="primary", key="train_submit",
                                          icon=":material/play_arrow:")


def new_run_form(current: str | None) -> None:
    if links.training_off():
        return
    ag, data_error = res.data()
    active = current is not None and res.queue().get(current).active
    with st.expander(tr("train.new"), expanded=not active, icon=":material/tune:"):
        if ag is None:
            ui.no_data(data_error)
        else:
            requested = ui.get_param("preset")
            if requested and requested not in PRESETS:
                st.warning(tr("train.unknown_preset", preset=ui.esc(requested[:60])))
                requested = None
            if "train_preset" not in st.session_state:
                st.session_state["train_preset"] = requested or ui.remembered("preset", "quick")
                if requested and requested != ui.remembered("preset"):
                    ui.remember("cfg", None)
            if EMBEDDINGS_KEY not in st.session_state or any(f"cfg.{name}" not in st.session_state
                                                              for name in FORM_FIELDS):
                try:
                    kept = RunConfig.from_dict(ui.remembered("cfg")) if ui.remembered("cfg") else None
                except ConfigError:      # remembered from an older version of the settings
                    kept = None
                _apply(kept or PRESETS[st.session_state["train_preset"]])
            st.selectbox(tr("train.preset"), list(PRESETS), key="train_preset", format_func=ui.preset_label,
                         on_change=_on_preset, help=tr("train.preset_help"))
            preset_name = st.session_state["train_preset"]
            ui.remember("preset", preset_name)
            ui.set_param("preset", preset_name)
            st.caption(ui.preset_description(preset_name))

            embeddings_note = _fit_embeddings()
            submitted = form_fields(ag)
            if submitted:
                try:
                    config = _form_config()
                except ConfigError as exc:
                    st.error(tr("train.bad_config", error=ui.esc(_readable(str(exc)))))
                else:
                    ui.remember("cfg", config.to_dict())
                    if embeddings_note:
                        st.session_state["flash"] = ("info", tr(embeddings_note, dim=GLOVE_DIM))
                    trainings.submit_training(config)
                    st.rerun()


# -- everyone's trainings -----------------------------------------------------------------

def server_jobs(current: str | None) -> None:
    others = [j for j in res.queue().jobs() if j.active and j.job_id != current]
    if others:
        st.subheader(tr("train.server_jobs"))
        st.caption(tr("train.server_jobs_note"))
        st.dataframe(pd.DataFrame([{
            tr("runs.col.run"): j.run_id, tr("train.col.state"): tr(f"state.{j.state}"),
            tr("train.col.progress"): j.snapshot().progress.fraction} for j in others]),
            hide_index=True, column_config={tr("train.col.progress"): st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent")})


# -- saved runs ------------------------------------------------------------------------------

def saved_runs() -> None:
    st.header(tr("runs.title"))
    runs = ui.runs_first(res.list_runs())     # ready-trained (preset) runs first
    if not runs:
        st.info(tr("runs.none"))
    else:
        frame = res.runs_frame(runs)
        names = {c: tr(f"runs.col.{c}") for c in frame.columns}
        shown = frame.rename(columns=names)
        shown[names["cell"]] = frame["cell"].map(lambda c: cells.label(c) if c else None)
        shown[names["text"]] = frame["text"].map(lambda f: tr(f"field.text.{f}") if f else None)
        shown[names["model"]] = [ui.describe(r.config) if r.config else "" for r in runs]
        shares = ("test_accuracy", "titles_accuracy", "headlines_accuracy")
        table = ui.number_table(shown, percent={names[c]: 1 for c in shares},
                                decimals={names["train_seconds"]: 1, names["train_size"]: 0},
                                suffix={names["train_seconds"]: " s"})
        st.dataframe(table, hide_index=True, placeholder="–", column_order=[names[c] for c in (
            "run", "model", "test_accuracy", "headlines_accuracy", "titles_accuracy", "train_seconds", "train_size",
            "epochs", "batch_size", "bucketing", "learning_rate", "damaged")], column_config={
            names["headlines_accuracy"]: st.column_config.Column(help=tr("runs.col.headlines_accuracy_help")),
            names["model"]: st.column_config.TextColumn(width="large")})
        st.caption(tr("runs.table_note"))

        by_id = {r.run_id: r for r in runs}
        if st.session_state.get("train_pick") not in by_id:
            st.session_state["train_pick"] = runs[0].run_id
        pick = st.selectbox(tr("runs.pick"), list(by_id), key="train_pick",
                            format_func=lambda rid: ui.run_label(by_id.get(rid), rid))
        info = by_id[pick]
        if not info.ok:
            st.error(tr("runs.damaged", run=ui.esc(pick), problem=ui.esc(info.damaged)))
        else:
            c1, c2 = st.columns([1, 2])
            if c1.button(tr("train.explore_this"), key="pick-explore", type="primary", icon=":material/search:"):
                ui.switch_page("explore", run=pick)
            with c2:
                results.run_downloads(pick, key="pick-dl")
            with st.expander(tr("runs.details"), expanded=False):
                try:
                    history = res.store().history(pick)
                except RunStoreError as exc:
                    st.error(str(exc))
                else:
                    results.history_curves(history, key=f"hist-{pick}")
                    results.evaluation(info.metrics, key=f"pick-eval-{pick}", run_id=pick)
        if teacher.is_teacher():
            delete_run(pick)
        else:
            teacher.only_teacher_note()


def delete_run(pick: str) -> None:
    with st.popover(tr("runs.delete"), icon=":material/delete:"):
        st.markdown(tr("runs.delete_confirm", run=ui.esc(pick)))
        if st.button(tr("runs.delete_yes", run=pick), key="delete-run", type="primary"):
            try:
                res.store().delete(pick)
            except RunStoreError as exc:
                st.error(str(exc))
            else:
                st.session_state["flash"] = ("success", tr("runs.deleted", run=ui.esc(pick)))
                st.rerun()


def main() -> None:
    ui.keep_params("train")
    st.title(tr("train.title"))
    st.markdown(tr("train.intro"))
    ui.flash()
    current = current_job()
    new_run_form(current)
    server_jobs(current)
    saved_runs()


main()
