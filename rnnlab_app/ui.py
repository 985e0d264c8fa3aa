"""Page building blocks shared by the pages: language, URL state, empty states, run
pickers, downloads and the training / evaluation panels.

Pages arrange these; figures come from :mod:`rnnlab.charts`, everything else from
:mod:`rnnlab`. Text a person typed is only ever shown through ``st.text``/``st.code``/
dataframes or HTML-escaped (see :func:`rnnlab.charts.token_strip_html`).
"""
from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab import cells, charts
from rnnlab.ag_escapes import readable
from rnnlab.config import CLASS_NAMES, PRESET_DESCRIPTIONS, PRESETS, RunConfig
from rnnlab.i18n import DEFAULT_LANG, LANGUAGES, format_number, format_percent, normalize_lang, t
from rnnlab.locks import Lock, format_locks
from rnnlab.runs import RunInfo, RunStoreError, check_run_id

from . import resources as res

# The page icon is a file served by the app's own server: a Material icon or an emoji as
# page icon makes the browser fetch it from a public server, which fails in a classroom
# without internet.
APP_ICON = Path(__file__).parent / "assets" / "icon.png"
PAGES = {  # url path -> file, for links and switch_page
    "home": "app.py",
    "lesson": "app_pages/lesson.py",
    "train": "app_pages/train.py",
    "explore": "app_pages/explore.py",
    "compare": "app_pages/compare.py",
    "data": "app_pages/data.py",
    "challenge": "app_pages/challenge.py",
}
# Which URL parameters each page carries (besides ``lang``).
PAGE_PARAMS = {
    "home": (),
    "lesson": ("headline",),
    "train": ("preset",),
    "explore": ("run", "headline", "panel", "step", "pin"),
    "compare": ("runs", "headline"),
    "data": ("preset",),
}
EXAMPLES = (
    "Stocks slide as oil prices hit a record high",
    "Federer wins his third Wimbledon title",
    "NASA probe sends back first pictures of Saturn's moon",
    "Rebels seize the capital as talks collapse",
    "Apple unveils a faster iPod with a colour screen",
)
MAX_HEADLINE_CHARS = 20_000


# -- language -------------------------------------------------------------------------

def lang() -> str:
    return normalize_lang(st.session_state.get("lang", DEFAULT_LANG))


def tr(key: str, **fmt) -> str:
    """The catalogue text for ``key`` in the person's language."""
    return t(key, lang(), **fmt)


def num(x, digits: int = 0) -> str:
    """A number in the person's language ("46,432" / "46 432"; "0.532" / "0,532")."""
    return format_number(x, lang(), digits)


def pct(share, digits: int = 1) -> str:
    """A share as a percentage in the person's language ("90.2%" / "90,2 %")."""
    return format_percent(share, lang(), digits)


_MD_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$&:")


def esc(text) -> str:
    """``text`` made inert for Markdown (every special character backslash-escaped), for
    run ids, URL values and error messages placed into Markdown-rendered messages."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))


def class_names() -> list[str]:
    return [tr(f"class.{i}") for i in range(len(CLASS_NAMES))]


def preset_label(name: str) -> str:
    return tr(f"preset.{name}.name") if _has(f"preset.{name}.name") else name


def preset_description(name: str) -> str:
    key = f"preset.{name}.desc"
    return tr(key) if _has(key) else PRESET_DESCRIPTIONS.get(name, "")


def _has(key: str) -> bool:
    from rnnlab.i18n import has
    return has(key, lang())


def init_language() -> None:
    """Language from the URL (``lang``) on a session's first run, then the person's choice."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = normalize_lang(st.query_params.get("lang"))


def language_switch() -> None:
    """The sidebar's language choice; hidden (the link's language stays) under ``lock=lang``."""
    options = list(LANGUAGES)
    if locked("lang"):
        set_param("lang", None if lang() == DEFAULT_LANG else lang())
        return

    def changed():
        st.session_state["lang"] = st.session_state["lang_select"]

    if st.session_state.get("lang_select") not in options:
        st.session_state["lang_select"] = lang()
    st.selectbox(tr("sidebar.language"), options, key="lang_select", format_func=lambda c: LANGUAGES[c],
                 on_change=changed)
    set_param("lang", None if lang() == DEFAULT_LANG else lang())


