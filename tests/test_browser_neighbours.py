"""Explore's "Read the same way" in a real browser: the nearest test headlines by hidden
state are listed, and a click opens one as the new headline (Debian's chromium through
Playwright)."""
from __future__ import annotations

from urllib.parse import quote

from app_server import needs_chromium, one_run_server_fixtures
from test_browser import settle

pytestmark = needs_chromium

HEADLINE = "Oil prices soar as stocks slide"


run, server = one_run_server_fixtures("neighbours")


def test_a_neighbour_opens_as_the_headline(server, browser, run):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server}/explore?run={run.run_id}&headline={quote(HEADLINE)}&panel=neighbours", timeout=60_000)
        page.get_by_role("heading", name="Headlines this network reads the same way").wait_for(timeout=60_000)
        first = page.locator(".st-key-explore_neighbour_0 button:visible")      # the nearest headline's button
        first.wait_for(timeout=120_000)
        settle(page)
        box = page.get_by_label("Headline", exact=True)
        assert box.input_value() == HEADLINE
        first.click()
        page.wait_for_function(f"() => !decodeURIComponent(location.href.replace(/\\+/g, ' '))"
                               f".includes({HEADLINE!r})", timeout=60_000)
        settle(page)
        opened = box.input_value()
        assert opened and opened != HEADLINE
        page.get_by_text("A headline from the test set; its true topic is").wait_for(timeout=30_000)
        assert not errors, errors
    finally:
        page.close()
