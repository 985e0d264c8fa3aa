"""The teacher's tools in a real browser (Debian's chromium through Playwright).

A classroom may have no internet: every request the pages make must go to the app's
own server. The test blocks every other request and fails if one was attempted.
"""
from __future__ import annotations

from urllib.parse import quote, urlparse

import pytest

from app_server import needs_chromium, one_run_server_fixtures
from test_browser import SHOTS, settle

pytestmark = needs_chromium


run, server = one_run_server_fixtures("teacher")


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


def font_sizes(page, selector: str) -> list[float]:
    """The computed font sizes (px) of the visible elements matching ``selector``."""
    return page.eval_on_selector_all(selector, """els => els
        .filter(e => e.getClientRects().length && (e.textContent || '').trim())
        .map(e => parseFloat(getComputedStyle(e).fontSize))""")


def shoot_viewport(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.mark.parametrize("lang, predicted", [("en", "Predicted topic"), ("nb", "Emnet nettverket velger")])
def test_projector_mode_from_the_link(server, browser, run, lang, predicted):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto(f"{server}/explore?run={run.run_id}&headline={quote('Stocks slide as oil prices rise')}"
                  f"&lang={lang}&present=1", timeout=60_000)
        page.get_by_text(predicted).wait_for(timeout=60_000)
        page.locator(".js-plotly-plot text").first.wait_for(timeout=60_000)
        settle(page)
        assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
        body = font_sizes(page, '[data-testid="stMain"] [data-testid="stMarkdownContainer"] p')
        captions = font_sizes(page, '[data-testid="stMain"] [data-testid="stCaptionContainer"]')
        chart_text = font_sizes(page, ".js-plotly-plot .main-svg text")
        assert body and captions and chart_text
        assert min(body) >= 20 and min(captions) >= 20, (body, captions)
        assert min(chart_text) >= 20, chart_text
        # High contrast: captions are black, not faded grey.
        looks = page.eval_on_selector_all(
            '[data-testid="stMain"] [data-testid="stCaptionContainer"]',
            "els => els.map(e => [getComputedStyle(e).opacity, getComputedStyle(e).color])")
        assert looks and all(look == ["1", "rgb(0, 0, 0)"] for look in looks), looks
        assert "present=1" in page.url
        shoot_viewport(page, f"projector-explore-{lang}")
        page.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()
        shoot_viewport(page, f"projector-explore-charts-{lang}")
        page.goto(f"{server}/data?lang={lang}&present=1", timeout=60_000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
        page.locator(".js-plotly-plot text").first.wait_for(timeout=60_000)
        settle(page)
        assert min(font_sizes(page, ".js-plotly-plot .main-svg text")) >= 20
        page.locator('[data-testid="stDataFrame"]').first.scroll_into_view_if_needed()
        shoot_viewport(page, f"projector-data-table-{lang}")
    finally:
        page.close()


def test_the_projector_toggle(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto(server + "/data", timeout=60_000)
        page.locator(".js-plotly-plot text").first.wait_for(timeout=60_000)
        settle(page)
        assert min(font_sizes(page, ".js-plotly-plot .main-svg text")) < 20      # not on by default
        assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "false"
        assert min(font_sizes(page, '[data-testid="stMain"] [data-testid="stCaptionContainer"]')) < 20
        page.locator('[data-testid="stSidebar"]').get_by_text("Projector mode").click()
        page.wait_for_url("**present=1**", timeout=30_000)
        settle(page)
        page.locator(".js-plotly-plot text").first.wait_for(timeout=60_000)
        assert min(font_sizes(page, '[data-testid="stMain"] [data-testid="stCaptionContainer"]')) >= 20
        assert min(font_sizes(page, ".js-plotly-plot .main-svg text")) >= 20
        assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
    finally:
        page.close()


def test_the_servers_own_machine_is_the_teacher(server, browser):
    """Streamlit reports no address for a browser on the server's machine; that browser is the teacher."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto(server + "/train", timeout=60_000)
        page.get_by_text("Saved runs").first.wait_for(timeout=60_000)
        settle(page)
        page.get_by_text("you are on the server's own machine").first.wait_for(timeout=30_000)
        assert page.get_by_text("Delete this run").count() >= 1
        assert page.get_by_text("Only the teacher can delete runs").count() == 0
    finally:
        page.close()
