"""Challenge: fool the network. Students submit headlines they think a network reads
wrongly, with the topic they mean; the class board lists the ones that fooled it, the
network's most confident mistakes first, refreshed every few seconds.

The board lives in :mod:`rnnlab.challenge` (one SQLite file in the run store, shared by
every session and app process); the network's answer comes from the compute worker like
every page's (:func:`rnnlab_app.resources.light_trace`). The teacher can export the board
as CSV and clear it.
"""
from __future__ import annotations

import uuid

import pandas as pd
import streamlit as st

from rnnlab import challenge
from rnnlab.challenge import BoardBusy, HeadlineProblem
from rnnlab.config import PRESETS
from rnnlab.errors import InputError
from rnnlab_app import resources as res
from rnnlab_app import teacher, ui
from rnnlab_app.ui import tr
from rnnlab_app import trainings

REFRESH_S = 3          # how often the board is read again
BOARD_ROWS = 20


def pick_run() -> str | None:
    """The network to fool: the quick run if trained, else the newest run."""
    newest_first = res.ok_runs()
    if not newest_first:
        trainings.no_runs("challenge")
        return None
    runs = ui.runs_first(newest_first)
    by_id = {r.run_id: r for r in runs}
    quick = PRESETS["quick"].run_id()
    if st.session_state.get("challenge_run") not in by_id:
        st.session_state["challenge_run"] = quick if quick in by_id else newest_first[0].run_id
    return st.selectbox(tr("challenge.run"), list(by_id), key="challenge_run",
                        format_func=lambda rid: ui.run_label(by_id.get(rid), rid), help=tr("challenge.run_help"))


def pending_id() -> str:
    """The id of the submission about to be sent: made before sending and kept until it is
    on the board, so a submit that is sent again is recognised and stored once."""
    if "challenge_submission_id" not in st.session_state:
        st.session_state["challenge_submission_id"] = uuid.uuid4().hex
    return st.session_state["challenge_submission_id"]


def submit_form(run_id: str) -> None:
    """The form on the left; what came of it (a message, or the network's verdict) on the right."""
    names = ui.class_names()
    left, right = st.columns(2, gap="large")
    with left, st.form("challenge_form"):
        text = st.text_input(tr("challenge.headline"), key="challenge_headline",
                             help=tr("challenge.headline_help"))
        intended = st.radio(tr("challenge.intended"), range(len(names)), index=None, horizontal=True,
                            key="challenge_intended", format_func=lambda i: names[i])
        sent = st.form_submit_button(tr("challenge.submit"), type="primary", icon=":material/send:")
    with right:
        if sent:
            submit(run_id, text, intended)
        last = st.session_state.get("challenge_last")
        if last and last["run"] == run_id:
            verdict(last)


def submit(run_id: str, text: str, intended: int | None) -> None:
    try:
        headline = challenge.check_headline(text)
    except HeadlineProblem as problem:
        st.warning(tr(f"challenge.bad.{problem.reason}", n=challenge.MAX_HEADLINE_CHARS), icon=":material/edit:")
        return
    if intended is None:
        st.warning(tr("challenge.pick_topic"), icon=":material/checklist:")
        return
    try:
        with st.spinner(tr("explore.reading")):
            trace = res.light_trace(run_id, headline)
    except InputError as exc:
        st.warning(tr("explore.bad_text", error=ui.esc(exc)))
        return
    except Exception as exc:  # a run the worker cannot read: say so, keep the page up
        st.error(tr("explore.load_failed", run=ui.esc(run_id)))
        st.text(f"{type(exc).__name__}: {exc}")
        return
    predicted = trace.predicted_index
    confidence = float(trace.probabilities[predicted])
    try:
        res.classroom().submit(headline, intended, run_id, predicted, confidence, trainings.session_id(), pending_id())
    except BoardBusy:
        st.error(tr("challenge.busy"), icon=":material/hourglass_top:")
        return
    del st.session_state["challenge_submission_id"]       # the next headline is a new submission
    st.session_state["challenge_last"] = {"run": run_id, "headline": headline, "intended": intended,
                                          "predicted": predicted, "confidence": confidence}


def verdict(last: dict) -> None:
    """What the network made of this person's last headline."""
    names = ui.class_names()
    st.caption(tr("challenge.your_headline"))
    st.text(last["headline"])
    fields = dict(predicted=names[last["predicted"]], intended=names[last["intended"]],
                  p=ui.pct(last["confidence"], 0))
    if last["predicted"] != last["intended"]:
        st.success(tr("challenge.fooled", **fields), icon=":material/celebration:")
    else:
        st.info(tr("challenge.not_fooled", **fields), icon=":material/psychology:")


def board_frame(entries: list[challenge.Submission]) -> pd.DataFrame:
    names = ui.class_names()
    return pd.DataFrame({
        "#": range(1, len(entries) + 1),
        tr("challenge.col.headline"): [e.headline for e in entries],
        tr("challenge.col.intended"): [names[e.intended] for e in entries],
        tr("challenge.col.predicted"): [names[e.predicted] for e in entries],
        tr("challenge.col.confidence"): [ui.pct(e.confidence, 0) for e in entries],
    })


@st.fragment(run_every=REFRESH_S)
def leaderboard(run_id: str) -> None:
    """The headlines that fooled the network, read again every few seconds (text only:
    a dataframe shows what students typed as typed, never as markup)."""
    try:
        entries = res.classroom().leaderboard(run_id, BOARD_ROWS)
    except BoardBusy:
        st.caption(tr("challenge.busy"))
        return
    if not entries:
        st.caption(tr("challenge.board_empty"))
        return
    narrow = {tr(f"challenge.col.{name}"): st.column_config.TextColumn(width=px)
              for name, px in (("intended", 150), ("predicted", 150), ("confidence", 120))}
    st.dataframe(board_frame(entries), hide_index=True, width="stretch",
                 column_config={"#": st.column_config.NumberColumn(width=40), **narrow})
    st.caption(tr("challenge.board_note", s=REFRESH_S))


def teacher_tools() -> None:
    with st.expander(tr("challenge.teacher"), icon=":material/admin_panel_settings:"):
        # A callable: the CSV is made when the button is clicked, so it holds the board as it is then.
        st.download_button(tr("challenge.export"), data=res.classroom().export_csv, file_name="rnnlab-challenge.csv", mime="text/csv",
                           key="challenge-export", icon=":material/download:")
        sure = st.checkbox(tr("challenge.clear_confirm"), key="challenge-clear-sure")
        if st.button(tr("challenge.clear"), key="challenge-clear", disabled=not sure, icon=":material/delete:"):
            try:
                removed = res.classroom().clear()
            except BoardBusy:
                st.error(tr("challenge.busy"))
                return
            st.session_state.pop("challenge_last", None)
            st.toast(tr("challenge.cleared", n=removed))


def main() -> None:
    ui.keep_params("challenge")
    st.title(tr("challenge.title"))
    st.markdown(tr("challenge.intro"))
    run_id = pick_run()
    if run_id is None:
        return
    if teacher.is_teacher():
        teacher_tools()        # before the board, so a cleared board is drawn empty at once
    st.subheader(tr("challenge.try_title"))
    submit_form(run_id)
    st.subheader(tr("challenge.board_title"))       # the whole width: it is read from the projector
    leaderboard(run_id)


main()
