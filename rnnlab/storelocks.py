"""Locks shared by every process that uses one run store.

Files in ``<store>/.locks/``: ``slot-<i>.lock`` is held by a process while it trains
(at most ``RNNLAB_MAX_TRAININGS`` slots, so the limit holds across all app processes),
``run-<run_id>.lock`` while a run is being trained (so another process asked for the
same settings waits for that run instead of training it again). They are ``flock``
locks: the kernel releases them when their holder ends, even on SIGKILL, so a crashed
process never keeps a slot. Two threads of one process exclude each other too (each
opens its own file description). The folder's name starts with a dot, so the run store
does not list it as a run.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCKS_DIR = ".locks"


class StoreLock:
    """A held lock; :meth:`release` (or the end of the process) frees it."""

    def __init__(self, fd: int):
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)          # closing the only descriptor drops the flock
            self._fd = -1


def _try_lock(path: Path) -> StoreLock | None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return StoreLock(fd)


def try_slot(store_root: Path, slots: int) -> StoreLock | None:
    """One of the store's ``slots`` training slots, or None when all are taken."""
    for i in range(slots):
        lock = _try_lock(Path(store_root) / LOCKS_DIR / f"slot-{i}.lock")
        if lock is not None:
            return lock
    return None


def try_run(store_root: Path, run_id: str) -> StoreLock | None:
    """The right to train ``run_id`` (a checked run id), or None while another holder trains it."""
    return _try_lock(Path(store_root) / LOCKS_DIR / f"run-{run_id}.lock")
