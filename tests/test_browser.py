"""The app in a real browser: Playwright drives Debian's chromium against `streamlit run`.

Opens the app, trains a tiny run through the Train page's form, explores a typed
headline (prediction and a heatmap must render), visits Compare and Data, opens the
Lesson page in Norwegian and trains its first step, and saves a full-page screenshot of
every page under ``test-output/screenshots/``. The server trains the lesson's steps on
400 texts (``RNNLAB_LESSON_TRAIN_SIZE``), so a step takes seconds.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from app_server import ROOT, needs_chromium, streamlit_server
from rnnlab import share

SHOTS = ROOT / "test-output" / "screenshots"

# Every wait below is bounded, so the test ends (at worst with a timeout error) without a plugin.
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("browser-runs"),
                          tmp_path_factory.mktemp("browser-log") / "streamlit.log",
                          RNNLAB_LESSON_TRAIN_SIZE="400") as (url, _):
        yield url


def settle(page, timeout: float = 60) -> None:
    """Wait until Streamlit has finished running the script (bounded)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    time.sleep(0.3)
    while time.monotonic() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() == 0 or not page.locator(
                '[data-testid="stStatusWidget"]').first.is_visible():
            break
        time.sleep(0.2)
    time.sleep(0.3)


def shoot(page, name: str) -> Path:
    """A full-page screenshot: the viewport is stretched to the main area's full height."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]') || document.body;"
        " return Math.max(m.scrollHeight, document.body.scrollHeight); }")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 16000)})
    time.sleep(1.0)   # Plotly re-lays out on resize
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    return path


def test_train_then_explore_in_a_browser(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # A deep link is the first thing this fresh server serves: it must still run app.py
    # (navigation, language switch), and with no runs yet it says what to do.
    page.goto(server + "/explore?headline=Hello", timeout=60_000)
    page.get_by_text("No network has been trained yet").wait_for(timeout=60_000)
    page.locator('[data-testid="stSidebar"]').get_by_text("Language", exact=True).wait_for(timeout=30_000)
    page.get_by_role("button", name="Train: Quick run").wait_for(timeout=30_000)

    # Home
    page.goto(server + "/", timeout=60_000)
    page.get_by_role("heading", name="RNN Lab").first.wait_for(timeout=60_000)
    page.locator(".katex").first.wait_for(timeout=30_000)     # the recurrence, typeset
    settle(page)
    shoot(page, "01-home")

    # Train a tiny run through the form
    page.goto(server + "/train", timeout=60_000)
    page.get_by_role("heading", name="Train a network").wait_for(timeout=60_000)
    settle(page)
    for label, value in (("Units (size of the state)", "8"), ("Embedding size", "8"),
                         ("Training texts (0 = all)", "400"), ("Epochs", "1"), ("Batch size", "32")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Tab")
    page.get_by_text("Titles", exact=True).click()
    shoot(page, "02-train-form")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Finished. The run is saved as").wait_for(timeout=120_000)
    settle(page)
    page.get_by_text("Confusion matrix").first.wait_for(timeout=30_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    shoot(page, "03-train-finished")

    # Explore it with a typed headline
    page.get_by_role("button", name="Explore this run").first.click()
    page.get_by_role("heading", name="Explore: watch a network read").wait_for(timeout=60_000)
    settle(page)
    box = page.get_by_label("Headline", exact=True)
    box.fill("Federer beats <b>Nadal</b> in the Wimbledon final")
    box.press("Enter")
    # The typed word appears as text, tags and all (in the token strip and the charts' labels).
    page.get_by_text("<b>Nadal</b>", exact=True).first.wait_for(timeout=60_000)
    settle(page)
    page.get_by_text("Predicted topic").wait_for(timeout=60_000)
    assert "headline=" in page.url and "run=" in page.url
    assert page.locator("b:has-text('Nadal')").count() == 0      # typed HTML is shown as text, never rendered
    page.locator("svg text:has-text('<b>Nadal</b>')").first.wait_for(state="attached", timeout=60_000)
    shoot(page, "04-explore")
    # The other panels open on a click: the heatmaps are built only then.
    assert page.locator(".js-plotly-plot .heatmaplayer").count() == 0
    page.get_by_text("Inside the network", exact=True).click()
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for(state="attached", timeout=60_000)
    assert "panel=inside" in page.url
    settle(page)
    shoot(page, "04b-explore-inside")

    # Opening the shared link shows the same view
    shared = page.url
    other = browser.new_page(viewport={"width": 1400, "height": 900})
    other.goto(shared, timeout=60_000)
    other.get_by_text("Predicted topic").wait_for(timeout=60_000)
    assert other.get_by_label("Headline", exact=True).input_value().startswith("Federer beats")
    other.close()

    # Compare (one run: it asks for a second) and Data
    page.goto(server + "/compare", timeout=60_000)
    page.get_by_role("heading", name="Compare runs").wait_for(timeout=60_000)
    settle(page)
    shoot(page, "05-compare")
    page.goto(server + "/data", timeout=60_000)
    page.get_by_role("heading", name="The data: AG News").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").nth(2).wait_for(timeout=60_000)
    settle(page)
    shoot(page, "06-data")

    assert not errors, errors
    for name in ("01-home", "02-train-form", "03-train-finished", "04-explore", "04b-explore-inside", "05-compare",
                 "06-data"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
    page.close()


def test_the_lesson_in_norwegian_in_a_browser(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/lesson?lang=nb", timeout=60_000)
    page.get_by_role("heading", name="Leksjonen: rekurrente nevrale nettverk").wait_for(timeout=60_000)
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Språk", exact=True).wait_for(timeout=30_000)
    assert sidebar.get_by_text("Leksjon", exact=True).count() == 1           # in the navigation, in Norwegian
    page.get_by_text("skjult tilstand").first.wait_for(timeout=30_000)
    page.get_by_role("heading", name="1 · Et enkelt RNN leser titlene").wait_for(timeout=30_000)

    # Step 1's experiment, one click away; its result appears next to the text.
    page.get_by_role("button", name="Tren dette nettverket").first.click()
    page.get_by_text("Testnøyaktighet").first.wait_for(timeout=120_000)
    # Each person guesses the topic first; then the network's answer is revealed.
    page.get_by_text("Gjett først").wait_for(timeout=60_000)
    page.get_by_text("Verden", exact=True).first.click()
    page.get_by_role("button", name="Vis svaret").click()
    page.get_by_text("Gjetninger i klassen på denne serveren: 1,").wait_for(timeout=60_000)
    page.get_by_text("Det leser overskriften som").first.wait_for(timeout=60_000)
    settle(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    accuracy = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert accuracy.endswith("%"), accuracy
    assert "lang=nb" in page.url
    # Of Plotly's toolbar only the PNG download is left.
    buttons = page.locator(".js-plotly-plot").first.locator(".modebar-btn")
    assert buttons.count() == 1 and "png" in (buttons.first.get_attribute("data-title") or "").lower()

    # Step 2 too: then the padding test shows both networks side by side.
    page.get_by_role("button", name="Tren dette nettverket").first.click()
    page.get_by_text("Leksjon 2: SimpleRNN med maskering:").first.wait_for(timeout=120_000)
    settle(page)
    assert page.get_by_text("Testnøyaktighet").count() >= 2

    # The share link names the page and the language.
    sidebar.get_by_text("Del denne visningen").click()
    link = sidebar.locator('[data-testid="stCode"]').first
    link.wait_for(timeout=30_000)
    assert "/lesson?" in link.inner_text() and "lang=nb" in link.inner_text()
    # Not the loopback address the browser used: the server's network address, when it has one.
    host = share.network_address() or "127.0.0.1"
    assert link.inner_text().startswith(f"http://{host}:{urlparse(server).port}/lesson?"), link.inner_text()
    shoot(page, "07-lesson-nb")
    assert not errors, errors
    assert (SHOTS / "07-lesson-nb.png").stat().st_size > 10_000
    page.close()


if __name__ == "__main__":  # pragma: no cover - `python tests/test_browser.py` runs it alone
    sys.exit(pytest.main([__file__, "-q", "-s"]))
