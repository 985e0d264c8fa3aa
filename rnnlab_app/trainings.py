"""Starting, joining and stopping trainings from the pages: the one way into the shared queue."""
from __future__ import annotations

import uuid

import streamlit as st

from rnnlab.config import PRESETS, RunConfig

from . import resources as res

from .ui import locked, pct, preset_label, switch_page, tr


def no_runs(key: str) -> None:
    """Explain that nothing is trained yet and offer the quick run."""
    st.info(tr("empty.no_runs"), icon=":material/model_training:")
    train_preset_button("quick", key=f"{key}-quick", primary=True)


def train_preset_button(name: str, key: str, primary: bool = False, label: str | None = None) -> None:
    """A button that trains a preset; absent when this session's link turned training off."""
    if locked("train"):
        return
    if st.button(label or tr("home.train_preset", preset=preset_label(name)), key=key,
                 type="primary" if primary else "secondary", icon=":material/play_arrow:"):
        start_training(PRESETS[name], preset=name)


def start_training(config: RunConfig, preset: str | None = None) -> None:
    """Queue a training for this person and take them to the Train page to watch it."""
    ag, error = res.data()
    if ag is None:
        st.session_state["flash"] = ("error", tr("train.no_data_to_train"))
        switch_page("train")
        return
    if submit_training(config) is not None:
        switch_page("train", preset=preset)


def session_id() -> str:
    """A random id for this browser session: whose trainings are whose in the shared queue."""
    if "session_id" not in st.session_state:
        st.session_state["session_id"] = uuid.uuid4().hex
    return st.session_state["session_id"]


def submit_training(config: RunConfig):
    """Queue (or join, or reuse) a training for this person and remember it.

    The one way into the training queue from the pages, so the place that refuses it
    (with a message, returning None) to a session whose link turned training off,
    whatever button or stale form asked.
    """
    if locked("train"):
        st.warning(tr("lock.train_refused"), icon=":material/lock:")
        return None
    job = res.queue().submit(config, requester=session_id())
    add_job(job.job_id)
    return job


def stop_training(job, keep: bool) -> None:
    """Stop this person's training; one that others joined goes on for them."""
    if res.queue().stop(job.job_id, keep=keep, requester=session_id()):
        st.toast(tr("train.stopping"))
        return
    st.session_state["jobs"] = [j for j in st.session_state.get("jobs", []) if j != job.job_id]
    st.toast(tr("train.left_shared"))


def training_progress(p) -> None:
    """A training's progress bar from its latest :class:`rnnlab.training.Progress`."""
    if p.phase in ("queued", "prepare"):
        st.progress(0.0, text=tr("train.preparing"))
    elif p.phase == "evaluate":
        st.progress(1.0, text=tr("train.evaluating"))
    else:
        st.progress(min(1.0, p.fraction), text=tr("train.progress", epoch=p.epoch, epochs=p.epochs, batch=p.batch,
                                                      batches=p.batches, percent=pct(p.fraction, 0)))


def add_job(job_id: str) -> None:
    jobs = list(st.session_state.get("jobs", []))
    if job_id in jobs:
        jobs.remove(job_id)
    jobs.append(job_id)
    st.session_state["jobs"] = jobs[-20:]
