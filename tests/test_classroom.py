"""Many people, one server: several sessions use the app while a training runs.

AppTest sessions in one process share the server's resources (``st.cache_resource``):
one training queue, one run store, one loaded model per run, as browser sessions on one
``streamlit run`` server do. The teacher starts a training from the Lesson page; five
students explore a headline meanwhile; a second student sees the teacher's training
on the Lesson and Train pages and, asking for the same settings, joins it instead of
training again; a third asks for other settings and waits in the queue.

What the second student sees is written to ``test-output/classroom/second-session.txt``.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from rnnlab.config import RunConfig
from rnnlab.jobs import RUNNING
from rnnlab_app import lesson, resources
from app_testing import TINY, all_text, fill_train_form, open_page
from rnnlab_app.ui import esc

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "test-output" / "classroom"
# Long enough to still be training when the test is done with it (then it is stopped).
LONG = RunConfig(**{**TINY, "text": "title", "train_size": 4000, "epochs": 30, "batch_size": 16, "seed": 31})
OTHER = RunConfig(**{**TINY, "text": "title", "seed": 32})
HEADLINES = ("Federer wins his third Wimbledon title", "Stocks slide as oil prices hit a record high",
             "NASA probe sends back first pictures of Saturn's moon", "Rebels seize the capital as talks collapse",
             "Apple unveils a faster iPod with a colour screen")


@pytest.fixture
def classroom(make_run, run_store, monkeypatch):
    """A server with one trained run to explore; step 1 of the lesson trains LONG."""
    run = make_run()
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    original = lesson.section_config
    monkeypatch.setattr(lesson, "section_config", lambda s: LONG if s == "simple-rnn" else original(s))
    yield run
    queue = resources.queue()
    for job in queue.jobs():
        if job.active and job.run_id in (LONG.run_id(), OTHER.run_id()):
            queue.stop(job.job_id, keep=False)
    for job in queue.jobs():
        if job.run_id in (LONG.run_id(), OTHER.run_id()):
            queue.wait(job.job_id, timeout=60)


def form_values(config: RunConfig) -> dict:
    """Every field of the config, as the Train form takes them."""
    return config.to_dict()


def _predicted(at) -> str | None:
    return next((m.value for m in at.metric if m.label == "Predicted topic"), None)


def test_students_explore_while_the_teacher_trains(classroom):
    run = classroom
    queue = resources.queue()
    warm = open_page("explore", {"run": run.run_id, "headline": "A warm-up headline about markets"})
    t0 = time.monotonic()
    open_page("explore", {"run": run.run_id, "headline": "Markets rally as oil falls"})
    idle_seconds = time.monotonic() - t0
    assert _predicted(warm)

    # The teacher starts step 1 of the lesson.
    teacher = open_page("lesson")
    teacher.button(key="lesson-train-simple-rnn").click().run()
    assert not teacher.exception
    job_id = teacher.session_state["jobs"][-1]
    job = queue.get(job_id)                               # a snapshot from the compute worker
    assert job.run_id == LONG.run_id()
    deadline = time.monotonic() + 60
    while not (job.state == RUNNING and job.progress.batch > 0):
        assert time.monotonic() < deadline and job.active, f"training did not start: {job.state} {job.error}"
        time.sleep(0.2)
        job = queue.get(job_id)
    before = job.progress.samples_seen

    # Five students explore a headline each while it trains.
    seconds = []
    for headline in HEADLINES:
        t0 = time.monotonic()
        student = open_page("explore", {"run": run.run_id, "headline": headline})
        seconds.append(time.monotonic() - t0)
        assert not student.exception
        assert _predicted(student) in ("World", "Sports", "Business", "Sci/Tech")
        assert student.text_input(key="explore_headline").value == headline
    assert max(seconds) < 30, seconds                     # nobody's page waits for the training
    job = queue.get(job_id)
    assert job.state == RUNNING and job.progress.samples_seen > before   # and it kept training

    # A second student opens the lesson: step 1 is being trained by someone else.
    second_lesson = open_page("lesson")
    assert not second_lesson.exception
    lesson_text = all_text(second_lesson)
    assert "Someone else on this server started this training" in lesson_text
    assert "lesson-train-simple-rnn" not in [b.key for b in second_lesson.button]
    assert "lesson-train-masking" in [b.key for b in second_lesson.button]

    # ... and the Train page, where the teacher's training is listed with its progress ...
    second = open_page("train")
    table = next(d.value for d in second.dataframe if "State" in d.value.columns)
    row = table[table["Run"] == LONG.run_id()]
    assert list(row["State"]) == ["training"] and 0 < float(row["Progress"].iloc[0]) < 1
    # ... and asks for exactly the same settings: it joins the running training.
    fill_train_form(second, **form_values(LONG))
    second.button(key="train_submit").click().run()
    assert not second.exception
    assert second.session_state["jobs"][-1] == job.job_id
    assert f"Training {esc(LONG.run_id())}" in [s.value for s in second.subheader]    # its live progress
    assert sum(j.run_id == LONG.run_id() for j in queue.jobs()) == 1
    train_text = all_text(second)

    # A third asks for other settings: it waits its turn (one training at a time on a CPU).
    third = open_page("train")
    fill_train_form(third, **form_values(OTHER))
    third.button(key="train_submit").click().run()
    assert any("number 1 in the queue" in i.value for i in third.info)
    assert queue.get(third.session_state["jobs"][-1]).state == "queued"

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "second-session.txt").write_text(
        f"Explore page, one session, no training running: {idle_seconds:.1f} s\n"
        f"Explore page, five sessions while one training runs: "
        f"{', '.join(f'{s:.1f}' for s in seconds)} s\n"
        f"Training progress meanwhile: {before} -> {job.progress.samples_seen} texts read\n\n"
        f"== Lesson page of a second session while the first one trains step 1 ==\n{lesson_text}\n\n"
        f"== Train page of that second session after asking for the same settings ==\n{train_text}\n\n"
        f"== A third session asking for other settings ==\n{all_text(third)}\n", encoding="utf-8")
