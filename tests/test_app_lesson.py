"""AppTest: the Lesson page — four steps and an exercise, each experiment one click away.

The steps train the lesson presets shrunk to 400 texts (``RNNLAB_LESSON_TRAIN_SIZE``),
so a step trains in seconds; the runs live in one store for this module, so the
masking test reuses the run the training test made.
"""
from __future__ import annotations

import base64

import numpy as np
import pytest

from rnnlab import challenge
from rnnlab.challenge import Classroom
from rnnlab.config import PRESETS
from rnnlab.runs import RunStore
from rnnlab.tracedata import TokenInfo
from rnnlab.training import train
from rnnlab_app import lesson, resources
from app_testing import all_text, chart_types, charts, open_page, wait_until

SIZE = "400"
STEPS = [f"lesson-train-{section}" for section in lesson.SECTIONS]
EXERCISE = ["lesson-train-glove-masking", "lesson-train-glove"]        # its learned side, its GloVe side


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv(lesson.TRAIN_SIZE_ENV, SIZE)
    return RunStore(tmp_path / "runs")


@pytest.fixture(scope="module")
def lesson_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("lesson-runs")


@pytest.fixture
def lesson_store(lesson_dir, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(lesson_dir))
    monkeypatch.setenv(lesson.TRAIN_SIZE_ENV, SIZE)
    return RunStore(lesson_dir)


def _values(y) -> np.ndarray:
    """A Plotly array as Streamlit sends it: a list, or base64 bytes with a dtype."""
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    return np.asarray(y, dtype=float)


def reveal(at, topic: int = 0):
    """Guess ``topic`` for step 1's headline and reveal the network's answer."""
    at.radio(key="lesson_guess").set_value(topic)
    return at.button(key="lesson-guess-reveal").click().run()


def ensure_run(store: RunStore, section: str) -> str:
    config = lesson.section_config(section)
    if not store.info(config.run_id()).ok:
        store.save_result(train(config))
    return config.run_id()


def test_sections_use_the_lesson_presets(monkeypatch):
    monkeypatch.delenv(lesson.TRAIN_SIZE_ENV, raising=False)
    assert {s: lesson.section_config(s) for s in lesson.SECTIONS} == {
        s: PRESETS[f"lesson-{s}"] for s in lesson.SECTIONS}           # the zoo's runs, found by run id
    assert lesson.section_config(lesson.EXERCISE) == PRESETS["lesson-glove"]
    assert lesson.section_config(lesson.LEARNED) == PRESETS["lesson-masking"]
    monkeypatch.setenv(lesson.TRAIN_SIZE_ENV, "400")
    assert lesson.section_config("lstm") == PRESETS["lesson-lstm"].replace(train_size=400)
    for bad in ("50", "lots", "-3", ""):
        monkeypatch.setenv(lesson.TRAIN_SIZE_ENV, bad)
        assert lesson.section_config("lstm") == PRESETS["lesson-lstm"]


def test_the_lesson_in_four_steps_and_an_exercise(empty_store):
    at = open_page("lesson")
    assert not at.exception
    assert at.title[0].value == "The lesson: recurrent neural networks"
    headers = [h.value for h in at.header]
    assert headers[:6] == ["What is a recurrent neural network?", "1 · A simple RNN reads the titles",
                           "2 · Padding, masking and bucketing", "3 · LSTM: a memory with gates",
                           "4 · Reading both ways, in two layers", "5 · Pretrained word vectors"]
    assert any("S_{t+1}" in latex.value for latex in at.latex)            # the recurrence
    assert [b.key for b in at.button if b.key in STEPS + EXERCISE] == STEPS + EXERCISE  # an experiment per step
    questions = [i.value for i in at.info if i.value.startswith("**Try this:**")]
    assert len(questions) == 5
    assert "switch masking off: what happens to the prediction when you add padding?" in questions[1]
    assert "400 texts" in all_text(at)                                   # the shrinking is said out loud
    assert at.sidebar.code[0].value.startswith("/lesson?headline=")       # the share link


def test_the_lesson_in_norwegian(empty_store):
    at = open_page("lesson", {"lang": "nb"})
    assert not at.exception
    assert at.title[0].value == "Leksjonen: rekurrente nevrale nettverk"
    text = all_text(at)
    assert "skjult tilstand" in text and "Utfylling (padding), maskering og bucketing" in text
    assert "glemmeporten" in text and "Prøv selv:" in text
    assert "5 · Forhåndstrente ordvektorer" in [h.value for h in at.header]
    assert "6 milliarder ord" in text and "Lært embedding (nettverket fra steg 2)" in text
    assert "The lesson" not in text and "Try this" not in text
    assert at.button(key="lesson-train-simple-rnn").label == "Tren dette nettverket"
    assert at.query_params["lang"] == "nb"
    assert "lang=nb" in at.sidebar.code[0].value


