"""The teacher's links on the page: the share box with its lock choices, and a locked link's session.

A link with ``lock=...`` (:mod:`rnnlab.locks`) fixes some controls for the whole session
it opens: :func:`init` takes the lock and the values it fixes from the URL on the
session's first run with one, and keeps ``lock`` in the URL on every page, so the share
link of a locked session is locked too. The checks themselves sit where the controls
are drawn (:func:`rnnlab_app.ui.locked`); the refusal to train sits in
:func:`rnnlab_app.trainings.submit_training`, the one way into the training queue.
"""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from rnnlab import share
from rnnlab.i18n import DEFAULT_LANG
from rnnlab.locks import ITEMS, Lock, format_locks
from rnnlab_app import lesson, teacher
from rnnlab_app import ui
from rnnlab_app.ui import tr

_UNKNOWN = "link_lock_unknown"


def init() -> None:
    """Take the lock of the link this session was opened from, once; keep it in the URL."""
    if ui.LOCK_STATE not in st.session_state and st.query_params.get("lock"):
        lock, unknown = Lock.from_query(st.query_params)
        st.session_state[ui.LOCK_STATE] = lock
        if unknown:
            st.session_state[_UNKNOWN] = unknown
    ui.set_param("lock", format_locks(ui.link_lock().items) or None)


def warn_unknown() -> None:
    """Name, once, the items of the link's ``lock`` this version does not know (they are ignored)."""
    unknown = st.session_state.pop(_UNKNOWN, None)
    if unknown:
        st.warning(tr("lock.unknown", items=", ".join(ui.esc(u) for u in unknown),
                      known=", ".join(ITEMS)), icon=":material/link_off:")


def sidebar_note() -> None:
    """What this session's link fixes, in the sidebar on every page."""
    items = ui.link_lock().items
    if items:
        st.caption(tr("lock.sidebar", items=", ".join(tr(f"lock.item.{i}") for i in ITEMS if i in items)))
    if "train" in items:
        st.caption(tr("lock.train_off"))


def training_off() -> bool:
    """True (after saying so where the training controls would be) when this link turned training off."""
    if ui.locked("train"):
        st.info(tr("lock.train_off"), icon=":material/lock:")
        return True
    return False


def fixed_run(valid: list[str]) -> str | None:
    """The run the link fixes (Explore), when it exists; None leaves the picker to the person."""
    lock = ui.link_lock()
    return lock.run if "run" in lock and lock.run in valid else None


def fixed_runs(valid: list[str], most: int) -> list[str]:
    """The runs the link fixes (Compare) that exist; empty leaves the picker to the person."""
    lock = ui.link_lock()
    return [r for r in lock.runs if r in valid][:most] if "run" in lock else []


def show_fixed(label: str, value: str) -> None:
    """A fixed choice in place of its picker."""
    st.markdown(f":material/lock: **{ui.esc(label)}:** {ui.esc(value)}", help=tr("lock.fixed_help"))


# -- the share box -----------------------------------------------------------------------

@st.cache_data(ttl=60, show_spinner=False)
def _network_address() -> str | None:
    return share.network_address()


def share_url(url_path: str, lock_items=None) -> str:
    """The address of what this person sees now (page, its URL parameters, the language),
    one a student can open (:func:`rnnlab.share.student_url`); ``lock_items`` replaces
    the link's lock (the teacher's choice)."""
    query = {name: st.query_params.get(name) for name in st.query_params.keys()}
    if ui.lang() != DEFAULT_LANG:
        query["lang"] = ui.lang()
    if lock_items is not None:
        query["lock"] = format_locks(lock_items)
    try:
        browser = st.context.url
    except Exception:  # no browser behind this session (tests, scripts)
        browser = None
    qs = urlencode({k: v for k, v in query.items() if v}, safe=",")
    return share.student_url(browser, url_path, qs, base=share.base_url(), find_address=_network_address)


def lesson_step() -> str:
    """On the Lesson page: the step the link opens at, as the URL's fragment ('' for the top).
    The page's step headers carry these anchors, and the browser scrolls to the one named.

    The options are the labels themselves (AppTest formats a widget's value with the
    test process's language, not the page's), one widget per language.
    """
    steps = {tr("share.step_top"): ""}
    for step in (*lesson.SECTIONS, lesson.EXERCISE):
        steps[tr(f"lesson.{'glove' if step == lesson.EXERCISE else step}.title")] = step
    step = steps[st.selectbox(tr("share.step"), list(steps), key=f"share_step_{ui.lang()}")]
    return f"#step-{step}" if step else ""


def share_box(url_path: str) -> None:
    """'Share this view': the link in a code box, whose copy button puts it on the clipboard.
    The teacher also picks what the link locks; on the Lesson page, the step it opens at."""
    with st.expander(tr("share.title"), icon=":material/link:"):
        st.caption(tr("share.note"))
        fragment = lesson_step() if url_path == "lesson" else ""
        chosen = None
        if teacher.is_teacher():
            st.markdown(f"**{tr('share.lock')}**", help=tr("share.lock_help"))
            chosen = [item for item in ITEMS
                      if st.checkbox(tr(f"lock.item.{item}"), key=f"share_lock_{item}")]
        st.code(share_url(url_path, chosen or None) + fragment, language=None, wrap_lines=True)
        if chosen:
            st.caption(tr("share.locked_note"))
