"""The teacher's links in a real browser (Debian's chromium through Playwright): the share
box makes a locked link; a student who opens it finds no run picker and no training, on
every page; the handout downloads as one offline HTML file."""
from __future__ import annotations

import re
import time
from urllib.parse import quote, unquote, urlparse

import pytest

from app_server import needs_chromium, one_run_server_fixtures
from rnnlab import share
from test_browser import SHOTS, settle

pytestmark = needs_chromium
HEADLINE = "Stocks <b>slide</b> as oil prices rise"
TEXTS = {
    "en": dict(share="Share this view", run="Run (no run picker)", train="Training off", off="Training is off for this link",
               predicted="Predicted topic", handout="Download handout (HTML)", nav_train="Train"),
    "nb": dict(share="Del denne visningen", run="Modell (ingen modellvelger)", train="Trening av",
               off="Trening er slått av for denne lenken", predicted="Emnet nettverket velger",
               handout="Last ned arbeidsark (HTML)", nav_train="Tren"),
}


run, server = one_run_server_fixtures("links")


def shots(page, name: str) -> None:
    """The 1280x720 screen, then the full page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-1280x720.png"))
    height = page.evaluate("() => Math.max(document.body.scrollHeight,"
                           " (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight)")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 40, 12000)})
    time.sleep(1.0)
    page.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})


def teacher_link(page, server: str, run, lang: str) -> str:
    """The teacher (this browser is on the server's machine) ticks run and training in the share box."""
    text = TEXTS[lang]
    page.goto(f"{server}/explore?run={run.run_id}&headline={quote(HEADLINE)}&lang={lang}", timeout=60_000)
    page.get_by_text(text["predicted"]).wait_for(timeout=60_000)
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(text["share"]).click()
    sidebar.get_by_text(text["run"]).click()
    settle(page)
    sidebar.get_by_text(text["train"]).click()
    settle(page)
    code = sidebar.locator('[data-testid="stCode"]').first
    code.scroll_into_view_if_needed()
    link = code.inner_text().strip()
    assert "lock=run,train" in link and f"run={run.run_id}" in link, link
    host = share.network_address()
    if host:                      # the students' address, not the loopback one this browser used
        assert urlparse(link).hostname == host, link
    shots(page, f"links-share-box-{lang}")
    return link


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_a_locked_link_from_the_share_box(server, browser, run, lang, tmp_path):
    text = TEXTS[lang]
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        link = teacher_link(page, server, run, lang)
        # A student opens it (through this test's server address: the machine's own).
        parts = urlparse(link)
        student = context.new_page()
        student.goto(f"{server}{parts.path}?{parts.query}", timeout=60_000)
        student.get_by_text(text["predicted"]).wait_for(timeout=60_000)
        settle(student)
        main = student.locator('[data-testid="stMain"]')
        assert main.locator('[data-testid="stSelectbox"]').count() == 0         # no run picker
        assert main.get_by_text(run.run_id).count() >= 1                       # the fixed run, named
        student.get_by_text(text["off"]).first.wait_for(timeout=30_000)
        shots(student, f"links-locked-explore-{lang}")

        # Another page of the same session: no training form there either.
        student.locator('[data-testid="stSidebarNav"]').get_by_text(text["nav_train"], exact=True).click()
        student.wait_for_url(re.compile(r".*/train.*"), timeout=30_000)
        settle(student)
        assert "lock=run,train" in unquote(student.url)        # Streamlit writes the comma as %2C
        student.get_by_text(text["off"]).first.wait_for(timeout=30_000)
        assert student.locator('[data-testid="stForm"]').count() == 0

        # Back on Explore (its run still fixed), the handout downloads.
        student.goto(f"{server}{parts.path}?{parts.query}&panel=downloads", timeout=60_000)
        button = student.get_by_role("button", name=text["handout"])
        button.wait_for(timeout=60_000)
        settle(student)
        with student.expect_download(timeout=60_000) as info:
            button.click()
        saved = tmp_path / "handout.html"
        info.value.save_as(saved)
        html = saved.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and "plotly-graph-div" in html
        assert "Stocks &lt;b&gt;slide&lt;/b&gt; as oil prices rise" in html
        assert not re.search(r"<script[^>]+src=", html)
        assert not errors, errors
    finally:
        context.close()
