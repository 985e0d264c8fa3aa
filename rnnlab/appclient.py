"""One browser tab as the app's server sees it: Streamlit's websocket protocol, no browser.

:class:`Session` asks the server for script runs of a page (with a query string and
widget values, as the browser sends them) and collects what the server draws until it
says the run finished. :func:`explore_problem` tells whether an Explore run answered
its headline. The load tests and ``python -m rnnlab bench app`` drive the server with it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .i18n import DEFAULT_LANG, class_names, t


@dataclass
class ScriptRun:
    """One script run of a page: seconds until the server said it finished, what it drew."""

    seconds: float
    elements: list = field(repr=False)

    def exceptions(self) -> list[str]:
        return [e.exception.message for e in self.elements if e.WhichOneof("type") == "exception"]

    def texts(self, kind: str) -> list[str]:
        """The bodies (or values) of every element of one kind: "text", "alert", "markdown", ..."""
        out = []
        for element in self.elements:
            if element.WhichOneof("type") == kind:
                inner = getattr(element, kind)
                out.append(getattr(inner, "body", "") or getattr(inner, "value", ""))
        return out

    def errors(self) -> list[str]:
        """The error alerts (``st.error``) drawn."""
        from streamlit.proto.Alert_pb2 import Alert
        return [e.alert.body for e in self.elements
                if e.WhichOneof("type") == "alert" and e.alert.format == Alert.ERROR]

    def predicted(self, lang: str = DEFAULT_LANG) -> str | None:
        """The topic Explore predicted (in ``lang``, the session's language), when it drew exactly one prediction."""
        label = t("explore.predicted", lang)
        found = [e.metric.body for e in self.elements
                 if e.WhichOneof("type") == "metric" and e.metric.label == label]
        return found[0] if len(found) == 1 else None


class Session:
    """One browser tab connected to the app at ``url`` (``http://host:port``)."""

    def __init__(self, url: str, open_timeout: float = 60, headers: dict | None = None):
        """``headers``: sent with the websocket's opening request (a browser's cookie and origin)."""
        from contextlib import ExitStack

        from websockets.sync.client import connect
        self._stack = ExitStack()
        self.ws = self._stack.enter_context(connect(url.replace("http://", "ws://") + "/_stcore/stream",
                                                    subprotocols=["streamlit"], max_size=None,
                                                    open_timeout=open_timeout, ping_interval=None,
                                                    additional_headers=headers or {}))
        self.ids: dict[str, str] = {}         # widget key -> widget id, from what the server drew
        self.widgets: dict[str, object] = {}  # widget key -> the element the server drew for it, latest
        self.fragments: dict[str, str] = {}   # widget key -> the fragment it was drawn in ("" for none)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def options(self, key: str) -> list[str]:
        """The labels of a segmented control or pills widget drawn with ``key``."""
        return [o.content for o in self.widgets[key].button_group.options]

    def run(self, page: str, query: dict | None = None, widgets: dict | None = None,
            timeout: float = 300) -> ScriptRun:
        """One script run of ``page``; ``widgets`` maps widget keys to their new values.

        Values: a string, a number, ``True`` for a form's submit button (a key ending in
        ``submit``), or a list of option labels for a segmented control or pills widget.
        When every widget changed lives in one fragment (``st.fragment``), only that fragment
        is run again, as the browser asks for it.
        Raises ``TimeoutError`` when the server does not finish within ``timeout`` seconds.
        """
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = urlencode(query or {})
        for key, value in (widgets or {}).items():
            _set_widget(msg.rerun_script.widget_states.widgets.add(), self.ids[key], key, value)
        fragments = {self.fragments.get(key, "") for key in widgets or {}}
        if len(fragments) == 1:
            msg.rerun_script.fragment_id = fragments.pop()
        start = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        elements = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the server did not finish a run of {page!r} within {timeout:g} s")
            reply = ForwardMsg()
            reply.ParseFromString(self.ws.recv(timeout=left))
            kind = reply.WhichOneof("type")
            if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                elements.append(reply.delta.new_element)
                self._remember_widget(reply.delta)
            elif kind == "script_finished":
                return ScriptRun(time.perf_counter() - start, elements)

    def _remember_widget(self, delta) -> None:
        element = delta.new_element
        inner = getattr(element, element.WhichOneof("type") or "empty", None)
        widget_id = getattr(inner, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-") and widget_id.count("-") >= 2:
            key = widget_id.split("-", 2)[2]
            self.ids[key] = widget_id
            self.widgets[key] = element
            self.fragments[key] = delta.fragment_id


def _set_widget(state, widget_id: str, key: str, value) -> None:
    state.id = widget_id
    if value is True and key.endswith("submit"):
        state.trigger_value = True
    elif isinstance(value, str):
        state.string_value = value
    elif isinstance(value, (list, tuple)):
        state.string_array_value.data.extend(value)
    elif isinstance(value, int):
        state.int_value = value
    else:
        state.double_value = float(value)


def explore_problem(run: ScriptRun, headline: str, lang: str = DEFAULT_LANG) -> str | None:
    """Why an Explore run in ``lang`` did not answer ``headline`` (an exception, no prediction,
    another headline), or None."""
    from .text import clean_text
    if run.exceptions():
        return f"the page raised: {run.exceptions()[0][:300]}"
    if run.predicted(lang) not in class_names(lang):
        return f"no prediction for {headline!r}; alerts: {run.texts('alert')}"
    if clean_text(headline) not in run.texts("text"):
        return f"the prediction is not for {headline!r}: the page shows {run.texts('text')}"
    return None
