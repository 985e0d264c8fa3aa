"""Explore's linked views in a real browser (Playwright + Debian's chromium).

Hovering a word on the step-by-step chart shows every row's value at that word in one
label; clicking the prediction at a word chooses it (Streamlit's ``on_select``): the
step's numbers appear, the chart outlines the word, the word strip frames it and the
link keeps it; a click on a bar of the first panel's state-change chart chooses another.
Then the headline is pinned, reversed with one click, and the two are drawn together.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_server import needs_chromium, streamlit_server  # noqa: E402
from test_browser import settle, shoot

pytestmark = needs_chromium

HEADLINE = "Federer wins his third Wimbledon title"


@pytest.fixture(scope="module")
def server(make_run, tmp_path_factory):
    from rnnlab.runs import RunStore
    run = make_run(cell="lstm")
    store = RunStore(tmp_path_factory.mktemp("linked-browser-runs"))
    store.save(run.run_id, run.model, run.config, run.history, run.metrics)
    with streamlit_server(store.root, tmp_path_factory.mktemp("linked-browser-log") / "streamlit.log") as (url, _):
        yield url, run.run_id


def _wait_for(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


def test_hover_and_click_a_word_then_pin_and_reverse(server, browser):
    url, run_id = server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/explore?run={run_id}&headline={HEADLINE.replace(' ', '+')}&panel=linked", timeout=60_000)
    page.get_by_text("Every view at one word").wait_for(timeout=90_000)
    settle(page)
    plot = page.locator(".js-plotly-plot").last
    plot.locator(".heatmaplayer").wait_for(state="attached", timeout=30_000)
    plot.scroll_into_view_if_needed()

    # Hover the state-change bar of "his": one label names the word and every row's value there.
    bar = plot.locator(".barlayer .point").nth(2).bounding_box()
    page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    label = lambda: plot.evaluate("e => e.querySelector('.hoverlayer').textContent")   # noqa: E731
    _wait_for(lambda: "State change" in label(), "the hover label")
    text = label()
    assert text.startswith("his") and all(part in text for part in ("World", "Sci/Tech", "Occlusion", "Unit"))

    # Click the prediction at "third": the step is chosen everywhere.
    point = plot.locator(".scatterlayer .trace").first.locator(".points path").nth(3).bounding_box()
    page.mouse.move(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    page.mouse.click(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    page.get_by_text("Step 4 of 6: «third»").wait_for(timeout=60_000)
    _wait_for(lambda: "step=4" in page.url, "the step in the link")
    settle(page)
    page.locator(".js-plotly-plot").last.locator(".shapelayer path").first.wait_for(state="attached", timeout=30_000)
    assert page.get_by_text("Forget gate").count() >= 1                       # the LSTM's gates at that step
    # The word strip of the first panel frames the same word.
    page.get_by_text("Word by word", exact=True).click()
    page.locator('[data-selected="true"]').get_by_text("third").wait_for(timeout=60_000)
    settle(page)
    # A click on the bar of "wins" in that panel's state-change chart chooses "wins" instead.
    change = page.locator(".js-plotly-plot").filter(has=page.locator(".barlayer")).last
    change.scroll_into_view_if_needed()
    bar = change.locator(".barlayer .point").nth(1).bounding_box()
    page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.locator('[data-selected="true"]').get_by_text("wins").wait_for(timeout=60_000)
    _wait_for(lambda: "step=2" in page.url, "the new step in the link")

    # Pin, reverse with one click: both are drawn together.
    page.get_by_text("Pin and compare", exact=True).click()
    page.get_by_role("button", name="Pin this headline").click()
    page.get_by_role("button", name="Reverse the word order").click()
    page.locator("svg text:has-text('World (pinned)')").first.wait_for(state="attached", timeout=60_000)
    assert page.get_by_label("Headline", exact=True).input_value() == "title wimbledon third his wins federer"
    assert "pin=" in page.url
    settle(page)
    shoot(page, "09-explore-pinned")
    assert not errors, errors
    page.close()