# -- projector mode ---------------------------------------------------------------------

# Projector mode: larger type everywhere (Streamlit sizes text in rem, so a larger root
# font grows it all, tables included: their canvas takes its font in rem too; captions
# and small labels get at least 20 px) and black text for contrast.
# Charts grow their own fonts: see :func:`chart`.
PROJECTOR_CSS = """<style>
html { font-size: 23px; }
[data-testid="stMain"], [data-testid="stSidebar"] { color: #000; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *, [data-testid="stMetricLabel"],
[data-testid="stWidgetLabel"], [data-testid="stMarkdownContainer"] small {
  color: #000 !important; opacity: 1 !important; font-size: max(20px, 0.9rem) !important; }
</style>"""


def init_projector() -> None:
    """Projector mode from the URL (``present=1``) on a session's first run, then the toggle."""
    if "present" not in st.session_state:
        st.session_state["present"] = st.query_params.get("present") == "1"


def projector() -> bool:
    """Whether this person shows the app on a projector (the one place charts and pages ask)."""
    return bool(st.session_state.get("present", False))


def projector_switch() -> None:
    """The sidebar toggle; it keeps ``present=1`` in the URL while on, so a shared link keeps it."""
    def changed():
        st.session_state["present"] = st.session_state["present_toggle"]

    st.session_state["present_toggle"] = projector()
    st.toggle(tr("teacher.projector"), key="present_toggle", on_change=changed, help=tr("teacher.projector_help"))
    set_param("present", "1" if projector() else None)


def projector_style() -> None:
    if projector():
        st.html(PROJECTOR_CSS)


# -- URL state ------------------------------------------------------------------------

LOCK_STATE = "link_lock"


def link_lock() -> Lock:
    """What the link this session was opened from locks (set by :func:`rnnlab_app.links.init`)."""
    return st.session_state.get(LOCK_STATE) or Lock()


def locked(item: str) -> bool:
    """Whether this session's link locks ``item`` (one of :data:`rnnlab.locks.ITEMS`)."""
    return item in link_lock()


def get_param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value if isinstance(value, str) and value != "" else None


def set_param(name: str, value: str | None) -> None:
    """Write one URL parameter (None or '' removes it); writes only on change."""
    if value is None or value == "":
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def keep_params(page: str) -> None:
    """Drop URL parameters that belong to other pages (so a shared link says only what it means)."""
    allowed = set(PAGE_PARAMS.get(page, ())) | {"lang", "present", "lock"}
    for name in list(st.query_params.keys()):
        if name not in allowed:
            del st.query_params[name]


def remembered(name: str, default=None):
    """A per-person choice kept across pages (``st.session_state['keep.<name>']``)."""
    return st.session_state.get(f"keep.{name}", default)


def remember(name: str, value) -> None:
    st.session_state[f"keep.{name}"] = value


def choice(key: str, options: list, default, keep: bool = False):
    """Prepare the value of the keyed widget about to be drawn: its current value when
    still valid, else (with ``keep``) the person's last choice, else ``default``.

    ``keep`` survives runs in which the widget is not drawn (Streamlit forgets a widget's
    state then); pass ``on_change=keep_choice, args=(key,)`` to the widget with it.
    """
    if st.session_state.get(key) not in options:
        kept = remembered(key) if keep else None
        st.session_state[key] = kept if kept in options else default
    return st.session_state[key]


def keep_choice(key: str) -> None:
    remember(key, st.session_state.get(key))


def switch_page(page: str, **params) -> None:
    query = {k: v for k, v in params.items() if v}
    if lang() != DEFAULT_LANG:
        query["lang"] = lang()
    if link_lock().items:
        query["lock"] = format_locks(link_lock().items)
    st.switch_page(PAGES[page], query_params=query or None)


# -- runs -----------------------------------------------------------------------------

def preset_of_run(run_id: str) -> str | None:
    """The preset whose config this run was trained with (the zoo's runs), or None."""
    for name, config in PRESETS.items():
        if config.run_id() == run_id:
            return name
    return None


