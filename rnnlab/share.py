"""The address students can open: a shared link's scheme and host, without Streamlit.

The teacher often browses through ``http://localhost:8501``; a link copied from there
means nothing on a student's laptop. So a shared link takes its scheme, host and port
from, in this order:

1. ``RNNLAB_BASE_URL`` (e.g. ``http://10.0.0.5:8501``, or with a path prefix behind a
   proxy: ``https://school.example/rnnlab``), when it is an http(s) URL with a host; a
   malformed value is ignored with a logged warning;
2. the browser's own URL, with a loopback host (``localhost``, ``127.0.0.1``, ``::1``)
   replaced by this machine's network address (its non-loopback IPv4, found without
   sending a packet);
3. the browser's URL as it is, when the machine has no such address.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import socket
from urllib.parse import urlsplit, urlunsplit

BASE_URL_ENV = "RNNLAB_BASE_URL"
log = logging.getLogger(__name__)
_warned: set[str] = set()          # bad values already logged (the pages ask on every run)
# connect() on a UDP socket only picks the route (and with it the local address); no
# packet leaves, so this works offline. Any private address will do.
_ROUTE_PROBE = ("10.255.255.255", 9)


def base_url(environ=os.environ) -> str | None:
    """``$RNNLAB_BASE_URL`` without a trailing slash, or None when unset or not an http(s) URL with a host."""
    value = environ.get(BASE_URL_ENV, "").strip()
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port            # raises ValueError on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        if value not in _warned:
            _warned.add(value)
            log.warning("%s=%r is not an http(s) address with a host (e.g. http://10.0.0.5:8501): ignored",
                        BASE_URL_ENV, value[:200])
        return None
    return value.rstrip("/")


def _usable(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return ip.version == 4 and not (ip.is_loopback or ip.is_unspecified or ip.is_link_local)


def network_address() -> str | None:
    """This machine's IPv4 address on its network (not loopback), or None when it has none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            address = probe.getsockname()[0]
        if _usable(address):
            return address
    except OSError:           # no route at all (no network): try the host name's addresses
        pass
    try:
        found = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    return next((info[4][0] for info in found if _usable(info[4][0])), None)


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def student_url(browser_url: str | None, page_path: str, query: str = "", base: str | None = None,
                find_address=network_address) -> str:
    """The link to ``page_path`` (e.g. ``explore``) with ``query`` (already encoded) that a
    student can open.

    ``browser_url`` is the address the person's browser shows (already ending with the
    page's path), or None when unknown; ``base`` is :func:`base_url`'s answer.
    ``find_address`` is asked only when the browser's host is loopback.
    """
    suffix = "?" + query if query else ""
    if base:
        return f"{base}/{page_path}{suffix}"
    if not browser_url:
        return f"/{page_path}{suffix}"
    parts = urlsplit(browser_url)
    if is_loopback_host(parts.hostname):
        address = find_address()
        if address:
            netloc = address if parts.port is None else f"{address}:{parts.port}"
            parts = parts._replace(netloc=netloc)
    return urlunsplit(parts._replace(query=query, fragment=""))
