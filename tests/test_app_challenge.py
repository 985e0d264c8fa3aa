"""AppTest: the Challenge page, where students try to fool a network and the class board
lists the headlines that did."""
from __future__ import annotations

import pytest

from rnnlab import challenge
from rnnlab.challenge import Classroom
from app_testing import all_text, open_page

NASTY = "<script>alert(1)</script> **bold** Oil, \"gold\" & stocks"


@pytest.fixture
def board(runs, run_store):
    """The tiny runs' store with an empty class board."""
    classroom = Classroom(challenge.default_path(run_store.root))
    classroom.clear()
    return classroom


def submit(at, headline: str, intended: int | None):
    at.text_input(key="challenge_headline").input(headline)
    at.radio(key="challenge_intended").set_value(intended)
    return next(b for b in at.button if b.label in ("Submit", "Send inn")).click().run()


def fool(at, headline: str):
    """Submit ``headline`` meaning a topic the network does not answer (two tries at most)."""
    at = submit(at, headline, 0)
    if at.session_state["challenge_last"]["predicted"] == 0:
        at = submit(at, headline, 1)
    return at


def test_a_headline_that_fools_the_network_goes_on_the_board_as_text(board, runs):
    at = open_page("challenge")
    assert not at.exception
    assert at.title[0].value == "Fool the network: a class challenge"
    assert at.selectbox(key="challenge_run").value == runs[1].run_id        # the newest run (no quick run)
    assert "No headline has fooled this network yet" in all_text(at)
    at = fool(at, NASTY)
    assert not at.exception
    assert "You fooled it!" in all_text(at)
    shown = at.dataframe[0].value
    assert list(shown["Headline"]) == [NASTY]                          # as typed: a dataframe cell
    assert NASTY in [t.value for t in at.text]                          # the verdict shows it with st.text
    for element in (*at.markdown, *at.success, *at.info, *at.caption):
        assert "alert(1)" not in element.value and "bold" not in element.value
    last = at.session_state["challenge_last"]
    entry = board.leaderboard(runs[1].run_id)[0]
    assert (entry.headline, entry.intended, entry.predicted) == (NASTY, last["intended"], last["predicted"])
    assert entry.confidence == pytest.approx(last["confidence"])
    assert shown["How sure"][0].endswith("%")
    at.selectbox(key="challenge_run").set_value(runs[0].run_id).run()     # another network, its own board
    assert not at.dataframe and "No headline has fooled this network yet" in all_text(at)


def test_a_resent_submission_is_stored_once(board, runs):
    at = open_page("challenge")
    for _ in range(2):          # the same pending id twice: as if the first answer never arrived
        at.session_state["challenge_submission_id"] = "resent-1"
        at = submit(at, "Stocks rally as oil falls", 2)
    assert [s.submission_id for s in board.submissions()] == ["resent-1"]
    at = submit(at, "Stocks rally as oil falls", 2)                  # a new click is a new submission
    assert len(board.submissions()) == 2


@pytest.mark.parametrize("headline, intended, message", [
    ("   ", 1, "Type a headline first."),
    ("x" * 201, 1, "at most 200 characters"),
    ("two\tcolumns", 1, "control characters"),
    ("A fine headline", None, "Pick the topic your headline is about"),
])
def test_bad_input_gets_a_clear_message(board, headline, intended, message):
    at = submit(open_page("challenge"), headline, intended)
    assert not at.exception
    assert message in " ".join(w.value for w in at.warning)
    assert board.submissions() == []


def test_the_challenge_in_norwegian(board, runs):
    board.submit("Kongen åpner Stortinget", 1, runs[1].run_id, 0, 0.875, "s", "nb-1")
    at = open_page("challenge", {"lang": "nb"})
    assert not at.exception
    assert at.title[0].value == "Lur nettverket: en utfordring for klassen"
    assert list(at.dataframe[0].value.columns) == ["#", "Overskrift", "Ment", "Nettverket sa",
                                                   "Hvor sikkert"]
    assert at.dataframe[0].value.iloc[0].tolist()[1:] == ["Kongen åpner Stortinget", "Sport", "Verden",
                                                          "88\xa0%"]


def test_only_the_teacher_exports_and_clears(board, runs):
    at = fool(open_page("challenge"), 'Kongen sa "nei", ærlig talt')
    assert not at.exception
    assert "challenge-clear" not in [b.key for b in at.button]
    assert not at.get("download_button")

    at = open_page("challenge", teacher=True)           # the teacher's own session
    csv = board.export_csv().decode("utf-8-sig")
    assert 'Kongen sa ""nei"", ærlig talt' in csv
    assert [d.proto.label for d in at.get("download_button")] == ["Download the board as CSV"]
    assert at.button(key="challenge-clear").disabled                  # not before the confirmation
    at.checkbox(key="challenge-clear-sure").check().run()
    at.button(key="challenge-clear").click().run()
    assert not at.exception
    assert board.submissions() == []
    assert not at.dataframe and "No headline has fooled this network yet" in all_text(at)
