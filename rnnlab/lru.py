"""A thread-safe LRU cache bounded in entries and bytes, computing each key once.

Thirty students who type the same headline at the same moment cause one trace: the
first caller computes, the others wait for its result (or its exception).
"""
from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from typing import Callable, Hashable

import numpy as np


def approx_bytes(value, _depth: int = 0) -> int:
    """Roughly what ``value`` holds in memory: numpy buffers, strings and containers."""
    if _depth > 8:
        return 64
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 112
    if isinstance(value, (str, bytes)):
        return len(value) + 49
    if isinstance(value, dict):
        return 64 + sum(approx_bytes(k, _depth + 1) + approx_bytes(v, _depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return 56 + sum(approx_bytes(v, _depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return 64 + sum(approx_bytes(getattr(value, f.name), _depth + 1) for f in dataclasses.fields(value))
    return sys.getsizeof(value, 64)


class _Pending:
    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None


class LruCache:
    """``get(key, compute)``: the cached value, else ``compute()`` once for all callers."""

    def __init__(self, max_entries: int, max_bytes: int, sizeof: Callable[[object], int] = approx_bytes):
        self.max_entries, self.max_bytes, self._sizeof = max_entries, max_bytes, sizeof
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._pending: dict[Hashable, _Pending] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = _Pending()
        if not owner:
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
            return pending.value
        try:
            pending.value = compute()
        except BaseException as exc:
            pending.error = exc
            raise
        else:
            self._put(key, pending.value)
        finally:
            with self._lock:
                self._pending.pop(key, None)
            pending.done.set()
        return pending.value

    def _put(self, key: Hashable, value) -> None:
        size = self._sizeof(value)
        with self._lock:
            if size > self.max_bytes:
                return                                     # too big to keep: served once, not cached
            if key in self._items:
                self._bytes -= self._items.pop(key)[1]
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                self._bytes -= self._items.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def stats(self) -> tuple[int, int]:
        """(entries, bytes) held now."""
        with self._lock:
            return len(self._items), self._bytes
