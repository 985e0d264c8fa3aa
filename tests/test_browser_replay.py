"""The training replay in a real browser (Debian's chromium through Playwright): Explore's
slider moves through the snapshots and the prediction follows; Play steps through them."""
from __future__ import annotations

import time
from urllib.parse import quote

from app_server import needs_chromium, one_run_server_fixtures
from test_browser import settle, shoot

pytestmark = needs_chromium

HEADLINE = "Stocks slide as oil prices rise"


run, server = one_run_server_fixtures("replay")


def answer(page) -> str:
    """The replay's answer line ("At this point it reads the headline as ...") and its word strip."""
    line = page.get_by_text("At this point it reads the headline as").first.inner_text()
    return line + page.locator('[data-testid="stHtml"]').last.inner_html()


def wait_for_change(page, before: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = answer(page)
        if now != before:
            return now
        time.sleep(0.2)
    raise AssertionError("the replay did not change")


def test_the_slider_and_play_move_the_prediction(server, browser, run):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server}/explore?run={run.run_id}&headline={quote(HEADLINE)}&panel=replay", timeout=60_000)
        page.get_by_text("At this point it reads the headline as").wait_for(timeout=60_000)
        settle(page)
        thumb = page.get_by_role("slider")
        assert thumb.get_attribute("aria-valuetext") == "all of training"
        end = answer(page)
        shoot(page, "replay-explore-end")
        thumb.focus()
        thumb.press("Home")                                 # to the first snapshot
        first = wait_for_change(page, end)
        settle(page)
        assert thumb.get_attribute("aria-valuetext") == "after 1/13"
        shoot(page, "replay-explore-first")
        page.get_by_role("button", name="Play").click()      # from the first snapshot to the end
        page.get_by_role("button", name="Stop").wait_for(timeout=30_000)
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and page.get_by_role("button", name="Stop").count():
            seen.add(thumb.get_attribute("aria-valuetext"))
            time.sleep(0.1)
        page.get_by_role("button", name="Play").wait_for(timeout=30_000)
        assert len(seen) >= 5, seen                         # it stepped through the snapshots
        assert thumb.get_attribute("aria-valuetext") == "all of training"
        assert wait_for_change(page, first) == end
        assert not errors, errors
    finally:
        page.close()
