"""The classroom's shared board: headlines students submit to fool a network, and the
guesses they make on the Lesson page before the network's answer is revealed.

No Streamlit here. Everything lives in one SQLite file in the run store
(:func:`default_path`), shared by every session and every app process of a class
(``rnnlab serve --workers N``):

- WAL mode, so readers never wait for a writer; a ``busy_timeout`` plus a retry with
  backoff on ``database is locked`` (several processes may write at once); every
  operation opens its own short-lived connection (safe across threads and forks) and
  runs one short transaction. A board that stays locked raises :class:`BoardBusy`,
  whose message is for people; SQLite's own never reaches a page.
- The schema is created on first use and migrated in order (:data:`MIGRATIONS`, the
  version kept in ``PRAGMA user_version``), so a file written by an older version
  of the app is upgraded in place, its rows kept.
- A submission is keyed by an id the client makes before sending it: a retried submit
  is ignored (``UNIQUE`` + ``INSERT OR IGNORE``), never a second row. A guess is keyed
  by run, headline and session: one guess per person per headline.

The database lives in a hidden folder of the store (``.classroom/``), not beside the
runs: SQLite creates and deletes its ``-wal`` and ``-shm`` files as connections come and
go, and the app re-reads the run list whenever the store folder itself changes.
"""
from __future__ import annotations

import csv
import hashlib
import io
import random
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TypeVar

from .config import CLASS_NAMES

DB_FOLDER = ".classroom"
DB_NAME = "classroom.sqlite3"
MAX_HEADLINE_CHARS = 200          # a headline, not an article: the board shows it whole
BUSY_TIMEOUT_MS = 5_000           # SQLite's own wait for a lock, per statement
RETRIES = 8                       # then ours, with backoff, on top of it
T = TypeVar("T")

# Each entry upgrades the schema by one version; never edit one that has shipped, append.
MIGRATIONS: tuple[str, ...] = (
    # 1: the challenge's submissions
    """
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        submission_id TEXT NOT NULL UNIQUE,
        run_id TEXT NOT NULL,
        headline TEXT NOT NULL,
        intended INTEGER NOT NULL,
        predicted INTEGER NOT NULL,
        confidence REAL NOT NULL,
        session_id TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX submissions_by_run ON submissions (run_id, confidence DESC);
    """,
    # 2: the Lesson's predict-then-reveal guesses
    """
    CREATE TABLE guesses (
        run_id TEXT NOT NULL,
        headline_key TEXT NOT NULL,
        session_id TEXT NOT NULL,
        guess INTEGER NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (run_id, headline_key, session_id)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class BoardBusy(RuntimeError):
    """The database stayed locked through every retry (a very busy or stuck server)."""


class HeadlineProblem(ValueError):
    """A typed headline the board does not take; ``reason`` is "empty", "too_long" or "control"."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def check_headline(text: str) -> str:
    """The headline, stripped; raises :class:`HeadlineProblem` when it is empty, longer
    than :data:`MAX_HEADLINE_CHARS` or holds control characters (newlines, tabs, NUL, ...)."""
    text = (text or "").strip()
    if not text:
        raise HeadlineProblem("empty", "the headline is empty")
    if len(text) > MAX_HEADLINE_CHARS:
        raise HeadlineProblem("too_long", f"the headline is {len(text)} characters long; at most "
                                          f"{MAX_HEADLINE_CHARS} are taken")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise HeadlineProblem("control", "the headline holds control characters")
    return text


def check_label(label: int) -> int:
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < len(CLASS_NAMES):
        raise ValueError(f"a topic is 0..{len(CLASS_NAMES) - 1}, got {label!r}")
    return label


def headline_key(text: str) -> str:
    """The key a headline's guesses are kept under: any length, any characters."""
    return hashlib.sha256(text.strip().encode("utf-8", "surrogatepass")).hexdigest()


def default_path(store_root: str | Path) -> Path:
    return Path(store_root) / DB_FOLDER / DB_NAME


@dataclass(frozen=True)
class Submission:
    """One row of the board: a headline, the topic its author meant and what the network said."""

    submission_id: str
    run_id: str
    headline: str
    intended: int
    predicted: int
    confidence: float
    created: float

    @property
    def fooled(self) -> bool:
        return self.predicted != self.intended


@dataclass(frozen=True)
class Tally:
    """How many people guessed each topic for one headline."""

    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def matched(self, predicted: int) -> int:
        """How many guessed what the network answered."""
        return self.counts[predicted]


def _locked(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc) or "busy" in str(exc)


def _retrying(operation: Callable[[], T]) -> T:
    """``operation()``, run again with growing, jittered pauses while the database is locked."""
    delay = 0.02
    for attempt in range(RETRIES):
        try:
            return operation()
        except sqlite3.OperationalError as exc:
            if not _locked(exc):
                raise
            if attempt == RETRIES - 1:
                raise BoardBusy("the class board is busy; try again in a moment") from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)
    raise AssertionError("unreachable")


