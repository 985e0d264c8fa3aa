"""The server-wide result cache: bounded in entries and bytes, each key computed once."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from rnnlab.lru import LruCache, approx_bytes


def test_least_recently_used_goes_first_when_entries_run_out():
    cache = LruCache(max_entries=2, max_bytes=10**9)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: pytest.fail("a was cached"))       # a is now the most recent
    cache.get("c", lambda: 3)
    assert cache.get("a", lambda: "again") == 1
    assert cache.get("b", lambda: "recomputed") == "recomputed"  # b was evicted
    assert cache.stats[0] == 2


def test_bytes_are_bounded_and_a_too_large_value_is_served_but_not_kept():
    cache = LruCache(max_entries=100, max_bytes=10_000)
    for i in range(10):
        cache.get(i, lambda: np.zeros(500))                   # ~4 kB each
    entries, held = cache.stats
    assert held <= 10_000 and entries == 2
    huge = cache.get("huge", lambda: np.zeros(10_000))
    assert huge.shape == (10_000,) and cache.stats[1] <= 10_000
    assert cache.get("huge", lambda: "recomputed") == "recomputed"


def test_thirty_callers_of_one_new_key_compute_it_once():
    cache, calls = LruCache(max_entries=10, max_bytes=10**6), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "trace"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("headline", slow))) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["trace"] * 30 and len(calls) == 1


def test_an_error_reaches_every_waiting_caller_and_is_not_cached():
    cache = LruCache(max_entries=10, max_bytes=10**6)

    def fails():
        time.sleep(0.1)
        raise ValueError("unreadable")

    errors = []

    def ask():
        try:
            cache.get("bad", fails)
        except ValueError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=ask) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == ["unreadable"] * 5
    assert cache.get("bad", lambda: "fine now") == "fine now"


def test_approx_bytes_counts_arrays_inside_containers():
    assert approx_bytes({"a": np.zeros(1000), "b": [np.zeros(500)]}) > 12_000
    assert approx_bytes("x" * 1000) >= 1000