def runs_first(runs: list[RunInfo]) -> list[RunInfo]:
    """Ready-trained runs (config equal to a preset) first, in preset order; then the rest as they were."""
    order = {config.run_id(): i for i, config in enumerate(PRESETS.values())}
    return sorted(runs, key=lambda r: (0, order[r.run_id]) if r.run_id in order else (1, 0))


def run_label(info: RunInfo | None, run_id: str) -> str:
    if info is None or info.config is None:
        return run_id
    acc = info.metrics.get("test_accuracy")
    acc_text = f" · {pct(acc, 0)}" if isinstance(acc, (int, float)) else ""
    partial = f" · {tr('runs.partial')}" if info.metrics.get("stopped_early") else ""
    preset = preset_of_run(run_id)
    if preset:
        return f"★ {preset_label(preset)}{acc_text} · {run_id}"
    return f"{run_id} · {describe(info.config)}{acc_text}{partial}"


def accuracies(metrics: dict) -> str:
    """AG News test accuracy and the accuracy on today's headlines, for a run's caption.

    Runs trained before the headlines were scored (or without the file) show a dash.
    """
    def shown(value) -> str:
        return pct(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else "–"
    return (f"{tr('eval.test_accuracy')}: {shown(metrics.get('test_accuracy'))} · "
            f"{tr('eval.headlines_accuracy')}: {shown(metrics.get('headlines_dev_accuracy'))}")


def describe(config: RunConfig) -> str:
    layer = f"{cells.label(config.cell)}({config.units})"
    if config.bidirectional:
        layer = tr("describe.bidirectional", layer=layer)
    if config.layers > 1:
        layer = f"{config.layers} × {layer}"
    masking = tr("describe.masking") if config.masking else tr("describe.no_masking")
    text = tr("describe.titles") if config.text == "title" else tr("describe.title_description")
    glove = ""
    if config.embeddings == "glove":
        glove = ", " + tr("describe.glove_trainable" if config.embeddings_trainable else "describe.glove")
    return f"{layer}, {masking}, {text}{glove}"


def validate_run_param(value: str | None, valid: list[str]) -> tuple[str | None, str]:
    """A run id from the URL if it names a whole run, else None and a message to show."""
    if not value:
        return None, ""
    try:
        check_run_id(value)
    except RunStoreError:
        return None, tr("runs.bad_id", run=value[:100])
    if value not in valid:
        return None, tr("runs.unknown", run=esc(value))
    return value, ""


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


# -- empty states ---------------------------------------------------------------------

def no_data(message: str) -> None:
    """Explain that there is no data and how to provide it (never a traceback)."""
    st.warning(tr("empty.no_data.title"), icon=":material/database_off:")
    st.markdown(tr("empty.no_data.body"))
    st.code("export RNNLAB_DATA_DIR=/path/to/ag_news   # holds train.csv and test.csv\n"
            "streamlit run app.py", language="bash")
    with st.expander(tr("empty.no_data.details")):
        st.text(message)


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


def flash() -> None:
    """Show a message left by the previous page (e.g. before a page switch)."""
    item = st.session_state.pop("flash", None)
    if item:
        kind, text = item
        getattr(st, kind, st.info)(text)


# -- headlines --------------------------------------------------------------------------

def random_test_headline() -> tuple[str, int] | None:
    ag, _ = res.data()
    if ag is None:
        return None
    i = random.randrange(len(ag.test))
    row = ag.test.iloc[i]
    return readable(str(row["title"])), int(row["label"])     # as a person reads it: no crawl escapes


def headline_input(page: str) -> str:
    """The headline text box with a random-headline button and examples; URL ``headline``.

    The headline is shared between Explore and Compare (one per person).
    """
    key = f"{page}_headline"
    fixed = link_lock().headline if locked("headline") else None
    if fixed is not None:         # the teacher's link fixes it: shown, not editable
        st.session_state[key] = fixed[:MAX_HEADLINE_CHARS + 1]
        st.text_input(tr("headline.label"), key=key, disabled=True, help=tr("lock.headline_help"))
        set_param("headline", fixed[:500])
        return fixed
    if key not in st.session_state:
        from_url = get_param("headline")
        st.session_state[key] = (from_url or remembered("headline", EXAMPLES[0]))[:MAX_HEADLINE_CHARS + 1]

    def use(text: str, label: int | None = None):
        st.session_state[key] = text
        st.session_state["keep.headline_label"] = (text, label)

    def pick_random():
        picked = random_test_headline()
        if picked is None:
            st.session_state["flash"] = ("warning", tr("headline.no_data"))
            return
        use(*picked)

    def pick_example():
        choice = st.session_state.get(f"{page}_example")
        if choice:
            use(choice)
        st.session_state[f"{page}_example"] = None

    st.text_input(tr("headline.label"), key=key, placeholder=tr("headline.placeholder"), help=tr("headline.help"))
    st.button(tr("headline.random"), on_click=pick_random, key=f"{page}_random", icon=":material/casino:")
    st.pills(tr("headline.examples"), EXAMPLES, key=f"{page}_example", on_change=pick_example)
    flash()
    text = st.session_state.get(key, "") or ""
    remember("headline", text)
    set_param("headline", text.strip() and text[:500])
    known = st.session_state.get("keep.headline_label")
    if known and known[0] == text and known[1] is not None:
        st.caption(tr("headline.true_class", cls=class_names()[known[1]]))
    return text


def _fig_key(*parts) -> str:
    return "fig-" + "-".join(str(p) for p in parts)


def chart(fig, key: str, note: str | None = None, on_select=None):
    """A Plotly figure with its one- or two-sentence 'what to look for'.

    ``on_select`` (a callback, or "rerun") makes a click on a point or bar select it: a
    callback reads the selection from ``st.session_state[key]`` before the page runs
    again; with "rerun" the selection state is returned.

    In projector mode every font of the figure grows (:func:`rnnlab.charts.for_projector`)
    and the figure keeps its own dark text rather than Streamlit's chart theme.
    Of Plotly's toolbar only the camera stays (shown on hover): it downloads the chart
    as a PNG in the browser, at twice the screen resolution, named after the chart.
    """
    if note:
        st.caption(note)
    name = key[4:] if key.startswith("fig-") else key
    if projector():
        fig = charts.for_projector(fig)
    # Streamlit's chart theme sets small grey axis labels of its own: the projector drops it.
    selecting = {"on_select": on_select, "selection_mode": ("points",)} if on_select else {}
    return st.plotly_chart(fig, key=key, theme=None if projector() else "streamlit", **selecting, config={
        "displaylogo": False, "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": "png", "filename": f"rnnlab-{name}", "scale": 2}})