class Classroom:
    """The board in one SQLite file; cheap to make, safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ready = False

    # -- connections ---------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: every write below opens its own BEGIN IMMEDIATE transaction.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """``operation(conn)`` on a fresh connection (the schema brought up to date first;
        again when the file was removed since, so a deleted board starts afresh)."""
        self._ensure_schema()

        def once():
            conn = self._connect()
            try:
                return operation(conn)
            finally:
                conn.close()
        try:
            return _retrying(once)
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            self._ready = False
            self._ensure_schema()
            return _retrying(once)

    @staticmethod
    def _write(conn: sqlite3.Connection, statements: Callable[[sqlite3.Connection], T]) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = statements(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)

        def migrate():
            conn = self._connect()
            try:
                if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                    raise sqlite3.OperationalError("database is locked (cannot switch to WAL yet)")
                self._write(conn, self._migrate)
            finally:
                conn.close()
        _retrying(migrate)
        self._ready = True

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """Apply the migrations this file lacks (inside the caller's write transaction, so
        two processes opening a new file at once migrate it once)."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"the class board was written by a newer RNN Lab (schema {version}, "
                               f"this one knows {SCHEMA_VERSION})")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in filter(str.strip, script.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")

    def schema_version(self) -> int:
        return self._run(lambda conn: conn.execute("PRAGMA user_version").fetchone()[0])

    # -- the challenge -------------------------------------------------------------------
    def submit(self, headline: str, intended_label: int, run_id: str, predicted_label: int, confidence: float,
               session_id: str, submission_id: str) -> bool:
        """Put a headline on the board; False when this submission id is there already
        (a retried submit). The headline must pass :func:`check_headline`."""
        row = (submission_id, run_id, check_headline(headline), check_label(intended_label),
               check_label(predicted_label), float(confidence), session_id, time.time())
        if not submission_id:
            raise ValueError("a submission needs an id")
        return self._run(lambda conn: self._write(conn, lambda c: c.execute(
            "INSERT OR IGNORE INTO submissions (submission_id, run_id, headline, intended, predicted, confidence,"
            " session_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row).rowcount == 1))

    def leaderboard(self, run_id: str, limit: int = 20) -> list[Submission]:
        """The headlines that fooled ``run_id``, the network's most confident mistakes first."""
        rows = self._run(lambda conn: conn.execute(
            f"SELECT {_COLUMNS} FROM submissions WHERE run_id = ? AND predicted != intended"
            " ORDER BY confidence DESC, created ASC LIMIT ?", (run_id, int(limit))).fetchall())
        return [Submission(*row) for row in rows]

    def submissions(self) -> list[Submission]:
        """Every submission, oldest first."""
        rows = self._run(lambda conn: conn.execute(
            f"SELECT {_COLUMNS} FROM submissions ORDER BY created ASC, id ASC").fetchall())
        return [Submission(*row) for row in rows]

    def clear(self) -> int:
        """Empty the board (every run's); returns how many submissions went."""
        return self._run(lambda conn: self._write(conn, lambda c: c.execute("DELETE FROM submissions").rowcount))

    def export_csv(self) -> bytes:
        """Every submission as UTF-8 CSV (with a byte order mark, so spreadsheets read it as UTF-8)."""
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(["submitted_utc", "run", "headline", "intended", "predicted", "confidence", "fooled"])
        for s in self.submissions():
            writer.writerow([datetime.fromtimestamp(s.created, timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                             s.run_id, s.headline, CLASS_NAMES[s.intended], CLASS_NAMES[s.predicted],
                             f"{s.confidence:.4f}", "yes" if s.fooled else "no"])
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    # -- the Lesson's guesses ---------------------------------------------------------------
    def guess(self, run_id: str, headline: str, session_id: str, label: int) -> bool:
        """Record a person's guess for a headline; False when they had guessed it already
        (the first guess stands)."""
        row = (run_id, headline_key(headline), session_id, check_label(label), time.time())
        return self._run(lambda conn: self._write(conn, lambda c: c.execute(
            "INSERT OR IGNORE INTO guesses (run_id, headline_key, session_id, guess, created)"
            " VALUES (?, ?, ?, ?, ?)", row).rowcount == 1))

    def guessed(self, run_id: str, headline: str, session_id: str) -> int | None:
        """This person's guess for the headline, or None."""
        row = self._run(lambda conn: conn.execute(
            "SELECT guess FROM guesses WHERE run_id = ? AND headline_key = ? AND session_id = ?",
            (run_id, headline_key(headline), session_id)).fetchone())
        return None if row is None else row[0]

    def tally(self, run_id: str, headline: str) -> Tally:
        """How many guessed each topic for this run and headline, on this server."""
        rows = self._run(lambda conn: conn.execute(
            "SELECT guess, COUNT(*) FROM guesses WHERE run_id = ? AND headline_key = ? GROUP BY guess",
            (run_id, headline_key(headline))).fetchall())
        counts = dict(rows)
        return Tally(tuple(counts.get(i, 0) for i in range(len(CLASS_NAMES))))


_COLUMNS = "submission_id, run_id, headline, intended, predicted, confidence, created"
