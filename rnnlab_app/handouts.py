"""The handout button: one headline's reading as an offline HTML file (built by :mod:`rnnlab.handout`)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from rnnlab import charts
from rnnlab.handout import Handout, HandoutFigure, build
from rnnlab_app import ui
from rnnlab_app.ui import tr


def handout(model: str, trace) -> Handout:
    """What the handout of ``trace`` shows, in the person's language."""
    names = ui.class_names()
    c = trace.predicted_index
    words = [t.word for t in trace.tokens]
    figures = [
        HandoutFigure(tr("explore.section_prediction"), tr("note.probabilities"),
                      charts.probability_bars(trace.probabilities, names, axis_label=tr("chart.probability"))),
        HandoutFigure(tr("explore.section_forming"), tr("note.prefix"),
                      charts.prefix_probabilities(trace.prefix_probabilities, words, names,
                                                  token_label=tr("chart.after_reading"),
                                                  probability_label=tr("chart.probability"))),
    ]
    if len(trace.state_change) == len(words) and np.isfinite(trace.state_change).all():
        figures.append(HandoutFigure(tr("explore.state_change_title"), tr("note.state_change"),
                                     charts.state_change(trace.state_change, words, token_label=tr("chart.token"),
                                                         value_label=tr("chart.state_change"))))
    occlusion = trace.attributions.get("occlusion")
    strip = "" if occlusion is None else charts.token_strip_html(
        words, occlusion, charts.class_color(c), unknown=[t.unknown for t in trace.tokens],
        value_label=tr("attr.occlusion"), unknown_label=tr("explore.unknown_word"))
    return Handout(
        title=tr("handout.title"),
        facts=[(tr("handout.run"), trace.run_id), (tr("handout.model"), model), (tr("headline.label"), trace.text),
               (tr("explore.predicted"), tr("handout.prediction", cls=names[c], p=ui.pct(trace.probabilities[c], 0)))],
        figures=figures, words_title=tr("explore.attr_title"), words_html=strip,
        footer=tr("handout.footer", cls=names[c]), lang=ui.lang())


def download_button(model: str, trace, key: str) -> None:
    """'Download handout (HTML)': the file is built only when clicked (it holds plotly.js, ~5 MB)."""
    st.download_button(tr("handout.download"), lambda: build(handout(model, trace)),
                       file_name=f"handout-{trace.run_id}.html", mime="text/html", key=key,
                       icon=":material/description:", help=tr("handout.help"))