def state_scale(values) -> tuple[float, str]:
    """The colour-scale top for a hidden-state heatmap and its colour-bar title: ±1, or the
    states' own smaller range, said in the title ("Value · scale ±0.12, not ±1")."""
    top = charts.readable_scale(values)
    if top >= 1.0:
        return 1.0, tr("chart.value")
    return top, tr("scale.legend", value=tr("chart.value"), scale=num(top, 2))


# -- evaluation -------------------------------------------------------------------------

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
            rows.append({tr("eval.class"): names[i], tr("eval.precision"): _pct(m.get("precision")),
                         tr("eval.recall"): _pct(m.get("recall")), tr("eval.f1"): _pct(m.get("f1")),
                         tr("eval.support"): m.get("support")})
        st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
            tr("eval.precision"): st.column_config.NumberColumn(format="%.0f%%"),
            tr("eval.recall"): st.column_config.NumberColumn(format="%.0f%%"),
            tr("eval.f1"): st.column_config.NumberColumn(format="%.0f%%")})
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
                           tr("eval.confidence"): _pct(w.get("probability"))} for w in wrong])
    st.caption(tr("eval.misclassified_note"))
    st.dataframe(frame, hide_index=True, height=320, column_config={
        tr("eval.confidence"): st.column_config.NumberColumn(format="%.0f%%"),
        tr("eval.text"): st.column_config.TextColumn(width="large")})


def _pct(value):
    return None if value is None else 100.0 * float(value)


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
