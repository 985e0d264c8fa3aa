"""Lesson: the RNN lesson retold in four steps and its exercise, each experiment one click away.

Every step explains one idea, trains that step's lesson preset through the server's
shared training queue (a run anyone already trained, or is training, is reused), and
shows next to the text its test accuracy, its training time and how it reads the
page's headline. The exercise sets step 2's network against the same network reading
through pretrained GloVe vectors, both reading a present-day headline. The text lives
in the catalogues (``lesson.*``); which run a step shows is decided in :mod:`rnnlab_app.lesson`.
"""
from __future__ import annotations

import streamlit as st

from rnnlab import charts
from rnnlab.config import CLASS_NAMES
from rnnlab.errors import InputError
from rnnlab.jobs import DISCARDED, FAILED, QUEUED, STOPPED
from rnnlab.runs import RunStoreError
from rnnlab_app import explain, guess, handouts, headline, lesson, links, plot, replay, results, trainings
from rnnlab_app import resources as res
from rnnlab_app import ui
from rnnlab_app.ui import tr

ui.keep_params("lesson")
st.title(tr("lesson.title"))
st.markdown(tr("lesson.intro"))
ui.flash()


def intro() -> None:
    st.header(tr("lesson.what_title"))
    st.markdown(tr("lesson.what_body"))
    st.latex(explain.RECURRENCE)
    st.markdown(tr("home.recurrence_legend"))
    st.markdown(tr("lesson.what_more"))
    n = lesson.train_size_override()
    if n:
        st.warning(tr("lesson.shrunk", n=ui.num(n)), icon=":material/speed:")


# -- one step's experiment --------------------------------------------------------------

def _progress(snap, queue) -> None:
    p = snap.progress
    if snap.state == QUEUED:
        st.info(tr("train.queued", position=queue.position(snap.job_id) or 1), icon=":material/hourglass_top:")
    else:
        trainings.training_progress(p)


def watch(section: str, job_id: str) -> None:
    """Progress of the training this step waits for, checked every second; the whole page
    is redrawn as soon as it ends (the result appears next to the text)."""
    queue = res.queue()

    @st.fragment(run_every=1.0)
    def panel():
        live = queue.get(job_id)
        if live is None or not live.active:
            st.rerun(scope="app")
        snap = live.snapshot()
        _progress(snap, queue)
        if job_id not in st.session_state.get("jobs", []):
            st.caption(tr("lesson.training_other"))
        st.page_link(ui.PAGES["train"], label=tr("lesson.watch"), icon=":material/model_training:")

    panel()


def train_button(section: str, config, place: str | None = None) -> None:
    """``place`` names the button where a section's run is offered twice on the page."""
    queue = res.queue()
    mine = queue.get(st.session_state.get(f"lesson_job.{section}", ""))
    if mine is not None and mine.state == FAILED:
        st.error(tr("train.failed", run=ui.esc(mine.run_id)))
        st.text(mine.error)
    elif mine is not None and mine.state in (DISCARDED, STOPPED):
        st.info(tr("lesson.stopped"), icon=":material/stop_circle:")
    ag, _ = res.data()
    if ag is None:
        st.caption(tr("lesson.no_data"))
        return
    if links.training_off():
        return
    if st.button(tr("lesson.train"), key=f"lesson-train-{place or section}", type="primary",
                 icon=":material/play_arrow:", help=tr("lesson.train_help")):
        job = trainings.submit_training(config)
        if job is not None:
            st.session_state[f"lesson_job.{section}"] = job.job_id
            st.rerun()


def read(run_id: str, text: str):
    """The run's light trace of the text, or None after saying why it could not be read."""
    try:
        return res.light_trace(run_id, text)
    except InputError as exc:
        st.warning(tr("explore.bad_text", error=ui.esc(exc)))
    except (RunStoreError, Exception) as exc:  # one unreadable run must not take the lesson down
        st.error(tr("explore.load_failed", run=ui.esc(run_id)))
        st.text(f"{type(exc).__name__}: {exc}")
    return None


