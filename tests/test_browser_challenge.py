"""The class challenge in a real browser (Debian's chromium through Playwright): a student
submits a headline that fools the network and finds it on the class board."""
from __future__ import annotations

import pytest

from app_server import needs_chromium, streamlit_server
from test_browser import settle

pytestmark = needs_chromium

HEADLINE = "Browser test: <b>Nadal</b> wins **again**"


@pytest.fixture(scope="module")
def server(make_run, run_store, tmp_path_factory):
    make_run()
    with streamlit_server(run_store.root, tmp_path_factory.mktemp("challenge-log") / "streamlit.log") as (url, _):
        yield url


def test_a_headline_that_fools_the_network_appears_on_the_board(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server + "/challenge", timeout=60_000)
        page.get_by_role("heading", name="Fool the network: a class challenge").wait_for(timeout=60_000)
        settle(page)
        box = page.get_by_label("Headline", exact=True)
        for topic in ("World", "Sports"):          # the network answers one of them wrongly
            box.fill(HEADLINE)
            page.get_by_text(topic, exact=True).first.click()
            page.get_by_role("button", name="Submit").click()
            page.get_by_text("Your last headline:").wait_for(timeout=60_000)
            settle(page)
            if page.get_by_text("You fooled it!").count():
                break
        page.get_by_text("You fooled it!").wait_for(timeout=10_000)
        board = page.locator('[data-testid="stDataFrame"]')
        board.wait_for(timeout=30_000)
        # The grid's cells are text: the tags and asterisks are shown as typed.
        board.get_by_text(HEADLINE, exact=True).first.wait_for(state="attached", timeout=30_000)
        assert page.locator("b", has_text="Nadal").count() == 0
        assert not errors, errors
    finally:
        page.close()
