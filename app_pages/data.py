"""Data: the AG News subset a preset trains on — class balance, lengths, padding, samples."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab import charts
from rnnlab.batching import padding_with_and_without_bucketing
from rnnlab.config import CLASS_NAMES, PRESETS, RunConfig
from rnnlab.data import AgNews, Splits, search
from rnnlab_app import resources as res
from rnnlab_app import ui
from rnnlab_app.ui import tr
from rnnlab_app import plot

BATCH_SIZES = [8, 16, 32, 64, 128, 256, 512]


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


def overview(ag: AgNews, config: RunConfig, splits: Splits) -> None:
    size = tr("data.all_rows") if config.train_size == 0 else ui.num(config.train_size)
    st.caption(tr("data.config", text=tr(f"field.text.{config.text}"), max_length=config.max_length,
                  batch=config.batch_size, size=size))
    cols = st.columns(3)
    cols[0].metric(tr("data.train_rows"), ui.num(len(splits.train)), help=tr("data.train_rows_help"))
    cols[1].metric(tr("data.validation_rows"), ui.num(len(splits.validation)), help=tr("data.validation_help"))
    cols[2].metric(tr("data.test_rows"), ui.num(len(splits.test)))
    st.caption(tr("home.data_source", source=tr(f"data.source.{ag.kind}")))


def balance(splits: Splits) -> None:
    st.header(tr("data.balance"))
    counts = {tr(f"data.split.{part}"): np.bincount(getattr(splits, part)["label"], minlength=len(CLASS_NAMES))
              for part in ("train", "validation", "test")}
    plot.chart(charts.class_balance(counts, ui.class_names(), count_label=tr("data.texts")), key="fig-balance",
             note=tr("note.balance"))


def lengths_panel(ag: AgNews, config: RunConfig, splits: Splits) -> np.ndarray:
    """The words-per-text histogram; returns the training rows' lengths."""
    st.header(tr("data.lengths"))
    with st.spinner(tr("data.counting")):
        all_lengths = res.token_lengths(res.data_key(ag), config.text, "train")
    lengths = all_lengths[splits.train.index.to_numpy()]
    figure = charts.length_histogram(
        lengths, splits.train["label"].to_numpy(), ui.class_names(),
        length_label=tr("data.words_per_text", text=tr(f"field.text.{config.text}")),
        count_label=tr("data.texts"), max_length=config.max_length, cutoff_label=tr("data.cutoff"))
    median = int(np.median(lengths)) if len(lengths) else 0
    cut = ui.pct((lengths > config.max_length).mean() if len(lengths) else 0)
    plot.chart(figure, key="fig-lengths", note=tr("note.lengths", median=median, cut=cut, max_length=config.max_length))
    return lengths


def padding_panel(config: RunConfig, lengths: np.ndarray) -> None:
    st.header(tr("data.padding"))
    batch = st.select_slider(tr("data.batch_size"), BATCH_SIZES, key="data_batch",
                             value=config.batch_size if config.batch_size in BATCH_SIZES else 64)
    plain, bucketed = padding_with_and_without_bucketing(lengths, batch, config.max_length, config.seed)
    rows = [{"label": tr("data.plain"), "padding": plain}, {"label": tr("data.bucketing"), "padding": bucketed}]
    plot.chart(charts.padding_comparison(rows, padding_label=tr("data.padding_share")), key="fig-padding-share",
             note=tr("note.padding_share", plain=ui.pct(plain, 0), bucketed=ui.pct(bucketed, 0)))


def samples(splits: Splits) -> None:
    st.header(tr("data.samples"))
    names = ui.class_names()
    c1, c2 = st.columns([1, 2])
    chosen = c1.selectbox(tr("data.class"), ["all", *range(len(CLASS_NAMES))], key="data_class",
                          format_func=lambda c: tr("data.all_classes") if c == "all" else names[c])
    query = c2.text_input(tr("data.search"), key="data_search", placeholder=tr("data.search_placeholder"),
                          max_chars=200)
    frame = search(splits.train, None if chosen == "all" else chosen, query)
    st.caption(tr("data.matches", n=ui.num(len(frame))))
    shown = frame.head(100)
    st.dataframe(pd.DataFrame({tr("eval.class"): [names[i] for i in shown["label"]],
                               tr("data.title_col"): shown["title"].to_numpy(),
                               tr("data.description_col"): shown["description"].to_numpy()}),
                 hide_index=True, height=420, column_config={
                     tr("data.title_col"): st.column_config.TextColumn(width="medium"),
                     tr("data.description_col"): st.column_config.TextColumn(width="large")})
    st.caption(tr("note.samples"))


def main() -> None:
    ui.keep_params("data")
    st.title(tr("data.title"))
    st.markdown(tr("data.intro"))
    ag, error = res.data()
    if ag is None:
        ui.no_data(error)
        return
    config = PRESETS[pick_preset()]
    splits = res.splits(ag, config)
    overview(ag, config, splits)
    balance(splits)
    lengths = lengths_panel(ag, config, splits)
    padding_panel(config, lengths)
    samples(splits)


main()
