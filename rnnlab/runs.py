"""The run store: one folder per trained run.

``<store>/<run_id>/`` holds ``model.keras``, ``config.json``, ``history.json`` and
``metrics.json`` (and, for runs trained since the training replay, ``snapshots.npz``:
:mod:`rnnlab.snapshots`). A run is written into a hidden temporary folder beside it and
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
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import ConfigError, RunConfig
from .run_checks import file_size_problem, history_problem, metrics_problem, model_zip_problem
from .snapshots import FILE as SNAPSHOTS_FILE, SnapshotError, Snapshots, load as load_snapshots, save as save_snapshots

RUN_FILES = ("model.keras", "config.json", "history.json", "metrics.json")
_RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_TMP_PREFIX = ".tmp-"
_TRASH_PREFIX = ".trash-"
# Temporary folders older than this are leftovers of a crash (a save takes seconds); younger
# ones may be another server's save in progress, so automatic cleaning leaves them.
LEFTOVER_AGE_S = 3600.0

if TYPE_CHECKING:  # Keras is imported only where a model is loaded: pages list runs without it
    import keras

    from .training import TrainResult

PARTIAL_SUFFIX = "-partial"


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

    @property
    def finished(self) -> bool:
        """Whole and trained to its end: what a request for its config may reuse."""
        return self.ok and not self.metrics.get("stopped_early") and self.metrics.get("samples_seen", 1) > 0


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
    """A run's JSON file, parsed; ValueError for a file too large or nested too deeply."""
    problem = file_size_problem(path)
    if problem:
        raise ValueError(problem)
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except RecursionError:
            raise ValueError(f"{path.name} is nested too deeply") from None


