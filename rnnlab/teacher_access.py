"""Who is the teacher: the rules, without Streamlit (the page side is rnnlab_app/teacher.py).

The teacher is whoever browses from the server's own machine, or whoever typed the
password the server was started with (``RNNLAB_TEACHER_PASSWORD``). Only the teacher may
delete runs and clear or export the class board; students get everything else.

Behind the class deployment's nginx every request reaches Streamlit from the loopback
address, so there the person's address is the last one in ``X-Forwarded-For``: nginx
appends the address it saw, and a student who sends the header himself only adds
entries in front of it. The header counts only when the peer itself is local (a
student who reaches Streamlit directly cannot claim to be the server).
"""
from __future__ import annotations

import hmac
import ipaddress
import os

PASSWORD_ENV = "RNNLAB_TEACHER_PASSWORD"
# "0" makes the server's own machine a student too (a teacher previewing the students' view).
LOCAL_ENV = "RNNLAB_TEACHER_LOCAL"


def is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address.strip()).is_loopback
    except ValueError:
        return False


def client_address(peer: str | None, forwarded_for: str | None) -> str | None:
    """The person's address: the peer's, or nginx's last forwarded entry when the peer is local."""
    if is_loopback(peer) and forwarded_for:
        return forwarded_for.split(",")[-1].strip() or peer
    return peer


def local_counts(environ=os.environ) -> bool:
    return environ.get(LOCAL_ENV, "1").strip() != "0"


def password_set(environ=os.environ) -> bool:
    return bool(environ.get(PASSWORD_ENV, ""))


def password_matches(typed: str, environ=os.environ) -> bool:
    """True for the configured password (compared in constant time); never for an empty one."""
    expected = environ.get(PASSWORD_ENV, "")
    return bool(expected) and hmac.compare_digest(typed.encode("utf-8"), expected.encode("utf-8"))


def on_server_machine(peer: str | None, forwarded_for: str | None, environ=os.environ) -> bool:
    return local_counts(environ) and is_loopback(client_address(peer, forwarded_for))
