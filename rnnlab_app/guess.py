"""Predict, then reveal: each person guesses the topic before a network's answer is shown,
and sees the class's tally on this server (stored in the class board, rnnlab.challenge)."""
from __future__ import annotations

import streamlit as st

from rnnlab.challenge import BoardBusy

from . import resources as res
from . import trainings, ui
from .ui import tr


def predict_then_reveal(run_id: str, text: str, predicted: int) -> bool:
    """Before the network's answer, each person guesses the topic; True once they have
    (the answer may then be shown), with what they guessed and the class's tally on this
    server. One guess per person, network and headline (:mod:`rnnlab.challenge`)."""
    board, me, names = res.classroom(), trainings.session_id(), ui.class_names()
    try:
        mine = board.guessed(run_id, text, me)
        if mine is None:
            slot = st.empty()          # the question goes away once answered
            with slot.container():
                st.markdown(f"**{tr('lesson.guess_title')}**")
                guess = st.radio(tr("lesson.guess_prompt"), range(len(names)), index=None, horizontal=True,
                                 key="lesson_guess", format_func=names.__getitem__)
                if not st.button(tr("lesson.guess_button"), key="lesson-guess-reveal", icon=":material/visibility:"):
                    return False
                if guess is None:
                    st.warning(tr("lesson.guess_pick"))
                    return False
            board.guess(run_id, text, me, guess)
            mine = board.guessed(run_id, text, me)
            slot.empty()
        tally = board.tally(run_id, text)
    except BoardBusy:          # no game while the board is unreachable: the answer as before
        st.caption(tr("challenge.busy"))
        return True
    st.markdown(tr("lesson.guess_right", cls=names[predicted]) if mine == predicted else
                tr("lesson.guess_wrong", guess=names[mine], cls=names[predicted]))
    st.caption(" · ".join(f"{name}: {ui.num(n)}" for name, n in zip(names, tally.counts)) + " — " +
               tr("lesson.guess_tally", total=ui.num(tally.total), matched=ui.num(tally.matched(predicted))))
    return True
