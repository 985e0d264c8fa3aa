"""The shared link's address: what a student's laptop can open (rnnlab/share.py)."""
from __future__ import annotations

import ipaddress
import logging

import pytest

from rnnlab import share


def test_a_loopback_browser_url_gets_the_network_address():
    url = share.student_url("http://localhost:8501/explore", "explore", "run=r1&lock=run,train",
                            find_address=lambda: "10.0.0.5")
    assert url == "http://10.0.0.5:8501/explore?run=r1&lock=run,train"
    assert share.student_url("http://127.0.0.1/lesson", "lesson", "", find_address=lambda: "192.168.1.20") \
        == "http://192.168.1.20/lesson"
    assert share.student_url("http://[::1]:8501/data", "data", "", find_address=lambda: "10.0.0.5") \
        == "http://10.0.0.5:8501/data"


def test_a_student_reachable_browser_url_is_kept_and_the_address_not_looked_up():
    def never():
        raise AssertionError("looked up the address for a non-loopback host")
    assert share.student_url("http://10.1.2.3:8501/explore?old=1#x", "explore", "run=r", find_address=never) \
        == "http://10.1.2.3:8501/explore?run=r"


def test_no_network_address_keeps_the_browser_url():
    assert share.student_url("http://localhost:8501/explore", "explore", "a=1", find_address=lambda: None) \
        == "http://localhost:8501/explore?a=1"


def test_the_configured_base_url_wins():
    base = share.base_url({share.BASE_URL_ENV: " https://school.example/rnnlab/ "})
    assert base == "https://school.example/rnnlab"
    assert share.student_url("http://localhost:8501/explore", "explore", "run=r", base=base) \
        == "https://school.example/rnnlab/explore?run=r"
    assert share.student_url(None, "home", "", base="http://10.0.0.5:8501") == "http://10.0.0.5:8501/home"


def test_without_a_browser_url_the_link_starts_at_the_server_root():
    assert share.student_url(None, "explore", "run=r") == "/explore?run=r"


@pytest.mark.parametrize("value", ["ftp://10.0.0.5", "10.0.0.5:8501", "http://", "http://host:port/",
                                   "javascript:alert(1)", "http://h/?a=1"])
def test_a_bad_base_url_is_ignored_with_a_warning(value, caplog):
    with caplog.at_level(logging.WARNING, logger="rnnlab.share"):
        assert share.base_url({share.BASE_URL_ENV: value}) is None
    assert share.BASE_URL_ENV in caplog.text


def test_unset_base_url():
    assert share.base_url({}) is None
    assert share.base_url({share.BASE_URL_ENV: "  "}) is None


def test_the_network_address_is_never_loopback():
    address = share.network_address()     # offline machines have none: then None
    if address is not None:
        ip = ipaddress.ip_address(address)
        assert ip.version == 4 and not ip.is_loopback


def test_loopback_hosts():
    assert all(share.is_loopback_host(h) for h in ("localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1"))
    assert not any(share.is_loopback_host(h) for h in ("10.0.0.5", "example.org", "", None))