def result(section: str, run_id: str, metrics: dict, text: str) -> None:
    cols = st.columns(3)
    acc = metrics.get("test_accuracy")
    cols[0].metric(tr("eval.test_accuracy"), ui.pct(acc) if isinstance(acc, float) else "–",
                   help=tr("eval.test_accuracy_help"))
    titles = metrics.get("test_titles_accuracy")
    if isinstance(titles, float):
        cols[1].metric(tr("eval.titles_accuracy"), ui.pct(titles), help=tr("eval.titles_accuracy_help"))
    seconds = metrics.get("train_seconds")
    if isinstance(seconds, (int, float)):
        cols[2].metric(tr("eval.train_time"), tr("eval.seconds", s=ui.num(seconds, 1)))
    if not text.strip():
        st.caption(tr("lesson.type_headline"))
        return
    trace = read(run_id, text)
    if trace is None:
        return
    if section == lesson.GUESS_SECTION and not guess.predict_then_reveal(run_id, text, trace.predicted_index):
        return
    names = ui.class_names()
    c = trace.predicted_index
    st.markdown(tr("lesson.answer", cls=names[c], p=ui.pct(trace.probabilities[c], 0)))
    words = [t.word for t in trace.tokens]
    st.html(charts.token_strip_html(words, trace.attributions["occlusion"], charts.class_color(c),
                                    unknown=[t.unknown for t in trace.tokens], value_label=tr("attr.occlusion"),
                                    unknown_label=tr("explore.unknown_word")))
    st.caption(tr("lesson.strip_note", cls=names[c]))
    fig = charts.prefix_probabilities(trace.prefix_probabilities, words, names, token_label=tr("chart.after_reading"),
                                      probability_label=tr("chart.probability"), angle_from=5)
    fig.update_layout(height=500)     # half the page wide: a taller plot keeps the lines apart
    plot.chart(fig, key=f"fig-lesson-prefix-{section}", note=tr("note.prefix"))
    left, right = st.columns(2)
    with left:
        results.trace_csv_download(trace, key=f"lesson-csv-{section}", label=tr("lesson.trace_csv"))
        handouts.download_button(ui.describe(lesson.section_config(section)), trace, key=f"lesson-handout-{section}")
    if right.button(tr("lesson.open_explore"), key=f"lesson-explore-{section}", icon=":material/search:"):
        ui.switch_page("explore", run=run_id, headline=text.strip()[:500])


def experiment(section: str, text: str) -> None:
    config = lesson.section_config(section)
    run_id = config.run_id()
    with st.container(border=True):
        st.markdown(f"**{ui.preset_label(lesson.PRESET_OF[section])}**")
        size = tr("data.all_rows") if config.train_size == 0 else ui.num(config.train_size)
        st.caption(tr("lesson.config", model=ui.describe(config), size=size, epochs=config.epochs))
        info = res.store().info(run_id)
        if info.ok:
            result(section, run_id, info.metrics, text)
        else:
            pending(section, config)


def pending(section: str, config, place: str | None = None) -> None:
    """An untrained section: its training's progress if one is queued or running, else its button."""
    run_id = config.run_id()
    active = next((j for j in res.queue().jobs() if j.run_id == run_id and j.active), None)
    if active is not None:
        watch(section, active.job_id)
    else:
        train_button(section, config, place)


# -- the first step's training replay ----------------------------------------------------

def training_replay(section: str, text: str) -> None:
    """The step's network reading the headline at the snapshots its training kept (a slider)."""
    run_id = lesson.section_config(section).run_id()
    if not text.strip() or not res.store().info(run_id).ok:
        return
    index = replay.index_of(run_id)
    if index is None:
        return
    st.subheader(tr("replay.title"))
    st.markdown(tr("replay.lesson", n=index.count))
    replay.player(run_id, text, index, key=f"lesson_replay.{section}", full=False)


# -- the LSTM step's memory example ----------------------------------------------------------

