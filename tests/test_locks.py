"""Teacher's locked links: the lock list (rnnlab/locks.py) and a locked session on the pages."""
from __future__ import annotations

import pytest

from app_testing import all_text, open_page
from rnnlab.locks import ITEMS, Lock, format_locks, parse_locks


def test_parse_locks_reads_a_short_list_and_names_unknown_items():
    asked = parse_locks(" Run, train,run,,bogus,<script> ")
    assert asked.items == {"run", "train"}
    assert asked.unknown == ("bogus", "<script>")
    assert parse_locks(None).items == frozenset() and parse_locks("").unknown == ()
    assert len(parse_locks(",".join(f"x{i}" for i in range(100))).unknown) <= 5
    assert len(parse_locks("y" * 10_000).unknown[0]) <= 30


def test_format_locks_has_a_fixed_order_and_drops_unknown_items():
    assert format_locks({"train", "run", "nope"}) == "run,train"
    assert format_locks(ITEMS) == "run,headline,lang,train"
    assert format_locks([]) == ""


def test_a_lock_keeps_the_values_the_link_fixed():
    lock, unknown = Lock.from_query({"lock": "run,headline,zzz", "run": "r1", "runs": "a, b,,c",
                                     "headline": "Hello"})
    assert "run" in lock and "train" not in lock and unknown == ("zzz",)
    assert (lock.run, lock.runs, lock.headline) == ("r1", ("a", "b", "c"), "Hello")
    assert Lock.from_query({"lock": "train", "run": " "})[0].run is None


# -- on the pages --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(make_run, run_store):
    import os
    old = os.environ.get("RNNLAB_RUNS_DIR")
    os.environ["RNNLAB_RUNS_DIR"] = str(run_store.root)
    try:
        yield make_run().run_id, make_run(seed=5).run_id
    finally:
        if old is None:
            os.environ.pop("RNNLAB_RUNS_DIR", None)
        else:
            os.environ["RNNLAB_RUNS_DIR"] = old


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


def test_a_locked_link_fixes_the_run_and_headline_and_keeps_the_lock(runs):
    first, second = runs
    at = open_page("explore", {"run": second, "headline": "Oil prices rise", "lock": "run,headline,lang,train"})
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "explore_run"]       # no run picker
    assert second in all_text(at)
    box = at.text_input(key="explore_headline")
    assert box.disabled and box.value == "Oil prices rise"
    assert not [s for s in at.sidebar.selectbox if s.key == "lang_select"]    # no language switch
    assert "Training is off for this link" in all_text(at)
    assert at.query_params["lock"] == "run,headline,lang,train"
    assert "lock=run,headline,lang,train" in at.sidebar.code[0].value       # the share link keeps it
    # Another page of the same session: still locked (the lock is the session's).
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "train_submit"]
    assert "Training is off for this link" in all_text(at)
    at.switch_page("app_pages/explore.py").run()
    assert not [s for s in at.selectbox if s.key == "explore_run"]
    assert at.query_params["run"] == second


def test_an_unlocked_link_has_the_picker(runs):
    at = open_page("explore", {"run": runs[1], "headline": "Oil prices rise"})
    assert at.selectbox(key="explore_run").value == runs[1]
    assert not at.text_input(key="explore_headline").disabled
    assert "Training is off" not in all_text(at)


def test_compare_locked_runs(runs):
    at = open_page("compare", {"runs": ",".join(runs), "lock": "run"})
    assert not at.exception
    assert not [m for m in at.multiselect if m.key == "compare_runs"]
    assert at.query_params["runs"] == ",".join(runs)


def test_unknown_lock_items_are_named_not_a_traceback(runs):
    at = open_page("explore", {"run": runs[0], "lock": "run,fly<b>"})
    assert not at.exception
    assert any("fly" in w.value and "ignored" in w.value for w in at.warning)
    assert not [s for s in at.selectbox if s.key == "explore_run"]


def test_training_buttons_are_hidden_under_lock_train(runs):
    at = open_page("home", {"lock": "train"})
    assert not at.exception
    assert not [b for b in at.button if (b.key or "").startswith("home-train")]
    lesson = open_page("lesson", {"lock": "train"})
    assert not lesson.exception
    assert not [b for b in lesson.button if (b.key or "").startswith("lesson-train")]


def test_a_submit_from_a_locked_session_is_refused(tmp_path, monkeypatch):
    """The refusal is server-side, in the one entry point: not only a hidden button."""
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st
        from rnnlab.config import RunConfig
        from rnnlab.locks import Lock
        from rnnlab_app import resources as res
        from rnnlab_app import trainings, ui
        st.session_state[ui.LOCK_STATE] = Lock(frozenset({"train"}))
        config = RunConfig(units=8, embed_dim=8, train_size=400, epochs=1, batch_size=32, vocab_size=2000,
                           max_length=32, text="title", seed=99)
        job = trainings.submit_training(config)
        st.text(f"job={job} queued={[j.run_id for j in res.queue().jobs() if j.run_id == config.run_id()]}")

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    assert at.text[0].value == "job=None queued=[]"
    assert "Training is off for this link" in at.warning[0].value
    assert "jobs" not in at.session_state


def test_the_teacher_picks_what_the_link_locks(runs):
    at = open_page("explore", {"run": runs[0], "headline": "Oil prices rise"}, teacher=True)
    assert "lock=" not in at.sidebar.code[0].value
    at.checkbox(key="share_lock_run").check().run()
    at.checkbox(key="share_lock_train").check().run()
    link = at.sidebar.code[0].value
    assert f"run={runs[0]}" in link and "lock=run,train" in link
    student = open_page("explore", {"run": runs[0]})
    assert not [c for c in student.sidebar.checkbox if (c.key or "").startswith("share_lock_")]


def test_a_lesson_link_opens_at_a_step(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    at = open_page("lesson", {"headline": "Oil prices rise"})
    assert not at.exception
    assert "#" not in at.sidebar.code[0].value
    at.selectbox(key="share_step_en").set_value("3 · LSTM: a memory with gates").run()
    assert at.sidebar.code[0].value.endswith("/lesson?headline=Oil+prices+rise#step-lstm")
    anchors = {h.proto.anchor for h in at.header}
    assert {"step-simple-rnn", "step-masking", "step-lstm", "step-bilstm", "step-glove"} <= anchors


def test_hostile_lock_values_and_locked_headlines_never_break_the_page(runs):
    """Every text of tests/fixtures/nasty_inputs.json as the lock list, and as a locked headline."""
    import json
    from pathlib import Path
    doc = json.loads((Path(__file__).parent / "fixtures" / "nasty_inputs.json").read_text(encoding="utf-8"))
    texts = {e["name"]: e["text"] * e.get("repeat", 1) for e in doc["inputs"]}
    for text in texts.values():
        lock = parse_locks(text)
        assert lock.items <= set(ITEMS) and len(lock.unknown) <= 5 and all(len(u) <= 30 for u in lock.unknown)
    for name in ("script_tag", "img_onerror", "markdown_javascript_link", "bidi_override", "control_characters",
                 "latex_inline", "format_string", "long_10000_chars"):
        text = texts[name]
        at = open_page("explore", {"run": runs[0], "headline": text[:500], "lock": f"headline,{text[:200]}"})
        assert not at.exception, name
        assert at.text_input(key="explore_headline").value == text[:500]
