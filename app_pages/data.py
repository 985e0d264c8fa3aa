"""Data: the AG News subset a preset trains on — class balance, lengths, padding, samples."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab import charts
from rnnlab.config import CLASS_NAMES, PRESETS
from rnnlab.batching import padding_fraction, plan_batches
from rnnlab_app import resources as res
from rnnlab_app import ui
from rnnlab_app.ui import tr

ui.keep_params("data")
st.title(tr("data.title"))
st.markdown(tr("data.intro"))


@st.cache_resource(show_spinner=False, max_entries=8)
def _splits(key: str, config_json: str):
    from rnnlab.config import RunConfig
    from rnnlab.data import prepare_splits
    ag, _ = res.data()
    return prepare_splits(RunConfig.from_json(config_json), ag)


def pick_preset() -> str:
    requested = ui.get_param("preset")
    if requested and requested not in PRESETS:
        st.warning(tr("train.unknown_preset", preset=ui.esc(requested[:60])))
        requested = None
    if st.session_state.get("data_preset") not in PRESETS:
        st.session_state["data_preset"] = requested or ui.remembered("preset", "quick")
    name = st.selectbox(tr("data.preset"), list(PRESETS), key="data_preset", format_func=ui.preset_label,
                        help=tr("data.preset_help"))
    ui.remember("preset", name)
    ui.set_param("preset", name)
    return name


def main() -> None:
    ag, error = res.data()
    if ag is None:
        ui.no_data(error)
        return
    name = pick_preset()
    config = PRESETS[name]
    key = res.data_key(ag)
    splits = _splits(key, config.to_json())
    field_label = tr(f"field.text.{config.text}")
    st.caption(tr("data.config", text=field_label, max_length=config.max_length, batch=config.batch_size,
                  size=tr("data.all_rows") if config.train_size == 0 else ui.num(config.train_size)))

    cols = st.columns(3)
    cols[0].metric(tr("data.train_rows"), ui.num(len(splits.train)), help=tr("data.train_rows_help"))
    cols[1].metric(tr("data.validation_rows"), ui.num(len(splits.validation)), help=tr("data.validation_help"))
    cols[2].metric(tr("data.test_rows"), ui.num(len(splits.test)))
    st.caption(tr("home.data_source", source=tr(f"data.source.{ag.kind}")))

    names = ui.class_names()
    st.header(tr("data.balance"))
    counts = {tr("data.split.train"): np.bincount(splits.train["label"], minlength=4),
              tr("data.split.validation"): np.bincount(splits.validation["label"], minlength=4),
              tr("data.split.test"): np.bincount(splits.test["label"], minlength=4)}
    ui.chart(charts.class_balance(counts, names, count_label=tr("data.texts")), key="fig-balance",
             note=tr("note.balance"))

    st.header(tr("data.lengths"))
    with st.spinner(tr("data.counting")):
        all_lengths = res.token_lengths(key, config.text, "train")
    lengths = all_lengths[splits.train.index.to_numpy()]
    labels = splits.train["label"].to_numpy()
    ui.chart(charts.length_histogram(lengths, labels, names, length_label=tr("data.words_per_text", text=field_label),
                                     count_label=tr("data.texts"), max_length=config.max_length,
                                     cutoff_label=tr("data.cutoff")),
             key="fig-lengths", note=tr("note.lengths", median=int(np.median(lengths)) if len(lengths) else 0,
                                        cut=ui.pct((lengths > config.max_length).mean()) if len(lengths) else ui.pct(0),
                                        max_length=config.max_length))

    st.header(tr("data.padding"))
    batch = st.select_slider(tr("data.batch_size"), [8, 16, 32, 64, 128, 256, 512],
                             value=config.batch_size if config.batch_size in (8, 16, 32, 64, 128, 256, 512) else 64,
                             key="data_batch")
    capped = np.clip(lengths, 1, config.max_length)
    rows = []
    for bucketing in (False, True):
        batches = plan_batches(capped, batch, bucketing, np.random.default_rng(config.seed))
        rows.append({"label": tr("data.bucketing") if bucketing else tr("data.plain"),
                     "padding": padding_fraction(capped, batches)})
    ui.chart(charts.padding_comparison(rows, padding_label=tr("data.padding_share")), key="fig-padding-share",
             note=tr("note.padding_share", plain=ui.pct(rows[0]['padding'], 0), bucketed=ui.pct(rows[1]['padding'], 0)))

    st.header(tr("data.samples"))
    c1, c2 = st.columns([1, 2])
    classes = ["all", *range(len(CLASS_NAMES))]
    chosen = c1.selectbox(tr("data.class"), classes, key="data_class",
                          format_func=lambda c: tr("data.all_classes") if c == "all" else names[c])
    query = c2.text_input(tr("data.search"), key="data_search", placeholder=tr("data.search_placeholder"),
                          max_chars=200)
    frame = splits.train
    if chosen != "all":
        frame = frame[frame["label"] == chosen]
    if query.strip():
        needle = query.strip()
        hit = (frame["title"].str.contains(needle, case=False, regex=False)
               | frame["description"].str.contains(needle, case=False, regex=False))
        frame = frame[hit]
    st.caption(tr("data.matches", n=ui.num(len(frame))))
    shown = frame.head(100)
    st.dataframe(pd.DataFrame({tr("eval.class"): [names[i] for i in shown["label"]],
                               tr("data.title_col"): shown["title"].to_numpy(),
                               tr("data.description_col"): shown["description"].to_numpy()}),
                 hide_index=True, height=420, column_config={
                     tr("data.title_col"): st.column_config.TextColumn(width="medium"),
                     tr("data.description_col"): st.column_config.TextColumn(width="large")})
    st.caption(tr("note.samples"))


main()