def test_a_step_trains_its_preset_and_shows_the_result_next_to_the_text(lesson_store):
    config = lesson.section_config("simple-rnn")
    assert not lesson_store.exists(config.run_id()), "this test expects to train the step itself"
    at = open_page("lesson", {"headline": "Federer wins his third Wimbledon title"})
    at.button(key="lesson-train-simple-rnn").click().run()
    assert not at.exception
    job = next(j for j in resources.queue().jobs() if j.run_id == config.run_id())
    assert job.config == config and job.job_id in at.session_state["jobs"]   # the shared queue, the Train page too
    assert "lesson-train-simple-rnn" not in [b.key for b in at.button]       # no second click while it trains
    at = wait_until(at, lambda a: any(m.label == "Test accuracy" for m in a.metric))
    assert not at.exception
    at = reveal(at)
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["Test accuracy", "On titles only", "Training time"]
    assert at.get("plotly_chart")[0].proto.spec and "scatter" in chart_types(at)   # the prefix probabilities
    strip = at.html[0].value
    assert "federer" in strip.lower() and "wimbledon" in strip.lower()           # the live trace of the headline
    assert "It reads the headline as" in all_text(at)
    assert [d.proto.label for d in at.get("download_button")] == ["Trace as CSV"]
    assert lesson_store.info(config.run_id()).ok

    # A second person opening the lesson gets the result at once, without training.
    jobs = len(resources.queue().jobs())
    other = open_page("lesson", {"headline": "Oil prices climb"})
    assert any(m.label == "Test accuracy" for m in other.metric)
    assert "lesson-train-simple-rnn" not in [b.key for b in other.button]
    assert len(resources.queue().jobs()) == jobs


def test_the_masking_step_shows_both_networks_padded(lesson_store):
    for section in ("simple-rnn", "masking"):
        ensure_run(lesson_store, section)
    at = open_page("lesson", {"headline": "Stocks slide as oil prices hit a record high"})
    assert not at.exception
    assert "The padding test: step 1 and step 2 side by side" in [s.value for s in at.subheader]
    side = next(f for f in charts(at) if any(t.get("xaxis") == "x2" for t in f["data"]))
    titles = [a["text"] for a in side["layout"]["annotations"]]
    assert titles == ["Lesson 1: SimpleRNN on titles", "Lesson 2: SimpleRNN with masking"]    # side by side
    assert {t.get("xaxis", "x"): t["line"]["dash"] for t in side["data"]} == {"x": "dash", "x2": "solid"}
    drift = next(f for f in charts(at) if [t["name"] for t in f["data"]] == titles)
    unmasked, masked = (_values(t["y"]) for t in drift["data"])
    assert masked.max() < 1e-6 < unmasked.max()                   # masking: no drift at all
    # Step 2 masks the padding, so 20 padding tokens cannot change its answer.
    assert "**Lesson 2: SimpleRNN with masking:** After 20 padding tokens it still answers" in all_text(at)
    assert at.button(key="lesson-compare")                       # two steps trained: compare them


def test_the_exercise_trains_the_learned_side_as_step_2(empty_store):
    """The exercise's learned side is step 2's run: one click there trains it for both places."""
    masking = lesson.section_config("masking")
    at = open_page("lesson")
    at.button(key="lesson-train-glove-masking").click().run()
    assert not at.exception
    jobs = [j for j in resources.queue().jobs() if j.active]
    assert [j.run_id for j in jobs] == [masking.run_id()] and jobs[0].config == masking
    keys = [b.key for b in at.button]
    assert "lesson-train-masking" not in keys and "lesson-train-glove-masking" not in keys   # both wait for it
    assert "lesson-train-glove" in keys                                                      # the GloVe side does not
    at = wait_until(at, lambda a: sum(m.label == "Test accuracy" for m in a.metric) == 2)    # step 2 and the exercise
    assert not at.exception
    assert len(resources.queue().jobs()) == len(jobs)


def test_the_exercise_reads_a_present_day_headline_with_both_embeddings(lesson_store):
    for section in ("masking", "glove"):
        ensure_run(lesson_store, section)
    at = open_page("lesson")
    assert not at.exception
    assert at.text_input(key="lesson_glove_headline").value == lesson.EXERCISE_HEADLINE
    learned, glove = (c.value for c in at.main.code[-2:])
    assert glove == "biden warns facebook and twitter over ebola videos on youtube"     # GloVe knows them all
    words = learned.split(" ")
    assert len(words) == 10 and all(words[i] == "[UNK]" for i in (0, 2, 4, 7, 9))   # AG 2004-05 never had them
    text = all_text(at)
    assert "Unknown to it: biden, facebook, twitter" in text and "It knows all 10 words." in text
    assert "**What GloVe adds:** the pretrained network knows biden, facebook, twitter" in text
    steps = sum(lesson_store.info(lesson.section_config(s).run_id()).ok for s in lesson.SECTIONS)
    assert sum(m.label == "Test accuracy" for m in at.metric) == steps + 2       # the steps above, both sides here
    bars = [f for f in charts(at) if f["data"][0]["type"] == "bar"]
    assert len(bars) == 2 and all(len(f["data"][0]["y"]) == 4 for f in bars)   # each side's four probabilities

    # An edited headline: a word from after 2014 is unknown to both, and GloVe adds nothing.
    at.text_input(key="lesson_glove_headline").input("TikTok ban looms").run()
    assert not at.exception
    assert at.main.code[-1].value.startswith("[UNK]")
    assert "in this headline, no word that the learned network lacks" in all_text(at)
    at.text_input(key="lesson_glove_headline").input("   ").run()
    assert not at.exception and not any(f["data"][0]["type"] == "bar" for f in charts(at))


