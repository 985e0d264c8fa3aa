"""RNN Lab: watch a recurrent neural network learn to read AG News headlines.

Run with ``streamlit run app.py``. This file is the entry point of every page: it sets
up the page, the language and the navigation (``st.navigation``), and draws the Home
page. The other pages live in ``app_pages/``, their building blocks in ``rnnlab_app/``
and ``rnnlab/``. (Not ``pages/``: Streamlit treats a folder of that name as a legacy
multipage app, and a deep link such as ``/explore?run=...`` opened on a freshly
started server would then bypass this file, its navigation and its language switch.)
"""
from __future__ import annotations

import streamlit as st

from rnnlab.config import PRESETS
from rnnlab_app import explain
from rnnlab_app import links
from rnnlab_app import resources as res
from rnnlab_app import teacher
from rnnlab_app import ui
from rnnlab_app.ui import tr
from rnnlab_app import projector
from rnnlab_app import trainings

def home() -> None:
    ui.keep_params("home")
    st.title(tr("home.title"))
    st.markdown(tr("home.intro"))
    with st.container(border=True):
        st.markdown(tr("home.lesson_pitch"))
        st.page_link(ui.PAGES["lesson"], label=tr("home.lesson_link"), icon=":material/school:")

    st.subheader(tr("home.recurrence"))
    st.latex(explain.RECURRENCE)
    st.markdown(tr("home.recurrence_legend"))

    st.subheader(tr("home.status"))
    ag, error = res.data()
    runs = res.ok_runs()
    cols = st.columns(4)
    if ag is not None:
        cols[0].metric(tr("home.train_rows"), ui.num(len(ag.train)), help=tr("home.data_help"))
        cols[1].metric(tr("home.test_rows"), ui.num(len(ag.test)), help=tr("home.data_help"))
    else:
        cols[0].metric(tr("home.data"), tr("home.data_missing"))
    cols[2].metric(tr("home.device"), res.device(), help=tr("home.device_help"))
    cols[3].metric(tr("home.runs"), len(runs), help=tr("home.runs_help"))
    ready = {r.run_id for r in runs} & {config.run_id() for config in PRESETS.values()}
    st.caption(tr("home.ready", n=len(ready), total=len(PRESETS)))
    if ag is not None:
        st.caption(tr("home.data_source", source=tr(f"data.source.{ag.kind}")))
    else:
        ui.no_data(error)

    st.subheader(tr("home.start"))
    st.markdown(tr("home.start_body"))
    with st.container(border=True):
        st.markdown(f"**{ui.preset_label('quick')}**")
        st.caption(ui.preset_description("quick"))
        # The main button until the quick run exists; then it is one choice among the others.
        trainings.train_preset_button("quick", key="home-train-quick", primary=PRESETS["quick"].run_id() not in ready,
                               label=tr("home.train_quick"))
    st.markdown(tr("home.lessons"))
    lessons = [name for name in PRESETS if name != "quick"]
    cols = st.columns(2)
    for i, name in enumerate(lessons):
        with cols[i % 2], st.container(border=True):
            st.markdown(f"**{ui.preset_label(name)}**")
            st.caption(ui.preset_description(name))
            trainings.train_preset_button(name, key=f"home-train-{name}", label=tr("home.train_this"))
    if runs:
        st.subheader(tr("home.next"))
        cols = st.columns(3)
        cols[0].page_link(ui.PAGES["explore"], label=tr("home.go_explore"), icon=":material/search:")
        cols[1].page_link(ui.PAGES["compare"], label=tr("home.go_compare"), icon=":material/compare:")
        cols[2].page_link(ui.PAGES["data"], label=tr("home.go_data"), icon=":material/table_chart:")


def main() -> None:
    projector.init_projector()
    st.set_page_config(page_title="RNN Lab", page_icon=str(ui.APP_ICON), layout="wide",
                       initial_sidebar_state="collapsed" if projector.projector() else "auto")
    ui.init_language()
    links.init()
    res.start_worker()
    pages = [
        st.Page(home, title=tr("nav.home"), icon=":material/home:", url_path="home", default=True),
        st.Page(ui.PAGES["lesson"], title=tr("nav.lesson"), icon=":material/school:", url_path="lesson"),
        st.Page(ui.PAGES["train"], title=tr("nav.train"), icon=":material/model_training:", url_path="train"),
        st.Page(ui.PAGES["explore"], title=tr("nav.explore"), icon=":material/search:", url_path="explore"),
        st.Page(ui.PAGES["compare"], title=tr("nav.compare"), icon=":material/compare:", url_path="compare"),
        st.Page(ui.PAGES["data"], title=tr("nav.data"), icon=":material/table_chart:", url_path="data"),
        st.Page(ui.PAGES["challenge"], title=tr("challenge.nav"), icon=":material/emoji_events:",
                url_path="challenge"),
    ]
    page = st.navigation(pages, position="sidebar")
    with st.sidebar:
        ui.language_switch()
        projector.projector_switch()
        teacher.sidebar()
        links.sidebar_note()
        st.caption(tr("sidebar.about"))
    projector.projector_style()
    links.warn_unknown()
    page.run()
    with st.sidebar:
        links.share_box(page.url_path)


main()