def _remove(path: Path) -> bool:
    """Remove a file, a link (never what it points to) or a folder; whether it is gone."""
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path)
    except OSError:
        pass
    return not os.path.lexists(path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:          # deleted meanwhile, or a dangling link
        return 0.0


class RunStore:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_store_dir()

    def path(self, run_id: str) -> Path:
        return self.root / check_run_id(run_id)

    def exists(self, run_id: str) -> bool:
        return self.path(run_id).is_dir()

    # -- writing ---------------------------------------------------------------------
    def save(self, run_id: str, model: keras.Model, config: RunConfig, history: dict, metrics: dict,
             snapshots: Snapshots | None = None) -> Path:
        """Write a run atomically; an existing run of that id is replaced."""
        final = self.path(run_id)
        self.root.mkdir(parents=True, exist_ok=True)
        self.clean_leftovers(older_than_s=LEFTOVER_AGE_S)
        tmp = self.root / f"{_TMP_PREFIX}{run_id}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            model.save(tmp / "model.keras")
            _write_json(tmp / "history.json", history)
            _write_json(tmp / "metrics.json", metrics)
            if snapshots is not None:
                save_snapshots(snapshots, tmp / SNAPSHOTS_FILE)
            _write_json(tmp / "config.json", config.to_dict())   # last: its presence marks completion
            _fsync_dir(tmp)
            self._install(tmp, final)
            _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def save_result(self, result: TrainResult, run_id: str | None = None) -> str:
        """Save a training's result; the run id it was saved under.

        The id defaults to the config's, with ``-partial`` when the training stopped early:
        a stopped training is not its config's run, so it never takes that run's place.
        """
        if run_id is None:
            run_id = result.config.run_id() + (PARTIAL_SUFFIX if result.stopped_early else "")
        self.save(run_id, result.model, result.config, result.history, result.metrics,
                  getattr(result, "snapshots", None))
        return run_id

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
        """Delete a run, or a folder :meth:`list` reported under a name that is no run id.

        A run that is a link to a folder elsewhere loses only its link. Every failure (a
        read-only store, no permission, someone else deleting it first) is a RunStoreError.
        """
        path = self._entry(run_id)
        trash = self.root / f"{_TRASH_PREFIX}{run_id if _RUN_ID.match(run_id) else 'entry'}-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(path, trash)
        except FileNotFoundError:
            raise RunStoreError(f"no run {run_id!r} in {self.root} (deleted meanwhile?)") from None
        except OSError as exc:
            raise RunStoreError(f"cannot delete run {run_id!r}: {exc.strerror or exc}") from None
        _remove(trash)      # what stays (no permission inside) is hidden, and cleaned later

    def _entry(self, name: str) -> Path:
        """A run's folder, or a badly named folder right inside the store (never outside it)."""
        try:
            return self.path(name)
        except RunStoreError:
            candidate = self.root / name if isinstance(name, str) and name and "\x00" not in name else None
            if (candidate is None or name.startswith(".") or candidate.parent != self.root
                    or not os.path.lexists(candidate)):
                raise
            return candidate

    def clean_leftovers(self, older_than_s: float = 0.0) -> int:
        """Remove temporary folders left by crashed saves and deletes; returns how many.

        ``older_than_s`` spares younger ones (another process may be saving right now).
        """
        return _remove_leftovers(self.root, older_than_s)

    # -- reading ---------------------------------------------------------------------
    def info(self, run_id: str) -> RunInfo:
        """What the runs list shows of a run, every file checked for what pages read from it.

        The history is checked by its size only (it can be large and the list does not
        show it); :meth:`history` and :meth:`load` check its content.
        """
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
            config = RunConfig.from_dict(_read_json(path / "config.json"))
        except (OSError, ValueError, TypeError, ConfigError) as exc:
            info.damaged = f"config.json unreadable: {exc}"
            return info
        info.config = config
        try:
            metrics = _read_json(path / "metrics.json")
            info.damaged = (metrics_problem(metrics) or file_size_problem(path / "history.json")
                            or model_zip_problem(path / "model.keras"))
        except (OSError, ValueError) as exc:
            info.damaged = f"metrics or history unreadable: {exc}"
        if not info.damaged:
            info.metrics = metrics
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
        runs.sort(key=lambda r: _mtime(r.path), reverse=True)
        return runs

    def history(self, run_id: str) -> dict:
        """A run's ``history.json``, checked; RunStoreError when it cannot be read or is wrong."""
        try:
            history = _read_json(self.path(run_id) / "history.json")
        except (OSError, ValueError) as exc:
            raise RunStoreError(f"run {run_id!r} is damaged: history.json unreadable: {exc}") from None
        problem = history_problem(history)
        if problem:
            raise RunStoreError(f"run {run_id!r} is damaged: {problem}")
        return history

    def stamp(self, run_id: str) -> int:
        """A cache key for a loaded run: it changes when the run is saved again or replaced,
        not when a file is added beside its own (the trace engine's ``pca.json``)."""
        path = self.path(run_id)
        if not path.is_dir():
            raise RunStoreError(f"no run {run_id!r} in {self.root}")
        stats = []
        for name in ("model.keras", "config.json"):
            try:
                st = os.stat(path / name)
                stats.append((st.st_ino, st.st_mtime_ns, st.st_size))
            except OSError:
                stats.append(None)     # load() will report the run as damaged
        return hash(tuple(stats))

    def load(self, run_id: str) -> LoadedRun:
        info = self.info(run_id)
        if info.damaged == "no such run":
            raise RunStoreError(f"no run {run_id!r} in {self.root}")
        if info.damaged:
            raise RunStoreError(f"run {run_id!r} is damaged: {info.damaged}")
        history = self.history(run_id)
        # Importing registers rnnlab's serializable layers and functions.
        from .models import model_problem
        try:
            import keras
            model = keras.saving.load_model(info.path / "model.keras", safe_mode=True, compile=False)
        except Exception as exc:  # a truncated zip, a foreign file: report, don't crash
            raise RunStoreError(f"run {run_id!r} is damaged: model.keras cannot be loaded "
                                f"({type(exc).__name__}: {str(exc)[:200]})") from None
        problem = model_problem(model, info.config)
        if problem:
            raise RunStoreError(f"run {run_id!r} is damaged: model.keras {problem}")
        return LoadedRun(run_id, info.config, model, history, info.metrics, info.path)

    def snapshots(self, run_id: str) -> Snapshots | None:
        """The run's snapshots for the training replay; None for a run without them (trained
        before they were kept); RunStoreError when the file is damaged."""
        try:
            return load_snapshots(self.path(run_id) / SNAPSHOTS_FILE)
        except SnapshotError as exc:
            raise RunStoreError(f"run {run_id!r}: {exc}") from None


def _remove_leftovers(root: Path, older_than_s: float) -> int:
    try:
        entries = [e for e in root.iterdir() if e.name.startswith((_TMP_PREFIX, _TRASH_PREFIX))]
    except OSError:
        return 0
    now = time.time()
    count = 0
    for entry in entries:
        try:
            age = now - entry.lstat().st_mtime
        except OSError:
            continue
        if age >= older_than_s and _remove(entry):
            count += 1
    return count


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_run_file_atomically(run_dir: str | Path, name: str, data: bytes) -> bool:
    """Write ``data`` as ``run_dir/name`` through a temporary file and a rename, so a reader
    sees the old file or the whole new one. False (nothing left behind) when the run folder
    cannot be written: callers keep what they computed in memory only."""
    run_dir = Path(run_dir)
    tmp = run_dir / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, run_dir / name)
        return True
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        return False