def memory_example() -> None:
    """Step 1's SimpleRNN and step 3's LSTM read the same long text: how much each one's
    answer still depends on every word (vanishing gradients made visible), side by side."""
    st.subheader(tr("lesson.memory_title"))
    runs = {s: lesson.section_config(s).run_id() for s in lesson.MEMORY_SECTIONS}
    missing = [s for s, rid in runs.items() if not res.store().info(rid).ok]
    if missing:
        st.caption(tr("lesson.memory_need", steps=", ".join(tr(f"lesson.{s}.title") for s in missing)))
        return
    st.markdown(tr("lesson.memory_body"))
    st.code(lesson.MEMORY_TEXT, language=None, wrap_lines=True)
    for col, (section, run_id) in zip(st.columns(2, gap="large"), runs.items()):
        with col:
            st.markdown(f"**{ui.preset_label(lesson.PRESET_OF[section])}**")
            try:
                with st.spinner(tr("explore.reading")):
                    found = res.memory(run_id, lesson.MEMORY_TEXT)
            except Exception as exc:  # an unreadable run: a message, the other side still drawn
                st.error(tr("explore.load_failed", run=ui.esc(run_id)))
                st.text(f"{type(exc).__name__}: {exc}")
                continue
            tokens = found.tokens
            fig = charts.memory_dependence(
                [t.word for t in tokens], [t.distance for t in tokens], [t.gradient_norm for t in tokens],
                [t.occlusion_drop for t in tokens], color=charts.class_color(found.predicted),
                distance_label=tr("memory.distance"), gradient_label=tr("memory.gradient"),
                occlusion_label=tr("memory.occlusion"), gradient_title=tr("lesson.memory_gradient_title"),
                occlusion_title=tr("lesson.memory_occlusion_title"), max_ticks=6)   # half the page wide
            plot.chart(fig, key=f"fig-lesson-memory-{section}")
    st.caption(tr("lesson.memory_how"))


# -- the masking step's padding test -------------------------------------------------------

def padding_test(text: str) -> None:
    """The headline plus 0..20 padding tokens, read by step 1's network (no masking) and
    step 2's (masking), each as it really behaves: their answers side by side, then how
    far each one's final state drifts."""
    st.subheader(tr("lesson.padding_title"))
    if not text.strip():
        return
    runs = {s: lesson.section_config(s).run_id() for s in ("simple-rnn", "masking")}
    ready = {s: rid for s, rid in runs.items() if res.store().info(rid).ok}
    if len(ready) < len(runs):
        st.caption(tr("lesson.padding_need"))
    if not ready:
        return
    names = ui.class_names()
    index = {n: i for i, n in enumerate(CLASS_NAMES)}
    panels, series, verdicts = [], [], []
    for section, run_id in ready.items():
        try:
            demo = res.padding_demo(run_id, text, 20)
        except InputError as exc:
            st.warning(tr("explore.bad_text", error=ui.esc(exc)))
            return
        label = ui.preset_label(lesson.PRESET_OF[section])
        own, masking = demo.own, demo.model_masking
        panels.append({"title": label, "probabilities": own.probabilities, "masking": masking})
        series.append({"label": label, "drift": own.state_drift, "masking": masking})
        before, after = own.predicted_class[0], own.predicted_class[-1]
        verdict = (tr("lesson.padding_same", cls=names[index[before]]) if before == after else
                   tr("lesson.padding_changed", before=names[index[before]], after=names[index[after]]))
        verdicts.append(f"**{label}:** {verdict}")
    st.caption(tr("lesson.padding_note"))
    plot.chart(charts.padding_side_by_side(panels, names, pads_label=tr("padding.pads"),
                                         probability_label=tr("chart.probability")), key="fig-lesson-padding")
    for verdict in verdicts:
        st.markdown(verdict)
    plot.chart(charts.padding_drift_compare(series, pads_label=tr("padding.pads"), drift_label=tr("padding.drift")),
             key="fig-lesson-drift", note=tr("lesson.drift_note"))


# -- the exercise: learned embeddings against pretrained GloVe vectors ----------------------

def exercise_headline() -> str:
    key = "lesson_glove_headline"
    if key not in st.session_state:
        st.session_state[key] = lesson.EXERCISE_HEADLINE
    return st.text_input(tr("lesson.glove.headline"), key=key,
                         help=tr("lesson.glove.headline_help"))


