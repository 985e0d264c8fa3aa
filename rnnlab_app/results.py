"""What a run shows of itself: charts drawn the one way (projector, selection), evaluation, curves, downloads."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab import charts
from rnnlab.config import CLASS_NAMES
from rnnlab.runs import RunStoreError

from . import resources as res
from .plot import chart
from .ui import class_names, esc, num, number_table, pct, tr


def run_downloads(run_id: str, key: str) -> None:
    """Download buttons for the run's model and config, read only when clicked: a model's
    bytes handed to every visitor's page would stay in the server's memory per session."""
    cols = st.columns(2)
    try:
        for name in ("model.keras", "config.json"):
            res.run_file_size(run_id, name)                  # there and readable, or a message now
    except (OSError, RunStoreError) as exc:
        st.warning(tr("runs.files_missing", error=esc(exc)))
        return
    cols[0].download_button(tr("download.model"), lambda: res.run_file(run_id, "model.keras"),
                            file_name=f"{run_id}.keras", mime="application/octet-stream", key=f"{key}-model",
                            icon=":material/download:")
    cols[1].download_button(tr("download.config"), lambda: res.run_file(run_id, "config.json"),
                            file_name=f"{run_id}-config.json", mime="application/json", key=f"{key}-config",
                            icon=":material/download:")


def state_scale(values) -> tuple[float, str]:
    """The colour-scale top for a hidden-state heatmap and its colour-bar title: ±1, or the
    states' own smaller range, said in the title ("Value · scale ±0.12, not ±1")."""
    top = charts.readable_scale(values)
    if top >= 1.0:
        return 1.0, tr("chart.value")
    return top, tr("scale.legend", value=tr("chart.value"), scale=num(top, 2))


def evaluation(metrics: dict, key: str, run_id: str | None = None) -> None:
    """Test accuracy, per-class precision/recall/F1, confusion matrix, misclassified headlines;
    with a saved ``run_id`` a click on a cell of the matrix lists its test headlines."""
    if not metrics or "per_class" not in metrics:
        st.info(tr("eval.none"))
        return
    names = class_names()
    cols = st.columns(5)
    cols[0].metric(tr("eval.test_accuracy"), pct(metrics.get('test_accuracy', metrics.get('accuracy', 0))),
                   help=tr("eval.test_accuracy_help"))
    if metrics.get("headlines_dev_accuracy") is not None:
        cols[1].metric(tr("eval.headlines_accuracy"), pct(metrics['headlines_dev_accuracy']),
                       help=tr("eval.headlines_accuracy_help", n=metrics.get("headlines_dev_rows", "")))
    if metrics.get("test_titles_accuracy") is not None:
        cols[2].metric(tr("eval.titles_accuracy"), pct(metrics['test_titles_accuracy']),
                       help=tr("eval.titles_accuracy_help"))
    if metrics.get("train_seconds") is not None:
        cols[3].metric(tr("eval.train_time"), tr("eval.seconds", s=num(metrics['train_seconds'], 1)))
    if metrics.get("samples_per_second"):
        cols[4].metric(tr("eval.speed"), tr("eval.per_second", n=num(metrics['samples_per_second'])))
    if metrics.get("stopped_early"):
        st.warning(tr("eval.partial", reason=esc(metrics.get("stop_reason", ""))))
    st.caption(tr("eval.chance"))

    left, right = st.columns([1, 1])
    with left:
        st.subheader(tr("eval.per_class"))
        rows = []
        for i, name in enumerate(CLASS_NAMES):
            m = metrics["per_class"].get(name, {})
            rows.append({tr("eval.class"): names[i], tr("eval.precision"): m.get("precision"),
                         tr("eval.recall"): m.get("recall"), tr("eval.f1"): m.get("f1"),
                         tr("eval.support"): m.get("support")})
        shares = {tr(f"eval.{c}"): 0 for c in ("precision", "recall", "f1")}
        st.dataframe(number_table(pd.DataFrame(rows), percent=shares, decimals={tr("eval.support"): 0}),
                     hide_index=True)
        st.caption(tr("eval.per_class_note"))
    with right:
        st.subheader(tr("eval.confusion"))
        event = chart(charts.confusion_matrix(metrics["confusion_matrix"], names, true_label=tr("eval.true"),
                                              predicted_label=tr("eval.predicted"), count_label=tr("eval.headlines"),
                                              clickable=run_id is not None),
                      key=f"{key}-confusion", note=tr("eval.confusion_note"),
                      on_select="rerun" if run_id is not None else None)
    if run_id is not None:
        from .drill import drill_down
        drill_down(run_id, key, event)
    wrong = metrics.get("misclassified") or []
    st.subheader(tr("eval.misclassified"))
    if not wrong:
        st.caption(tr("eval.no_misclassified"))
        return
    index = {n: i for i, n in enumerate(CLASS_NAMES)}
    frame = pd.DataFrame([{tr("eval.text"): w["text"],
                           tr("eval.true"): names[index.get(w["true"], 0)] if w["true"] in index else w["true"],
                           tr("eval.predicted"): names[index[w["predicted"]]] if w["predicted"] in index
                           else w["predicted"],
                           tr("eval.confidence"): w.get("probability")} for w in wrong])
    st.caption(tr("eval.misclassified_note"))
    st.dataframe(number_table(frame, percent={tr("eval.confidence"): 0}), hide_index=True, height=320,
                 column_config={tr("eval.text"): st.column_config.TextColumn(width="large")})


def history_curves(history: dict, key: str) -> None:
    """Training curves of a saved run, from its history.json."""
    batches = history.get("batches") or []
    if not batches:
        return
    curve = [{"samples": b["samples"], "loss": b["loss"], "accuracy": b["accuracy"], "epoch": b["epoch"]}
             for b in batches]
    chart(curves_figure(curve, history.get("epochs") or []), key=key, note=tr("train.curves_note"))


def curves_figure(curve, epochs):
    return charts.training_curves(curve, epochs, loss=tr("chart.loss"), accuracy=tr("chart.accuracy"),
                                  samples=tr("chart.samples_seen"), train=tr("chart.training"),
                                  validation=tr("chart.validation"))


def trace_csv(trace_obj) -> bytes | None:
    try:
        return trace_obj.to_csv()
    except Exception:  # a frame the trace engine can't make must not break the page
        return None


def trace_csv_download(trace_obj, key: str, label: str | None = None) -> None:
    """One button: the trace, one row per word, as CSV."""
    csv = trace_csv(trace_obj)
    if csv is not None:
        st.download_button(label or tr("download.trace_csv"), csv, file_name=f"trace-{trace_obj.run_id}.csv",
                           mime="text/csv", key=key, icon=":material/download:")


def trace_downloads(trace_obj, key: str) -> None:
    cols = st.columns(2)
    csv = trace_csv(trace_obj)
    data = json.dumps(trace_obj.to_dict(), default=_json_default, ensure_ascii=False, indent=1).encode("utf-8")
    if csv is not None:
        cols[0].download_button(tr("download.trace_csv"), csv, file_name=f"trace-{trace_obj.run_id}.csv",
                                mime="text/csv", key=f"{key}-csv", icon=":material/download:")
    cols[1].download_button(tr("download.trace_json"), data, file_name=f"trace-{trace_obj.run_id}.json",
                            mime="application/json", key=f"{key}-json", icon=":material/download:")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)
