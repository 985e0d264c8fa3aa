"""Teacher mode on the page: the sidebar login and the check that guards deleting and clearing."""
from __future__ import annotations

import streamlit as st

from rnnlab import teacher_access
from rnnlab_app.ui import tr

_LOGGED_IN = "teacher_logged_in"


def _on_server_machine() -> bool:
    """Streamlit gives no address (None) for a browser on the server's own machine; a real
    connection always has headers, a script run without a browser (AppTest) has none."""
    try:
        headers = st.context.headers
        peer = st.context.ip_address or ("127.0.0.1" if headers else None)
        forwarded = headers.get("X-Forwarded-For")
    except Exception:   # no request context: nobody is local
        return False
    return teacher_access.on_server_machine(peer, forwarded)


def is_teacher() -> bool:
    return bool(st.session_state.get(_LOGGED_IN)) or _on_server_machine()


def _log_in() -> None:
    typed = st.session_state.pop("teacher_password", "")
    if teacher_access.password_matches(typed):
        st.session_state[_LOGGED_IN] = True
    else:
        st.session_state["teacher_wrong"] = True


def sidebar() -> None:
    """Says who this person is here; offers the password box when the server has one."""
    if st.session_state.get(_LOGGED_IN):
        st.caption(tr("teacher.mode_on"))
        if st.button(tr("teacher.log_out"), key="teacher-log-out", type="tertiary"):
            st.session_state[_LOGGED_IN] = False
            st.rerun()
    elif _on_server_machine():
        st.caption(tr("teacher.mode_local"))
    elif teacher_access.password_set():
        with st.expander(tr("teacher.log_in"), icon=":material/key:"):
            st.text_input(tr("teacher.password"), type="password", key="teacher_password", on_change=_log_in)
            if st.session_state.pop("teacher_wrong", False):
                st.error(tr("teacher.wrong_password"))


def only_teacher_note() -> None:
    st.caption(tr("teacher.only_teacher"))
