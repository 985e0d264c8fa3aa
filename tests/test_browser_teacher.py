"""The teacher's tools in a real browser (Debian's chromium through Playwright).

A classroom may have no internet: every request the pages make must go to the app's
own server. The test blocks every other request and fails if one was attempted.
"""
from __future__ import annotations

from urllib.parse import quote, urlparse

import pytest

from app_server import streamlit_server
from test_browser import CHROMIUM, CHROMIUM_ARGS, settle

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def run(make_run):
    return make_run()


@pytest.fixture(scope="module")
def server(run, run_store, tmp_path_factory):
    with streamlit_server(run_store.root, tmp_path_factory.mktemp("teacher-log") / "streamlit.log") as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def offline_page(browser, server: str):
    """A page whose requests to any host but the server are blocked and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    host = urlparse(server).netloc
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        if urlparse(url).scheme in ("data", "blob") or urlparse(url).netloc == host:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    return context, context.new_page(), outside


def test_no_page_asks_anything_of_another_server(server, browser, run):
    context, page, outside = offline_page(browser, server)
    try:
        page.goto(server + "/", timeout=60_000)
        page.get_by_role("heading", name="RNN Lab").first.wait_for(timeout=60_000)
        page.locator(".katex").first.wait_for(timeout=30_000)
        settle(page)
        # The page icon is served by the app's server.
        icon = page.locator('link[rel~="icon"]').first.get_attribute("href")
        assert icon and urlparse(icon).netloc in ("", urlparse(server).netloc), icon

        page.goto(f"{server}/explore?run={run.run_id}&headline={quote('Stocks slide as oil prices rise')}",
                  timeout=60_000)
        page.get_by_text("Predicted topic").wait_for(timeout=60_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        settle(page)

        page.goto(server + "/lesson?lang=nb", timeout=60_000)
        page.get_by_role("heading", name="Leksjonen: rekurrente nevrale nettverk").wait_for(timeout=60_000)
        settle(page)
        assert not outside, outside
    finally:
        context.close()
