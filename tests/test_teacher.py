"""Teacher mode: only the teacher (the server's own machine, or the password) deletes runs."""
from __future__ import annotations

import pytest

from app_testing import TINY, all_text, open_page
from rnnlab import teacher_access as ta
from rnnlab.config import RunConfig
from rnnlab.runs import RunStore
from rnnlab.training import train


@pytest.mark.parametrize("peer, forwarded, expected", [
    ("127.0.0.1", None, "127.0.0.1"),
    ("10.0.0.5", None, "10.0.0.5"),
    ("10.0.0.5", "127.0.0.1", "10.0.0.5"),            # a student reaching Streamlit directly cannot claim it
    ("127.0.0.1", "10.0.0.5", "10.0.0.5"),            # behind nginx: the address nginx saw
    ("127.0.0.1", "127.0.0.1, 10.0.0.5", "10.0.0.5"),  # a student's own header only adds entries in front
    ("::1", "127.0.0.1", "127.0.0.1"),                # the teacher at the server, through nginx
    (None, None, None),
])
def test_client_address(peer, forwarded, expected):
    assert ta.client_address(peer, forwarded) == expected


def test_the_server_machine_is_the_teacher_unless_switched_off():
    assert ta.on_server_machine("127.0.0.1", None, environ={})
    assert not ta.on_server_machine("127.0.0.1", "192.168.1.20", environ={})
    assert not ta.on_server_machine("127.0.0.1", None, environ={ta.LOCAL_ENV: "0"})
    assert not ta.on_server_machine("not an address", None, environ={})


def test_password_must_match_and_never_be_empty():
    env = {ta.PASSWORD_ENV: "kråke-42"}
    assert ta.password_matches("kråke-42", env)
    assert not ta.password_matches("kråke-4", env)
    assert not ta.password_matches("", {})
    assert not ta.password_matches("", {ta.PASSWORD_ENV: ""})


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(tmp_path / "runs"))
    return RunStore(tmp_path / "runs")


@pytest.fixture
def one_run(store):
    config = RunConfig(**TINY, text="title", seed=11)
    store.save_result(train(config))
    return config.run_id()


def test_a_student_cannot_delete(one_run):
    at = open_page("train")
    at.selectbox(key="train_pick").set_value(one_run).run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "delete-run"]
    assert "Only the teacher can delete runs" in all_text(at)


def test_the_password_opens_teacher_mode(one_run, store, monkeypatch):
    monkeypatch.setenv(ta.PASSWORD_ENV, "secret-7")
    at = open_page("train")
    at.text_input(key="teacher_password").set_value("wrong").run()
    assert "not the teacher's password" in all_text(at)
    assert not [b for b in at.button if b.key == "delete-run"]
    at.text_input(key="teacher_password").set_value("secret-7").run()
    assert "Teacher mode is on" in all_text(at)
    at.selectbox(key="train_pick").set_value(one_run).run()
    at.button(key="delete-run").click().run()
    assert not at.exception and not store.exists(one_run)


def test_no_password_box_when_the_server_has_none(monkeypatch):
    monkeypatch.delenv(ta.PASSWORD_ENV, raising=False)
    at = open_page("home")
    assert not [t for t in at.text_input if t.key == "teacher_password"]