def vocabulary_note(vocab: lesson.Vocabulary) -> None:
    st.markdown(tr("lesson.glove.sees"))
    st.code(vocab.seen, language=None, wrap_lines=True)
    if vocab.unknown:
        st.caption(tr("lesson.glove.knows_some", known=vocab.known, total=vocab.total,
                      words=", ".join(vocab.unknown)))
    else:
        st.caption(tr("lesson.glove.knows_all", total=vocab.total))


def reader(section: str, title: str, text: str, place: str | None = None) -> lesson.Vocabulary | None:
    """One side of the exercise: the network's accuracy, its answer and the words it knows.
    ``place`` names its train button when the section's own step offers one too."""
    config = lesson.section_config(section)
    run_id = config.run_id()
    with st.container(border=True):
        st.markdown(f"**{title}**")
        st.caption(ui.preset_label(lesson.PRESET_OF[section]))
        info = res.store().info(run_id)
        if not info.ok:
            pending(section, config, place)
            return None
        shown = (("test_accuracy", "eval.test_accuracy"), ("test_titles_accuracy", "eval.titles_accuracy"))
        for col, (name, label) in zip(st.columns(2), shown):
            value = info.metrics.get(name)
            col.metric(tr(label), ui.pct(value) if isinstance(value, float) else "–", help=tr(f"{label}_help"))
        if not text.strip():
            st.caption(tr("lesson.type_headline"))
            return None
        trace = read(run_id, text)
        if trace is None:
            return None
        names = ui.class_names()
        c = trace.predicted_index
        st.markdown(tr("lesson.answer", cls=names[c], p=ui.pct(trace.probabilities[c], 0)))
        plot.chart(charts.probability_bars(trace.probabilities, names, axis_label=tr("chart.probability")),
                 key=f"fig-lesson-glove-{section}")
        vocab = lesson.Vocabulary.of(trace.tokens)
        vocabulary_note(vocab)
        handouts.download_button(ui.describe(config), trace, key=f"lesson-handout-exercise-{section}")
        return vocab


def exercise() -> None:
    st.divider()
    st.header(tr("lesson.glove.title"), anchor=f"step-{lesson.EXERCISE}")
    st.markdown(tr("lesson.glove.body"))
    text = exercise_headline()
    left, right = st.columns(2, gap="large")
    with left:
        learned = reader(lesson.LEARNED, tr("lesson.glove.learned"), text, place=f"glove-{lesson.LEARNED}")
    with right:
        glove = reader(lesson.EXERCISE, tr("lesson.glove.pretrained"), text)
    if learned is not None and glove is not None:
        gained = lesson.newly_known(learned, glove)
        st.markdown(tr("lesson.glove.gained", words=", ".join(gained)) if gained else tr("lesson.glove.gained_none"))
    st.info(tr("lesson.glove.question"), icon=":material/lightbulb:")


# -- the page -------------------------------------------------------------------------------

def compare_all(text: str) -> None:
    st.divider()
    st.header(tr("lesson.compare_title"))
    ids = [rid for rid in lesson.section_run_ids().values() if res.store().info(rid).ok]
    if len(ids) < 2:
        st.caption(tr("lesson.compare_need"))
        return
    st.markdown(tr("lesson.compare_body"))
    if st.button(tr("lesson.compare_button"), key="lesson-compare", icon=":material/compare:"):
        ui.switch_page("compare", runs=",".join(ids), headline=text.strip()[:500])


def main() -> None:
    intro()
    ag, error = res.data()
    if ag is None:
        ui.no_data(error)
    st.subheader(tr("lesson.headline_title"))
    st.caption(tr("lesson.headline_note"))
    text = headline.headline_input("lesson")
    for section in lesson.SECTIONS:
        st.divider()
        st.header(tr(f"lesson.{section}.title"), anchor=f"step-{section}")     # a share link's #step-...
        left, right = st.columns([1, 1], gap="large")
        with left:
            st.markdown(tr(f"lesson.{section}.body"))
        with right:
            experiment(section, text)
        if section == "simple-rnn":
            training_replay(section, text)
        if section == "masking":
            padding_test(text)
        if section == "lstm":
            memory_example()
        st.info(tr(f"lesson.{section}.question"), icon=":material/lightbulb:")
    exercise()
    compare_all(text)


main()