def test_which_words_a_network_knows():
    def tokens(*words):
        return [TokenInfo(w.strip("?"), w, 1 if w.endswith("?") else 5, w.endswith("?")) for w in words]
    learned = lesson.Vocabulary.of(tokens("biden?", "meets", "tiktok?", "biden?"))
    glove = lesson.Vocabulary.of(tokens("biden", "meets", "tiktok?", "biden"))
    assert learned == lesson.Vocabulary("[UNK] meets [UNK] [UNK]", 1, 4, ["biden", "tiktok"])
    assert lesson.newly_known(learned, glove) == ["biden"]


def test_the_step_buttons_lead_to_explore_and_compare(lesson_store):
    run_id = ensure_run(lesson_store, "simple-rnn")
    ensure_run(lesson_store, "masking")
    at = open_page("lesson", {"lang": "nb", "headline": "Oil prices climb"})
    classroom = Classroom(challenge.default_path(lesson_store.root))
    classroom.guess(run_id, "Oil prices climb", at.session_state["session_id"], 0)   # guessed: answer shown
    at.run()
    at.button(key="lesson-explore-simple-rnn").click().run()
    assert not at.exception
    assert at.title[0].value == "Utforsk: se et nettverk lese"
    assert at.selectbox(key="explore_run").value == run_id
    assert at.text_input(key="explore_headline").value == "Oil prices climb"
    at = open_page("lesson", {"headline": "Oil prices climb"})
    at.button(key="lesson-compare").click().run()
    assert not at.exception
    assert at.multiselect(key="compare_runs").value[:2] == [run_id, lesson.section_config("masking").run_id()]


def test_each_person_guesses_before_the_answer_and_sees_the_class_tally(lesson_store):
    run_id = ensure_run(lesson_store, "simple-rnn")
    headline = "Guess me: Federer beats Nadal in Paris"
    at = open_page("lesson", {"headline": headline})
    assert not at.exception
    assert "Your guess first" in all_text(at)
    def answers(at) -> list[str]:
        return [m.value for m in at.markdown if m.value.startswith("It reads the headline as")]
    others = len(answers(at))                          # the later steps' networks (if trained) answer at once
    assert "lesson-explore-simple-rnn" not in [b.key for b in at.button]     # step 1's: not before the guess
    at.button(key="lesson-guess-reveal").click().run()
    assert "Pick a topic first, then reveal." in [w.value for w in at.warning]
    at = reveal(at, 1)
    assert not at.exception
    assert "lesson_guess" not in [r.key for r in at.radio]               # the question is answered
    assert len(answers(at)) == others + 1
    answer = answers(at)[0]                            # step 1's comes first
    predicted = ["World", "Sports", "Business", "Sci/Tech"].index(answer.split("**")[1])
    assert ("You guessed **Sports**: the same as the network." if predicted == 1 else
            f"You guessed **Sports**; the network answers **{answer.split('**')[1]}**.") in all_text(at)
    assert at.button(key="lesson-explore-simple-rnn")

    for topic in (1, 3):                                          # two classmates guess too
        reveal(open_page("lesson", {"headline": headline}), topic)
    at.run()                                                      # the first person, again: one guess each
    assert "lesson_guess" not in [r.key for r in at.radio]
    counts = (0, 2, 0, 1)
    assert Classroom(challenge.default_path(lesson_store.root)).tally(run_id, headline).counts == counts
    expected = ("World: 0 · Sports: 2 · Business: 0 · Sci/Tech: 1 — Guesses in the class on this server: "
                f"3, {counts[predicted]} of them the network's answer.")
    assert expected in [c.value for c in at.caption]


def test_ready_trained_runs_are_offered_first(make_run, run_store, monkeypatch):
    make_run(), make_run(cell="lstm")
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    runs = [r for r in run_store.list() if r.ok]
    oldest = runs[-1]                                   # the store lists newest first
    monkeypatch.setitem(PRESETS, "quick", oldest.config)
    at = open_page("explore")
    assert not at.exception
    box = at.selectbox(key="explore_run")
    assert box.value == oldest.run_id                   # picked by default
    assert box.options[0].startswith("★ Quick run") and oldest.run_id in box.options[0]
    assert not any(o.startswith("★") for o in box.options[1:])
    at = open_page("compare")
    assert at.multiselect(key="compare_runs").value[0] == oldest.run_id
    at = open_page("home")
    assert any(c.value.startswith("Ready-trained: ") and f"of the {len(PRESETS)} presets" in c.value
               for c in at.caption)
