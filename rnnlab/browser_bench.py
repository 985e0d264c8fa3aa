"""``bench browser``: what one person waits for in chromium on a warm server.

* first paint: from asking for a shared link ``/explore?run=…&headline=…`` (a headline
  the server has not read) until the prediction and the first chart are on screen;
* one control: from a click on an attribution method until the page shows that
  method's explanation (the panel's fragment re-ran and came back).

Debian's chromium, driven by Playwright (never ``playwright install``).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from .appserver import streamlit_server

CHROMIUM = "/usr/bin/chromium"
METHOD_LABEL = "integrated gradients"            # the attribution method button clicked
METHOD_NOTE = "Integrated gradients: how much"   # the start of its explanation, shown after the click


@dataclass
class BrowserTimings:
    first_paint: list[float]
    control: list[float]

    @property
    def first_paint_median(self) -> float:
        return statistics.median(self.first_paint)

    @property
    def control_median(self) -> float:
        return statistics.median(self.control)


def bench_browser(store_root: str, run_id: str, repeat: int = 3) -> BrowserTimings:
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as log_dir, \
            streamlit_server(Path(store_root), Path(log_dir) / "streamlit.log") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            _open(page, server.url, run_id, "A first visit warms the server")
            timings = BrowserTimings([], [])
            for i in range(repeat):
                start = time.perf_counter()
                _open(page, server.url, run_id, f"Markets rally as oil prices fall, report {i} says")
                timings.first_paint.append(time.perf_counter() - start)
                start = time.perf_counter()
                page.get_by_text(METHOD_LABEL, exact=True).click()
                page.get_by_text(METHOD_NOTE).first.wait_for(timeout=60_000)
                timings.control.append(time.perf_counter() - start)
            return timings
        finally:
            browser.close()


def _open(page, url: str, run_id: str, headline: str) -> None:
    page.goto(f"{url}/explore?{urlencode({'run': run_id, 'headline': headline})}", timeout=120_000)
    page.get_by_text("Predicted topic").wait_for(timeout=120_000)
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=120_000)


def report(timings: BrowserTimings) -> str:
    fmt = lambda values: ", ".join(f"{v:.2f}" for v in values)  # noqa: E731
    return (f"first paint of a shared Explore link: median {timings.first_paint_median:.2f} s "
            f"({fmt(timings.first_paint)})\n"
            f"one control (attribution method) until shown: median {timings.control_median:.2f} s "
            f"({fmt(timings.control)})")
