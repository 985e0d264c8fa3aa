"""The class board (rnnlab.challenge): schema, migrations, idempotent submits, the leaderboard,
clearing, CSV export and the Lesson's guess tally."""
from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from rnnlab import challenge
from rnnlab.challenge import Classroom, HeadlineProblem, Tally

WORLD, SPORTS, BUSINESS, SCITECH = range(4)


@pytest.fixture
def board(tmp_path):
    return Classroom(challenge.default_path(tmp_path))


def put(board, headline, intended, predicted, confidence, sid, run="run-a", session="s1"):
    return board.submit(headline, intended, run, predicted, confidence, session, sid)


def test_the_schema_is_created_on_first_use_in_wal_mode(tmp_path, board):
    assert not board.path.exists()
    assert board.schema_version() == challenge.SCHEMA_VERSION == len(challenge.MIGRATIONS)
    assert board.path == tmp_path / ".classroom" / "classroom.sqlite3"     # hidden: not a run folder
    with sqlite3.connect(board.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"submissions", "guesses"} <= tables


def test_an_older_file_is_migrated_with_its_rows_kept(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:       # what version 1 of the app wrote: no guesses table
        for statement in filter(str.strip, challenge.MIGRATIONS[0].split(";")):
            conn.execute(statement)
        conn.execute("INSERT INTO submissions (submission_id, run_id, headline, intended, predicted, confidence,"
                     " session_id, created) VALUES ('old-1', 'run-a', 'Old news', 0, 1, 0.9, 's', 1.0)")
        conn.execute("PRAGMA user_version = 1")
    board = Classroom(path)
    assert [s.headline for s in board.leaderboard("run-a")] == ["Old news"]
    assert board.schema_version() == 2
    assert board.guess("run-a", "Old news", "s", SPORTS)            # the table migration 2 added


def test_a_version_0_file_gets_the_whole_schema(tmp_path):
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()             # an empty database: user_version 0
    board = Classroom(path)
    assert board.schema_version() == challenge.SCHEMA_VERSION
    assert put(board, "Fresh", WORLD, SPORTS, 0.5, "x")


def test_a_file_from_a_newer_app_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {challenge.SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer RNN Lab"):
        Classroom(path).leaderboard("run-a")


def test_a_retried_submit_is_not_a_second_row(board):
    assert put(board, "Stocks rally", SPORTS, BUSINESS, 0.8, "id-1") is True
    assert put(board, "Stocks rally", SPORTS, BUSINESS, 0.8, "id-1") is False
    assert put(board, "Stocks rally", SPORTS, BUSINESS, 0.8, "id-2") is True      # the same text, again
    assert [s.submission_id for s in board.submissions()] == ["id-1", "id-2"]


def test_the_leaderboard_holds_the_networks_most_confident_mistakes_first(board):
    put(board, "Half sure", SPORTS, WORLD, 0.55, "a")
    put(board, "Right answer", WORLD, WORLD, 0.99, "b")                 # not fooled: not on the board
    put(board, "Very sure", BUSINESS, SCITECH, 0.97, "c")
    put(board, "Other run", SPORTS, WORLD, 0.99, "d", run="run-b")
    put(board, "Quite sure", SCITECH, SPORTS, 0.8, "e")
    assert [s.headline for s in board.leaderboard("run-a")] == ["Very sure", "Quite sure", "Half sure"]
    assert [s.headline for s in board.leaderboard("run-a", limit=2)] == ["Very sure", "Quite sure"]
    assert all(s.fooled for s in board.leaderboard("run-a"))
    assert [s.headline for s in board.leaderboard("run-b")] == ["Other run"]


def test_clear_empties_the_board(board):
    put(board, "One", SPORTS, WORLD, 0.6, "a")
    put(board, "Two", SPORTS, WORLD, 0.6, "b", run="run-b")
    assert board.clear() == 2
    assert board.leaderboard("run-a") == [] and board.submissions() == []
    assert put(board, "One", SPORTS, WORLD, 0.6, "a")                 # a fresh board takes it again


def test_csv_export_keeps_commas_quotes_and_unicode(board):
    nasty = 'Kongen sa "nei", ærlig talt: 東京 ☂'
    put(board, nasty, SPORTS, WORLD, 0.875, "a")
    put(board, "Plain", WORLD, WORLD, 0.5, "b")
    data = board.export_csv()
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["submitted_utc", "run", "headline", "intended", "predicted", "confidence", "fooled"]
    assert rows[1][1:] == ["run-a", nasty, "Sports", "World", "0.8750", "yes"]
    assert rows[2][1:] == ["run-a", "Plain", "World", "World", "0.5000", "no"]
    assert len(rows) == 3


def test_the_board_survives_a_restart(tmp_path):
    path = challenge.default_path(tmp_path)
    put(Classroom(path), "Before the restart", SPORTS, WORLD, 0.7, "a")
    Classroom(path).guess("run-a", "Before the restart", "s1", WORLD)
    again = Classroom(path)                      # a new process: nothing cached
    assert [s.headline for s in again.leaderboard("run-a")] == ["Before the restart"]
    assert again.tally("run-a", "Before the restart").counts == (1, 0, 0, 0)
    assert not put(again, "Before the restart", SPORTS, WORLD, 0.7, "a")


@pytest.mark.parametrize("text, reason", [("", "empty"), ("   ", "empty"), ("x" * 201, "too_long"),
                                          ("two\nlines", "control"), ("nul\x00", "control"),
                                          ("bell\x07", "control")])
def test_bad_headlines_are_refused_with_a_reason(board, text, reason):
    with pytest.raises(HeadlineProblem) as info:
        put(board, text, SPORTS, WORLD, 0.7, "a")
    assert info.value.reason == reason
    assert board.submissions() == []


def test_markup_is_kept_as_typed(board):
    put(board, "<script>alert(1)</script> **bold**", SPORTS, WORLD, 0.7, "a")
    assert board.leaderboard("run-a")[0].headline == "<script>alert(1)</script> **bold**"


def test_labels_must_be_topics(board):
    for bad in (-1, 4, True, "1"):
        with pytest.raises(ValueError):
            put(board, "Fine", bad, WORLD, 0.7, "a")


def test_a_lock_that_outlasts_the_retries_is_a_busy_board(board, monkeypatch):
    board.schema_version()
    monkeypatch.setattr(challenge, "BUSY_TIMEOUT_MS", 10)
    monkeypatch.setattr(challenge, "RETRIES", 3)
    holder = sqlite3.connect(board.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")          # another process holds the write lock
    try:
        with pytest.raises(challenge.BoardBusy) as info:
            put(board, "Blocked", SPORTS, WORLD, 0.7, "a")
        assert "locked" not in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert put(board, "Blocked", SPORTS, WORLD, 0.7, "a")


def test_one_guess_per_person_per_headline_and_the_tally(board):
    assert board.guess("run-a", "Oil prices climb", "s1", BUSINESS)
    assert not board.guess("run-a", "Oil prices climb", "s1", WORLD)      # the first guess stands
    board.guess("run-a", "Oil prices climb ", "s2", BUSINESS)            # the same headline, stripped
    board.guess("run-a", "Oil prices climb", "s3", WORLD)
    board.guess("run-b", "Oil prices climb", "s4", SPORTS)               # another network
    board.guess("run-a", "Another headline", "s5", SPORTS)
    tally = board.tally("run-a", "Oil prices climb")
    assert tally == Tally((1, 0, 2, 0)) and tally.total == 3 and tally.matched(BUSINESS) == 2
    assert board.guessed("run-a", "Oil prices climb", "s1") == BUSINESS
    assert board.guessed("run-a", "Oil prices climb", "nobody") is None
    assert board.tally("run-a", "Never guessed").total == 0


def test_a_board_file_removed_while_the_server_runs_starts_afresh(board):
    put(board, "Before", SPORTS, WORLD, 0.7, "a")
    for suffix in ("", "-wal", "-shm"):
        board.path.with_name(board.path.name + suffix).unlink(missing_ok=True)
    assert board.leaderboard("run-a") == []          # the same object: the schema is made again
    assert put(board, "After", SPORTS, WORLD, 0.7, "b")
