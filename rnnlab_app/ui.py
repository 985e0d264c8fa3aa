"""What every page reads first: language and texts, URL state and the link's locks, run
labels and empty states. (Charts: :mod:`.plot`; results: :mod:`.results`; trainings:
:mod:`.trainings`; the headline box: :mod:`.headline`; projector mode: :mod:`.projector`.)

Pages arrange these; figures come from :mod:`rnnlab.charts`, everything else from
:mod:`rnnlab`. Text a person typed is only ever shown through ``st.text``/``st.code``/
dataframes or HTML-escaped (see :func:`rnnlab.charts.token_strip_html`).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from rnnlab import cells
from rnnlab.config import GLOVE_DIM, PRESET_DESCRIPTIONS, PRESETS, RunConfig
from rnnlab import i18n
from rnnlab.i18n import DEFAULT_LANG, LANGUAGES, format_number, format_percent, normalize_lang, t
from rnnlab.locks import Lock, format_locks
from rnnlab.runs import RunInfo, RunStoreError, check_run_id


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


def number_table(frame, *, percent: dict | None = None, decimals: dict | None = None,
                 suffix: dict | None = None):
    """``frame`` styled so its numbers read the person's way ("90.2%" / "90,2 %",
    "46,432" / "46 432") while the table still sorts by value. ``percent``: column ->
    digits, for shares 0..1; ``decimals``: column -> digits (0 groups thousands);
    ``suffix``: column -> text after the number (a unit)."""
    formats = {col: (lambda x, d=d: pct(x, d)) for col, d in (percent or {}).items()}
    for col, d in (decimals or {}).items():
        formats[col] = lambda x, d=d, unit=(suffix or {}).get(col, ""): num(x, d) + unit
    return frame.style.format(formats, na_rep="–")


def esc(text) -> str:
    """``text`` made inert for Markdown (every special character backslash-escaped), for
    run ids, URL values and error messages placed into Markdown-rendered messages."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))


def class_names() -> list[str]:
    return i18n.class_names(lang())


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
        if config.embed_dim > GLOVE_DIM:
            glove += " " + tr("describe.glove_wider", extra=config.embed_dim - GLOVE_DIM)
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


# -- empty states ---------------------------------------------------------------------

def no_data(message: str) -> None:
    """Explain that there is no data and how to provide it (never a traceback)."""
    st.warning(tr("empty.no_data.title"), icon=":material/database_off:")
    st.markdown(tr("empty.no_data.body"))
    st.code("export RNNLAB_DATA_DIR=/path/to/ag_news   # holds train.csv and test.csv\n"
            "streamlit run app.py", language="bash")
    with st.expander(tr("empty.no_data.details")):
        st.text(message)


def flash() -> None:
    """Show a message left by the previous page (e.g. before a page switch)."""
    item = st.session_state.pop("flash", None)
    if item:
        kind, text = item
        getattr(st, kind, st.info)(text)


