"""The run store: one folder per trained run.

``<store>/<run_id>/`` holds ``model.keras``, ``config.json``, ``history.json`` and
``metrics.json``. A run is written into a hidden temporary folder beside it and
renamed into place only when every file is complete, so a crash (even SIGKILL while
saving) never leaves a folder that looks like a whole run. Run ids are checked
against a strict pattern, so nothing outside the store is ever read or written.
Models are loaded with Keras' safe mode.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import ConfigError, RunConfig

RUN_FILES = ("model.keras", "config.json", "history.json", "metrics.json")
_RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_TMP_PREFIX = ".tmp-"
_TRASH_PREFIX = ".trash-"

if TYPE_CHECKING:  # Keras is imported only where a model is loaded: pages list runs without it
    import keras


class RunStoreError(ValueError):
    """A run id is invalid, a run is missing, or a run is damaged."""


def default_store_dir() -> Path:
    return Path(os.environ.get("RNNLAB_RUNS_DIR") or Path.cwd() / "runs")


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise RunStoreError(f"invalid run id {run_id!r}: use lowercase letters, digits, '-' and '_' "
                            "(at most 80 characters)")
    return run_id


@dataclass
class RunInfo:
    """What the store knows of a run without loading its model."""

    run_id: str
    path: Path
    config: RunConfig | None = None
    metrics: dict = field(default_factory=dict)
    damaged: str = ""          # empty when the run is whole, else what is wrong

    @property
    def ok(self) -> bool:
        return not self.damaged


@dataclass
class LoadedRun:
    run_id: str
    config: RunConfig
    model: keras.Model
    history: dict
    metrics: dict
    path: Path


def _write_json(path: Path, data) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True, allow_nan=False, default=_json_default)
        f.flush()
        os.fsync(f.fileno())


def _json_default(value):
    if hasattr(value, "item"):          # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _read_json(path: Path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class RunStore:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_store_dir()

    def path(self, run_id: str) -> Path:
        return self.root / check_run_id(run_id)

    def stamp(self, run_id: str) -> int:
        """A version of the run for cache keys: the newest mtime of its model and config.

        Not the folder's mtime: writing the run's own ``pca.json`` must not make it new.
        """
        path = self.path(run_id)
        try:
            return max((path / name).stat().st_mtime_ns for name in ("model.keras", "config.json"))
        except OSError:
            raise RunStoreError(f"no run {run_id!r} in {self.root}") from None

    def exists(self, run_id: str) -> bool:
        return self.path(run_id).is_dir()

    # -- writing ---------------------------------------------------------------------
    def save(self, run_id: str, model: keras.Model, config: RunConfig, history: dict, metrics: dict) -> Path:
        """Write a run atomically; an existing run of that id is replaced."""
        final = self.path(run_id)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f"{_TMP_PREFIX}{run_id}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            model.save(tmp / "model.keras")
            _write_json(tmp / "history.json", history)
            _write_json(tmp / "metrics.json", metrics)
            _write_json(tmp / "config.json", config.to_dict())   # last: its presence marks completion
            _fsync_dir(tmp)
            self._install(tmp, final)
            _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def _install(self, tmp: Path, final: Path) -> None:
        """Rename a complete run into place, moving an older one of the same id aside.

        Several processes (app servers sharing one store) may install the same id at
        once: a rename onto a non-empty folder fails, so the loser moves the winner's
        folder aside and tries again. Each folder that ends up in place is whole.
        """
        for _ in range(10):
            try:
                os.rename(tmp, final)
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
            trash = self.root / f"{_TRASH_PREFIX}{final.name}-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(final, trash)
            except FileNotFoundError:
                continue
            shutil.rmtree(trash, ignore_errors=True)
        raise RunStoreError(f"could not replace run {final.name!r}: other processes keep writing it")

    def delete(self, run_id: str) -> None:
        path = self.path(run_id)
        if not path.exists():
            raise RunStoreError(f"no run {run_id!r} in {self.root}")
        trash = self.root / f"{_TRASH_PREFIX}{run_id}-{uuid.uuid4().hex[:8]}"
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def clean_leftovers(self) -> int:
        """Remove temporary folders left by crashed saves; returns how many."""
        if not self.root.is_dir():
            return 0
        count = 0
        for entry in self.root.iterdir():
            if entry.name.startswith((_TMP_PREFIX, _TRASH_PREFIX)) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                count += 1
        return count

    # -- reading ---------------------------------------------------------------------
    def info(self, run_id: str) -> RunInfo:
        path = self.path(run_id)
        info = RunInfo(run_id, path)
        if not path.is_dir():
            info.damaged = "no such run"
            return info
        missing = [name for name in RUN_FILES if not (path / name).is_file()]
        if missing:
            info.damaged = f"missing {', '.join(missing)}"
            return info
        try:
            info.config = RunConfig.from_dict(_read_json(path / "config.json"))
        except (OSError, ValueError, TypeError, ConfigError) as exc:
            info.damaged = f"config.json unreadable: {exc}"
            return info
        try:
            info.metrics = _read_json(path / "metrics.json")
            _read_json(path / "history.json")
        except (OSError, ValueError) as exc:
            info.damaged = f"metrics or history unreadable: {exc}"
        return info

    def list(self) -> list[RunInfo]:
        """Every run folder, whole or damaged, newest first (hidden temp folders skipped)."""
        if not self.root.is_dir():
            return []
        runs = []
        for entry in self.root.iterdir():
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            if not _RUN_ID.match(entry.name):
                runs.append(RunInfo(entry.name, entry, damaged="folder name is not a valid run id"))
                continue
            runs.append(self.info(entry.name))
        runs.sort(key=lambda r: r.path.stat().st_mtime if r.path.exists() else 0, reverse=True)
        return runs

    def load(self, run_id: str) -> LoadedRun:
        info = self.info(run_id)
        if info.damaged == "no such run":
            raise RunStoreError(f"no run {run_id!r} in {self.root}")
        if info.damaged:
            raise RunStoreError(f"run {run_id!r} is damaged: {info.damaged}")
        try:
            # Importing registers rnnlab's serializable layers and functions.
            from . import models  # noqa: F401
            import keras
            model = keras.saving.load_model(info.path / "model.keras", safe_mode=True, compile=False)
            history = _read_json(info.path / "history.json")
        except Exception as exc:  # a truncated zip, a foreign file: report, don't crash
            raise RunStoreError(f"run {run_id!r} is damaged: model.keras cannot be loaded "
                                f"({type(exc).__name__}: {str(exc)[:200]})") from None
        return LoadedRun(run_id, info.config, model, history, info.metrics, info.path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
