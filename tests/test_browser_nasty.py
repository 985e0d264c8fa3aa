"""Injected markup typed into Explore, in a real browser (Playwright + Debian's chromium).

A few texts from ``tests/fixtures/nasty_inputs.json`` (a script tag, an ``<img onerror>``,
an ``<svg onload>``, a link to ``javascript:``, a Markdown link to ``javascript:`` and LaTeX)
are typed into the headline box. Each must come back as text: no dialog opens, no
injected element exists in the page, the network still answers. A screenshot of the last
one is saved as ``test-output/screenshots/08-explore-nasty.png``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_server import needs_chromium, streamlit_server  # noqa: E402
from test_browser import settle, shoot

pytestmark = needs_chromium

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "nasty_inputs.json"
TYPED = ("script_tag", "img_onerror", "svg_onload", "anchor_javascript", "markdown_javascript_link",
         "latex_inline", "iframe_and_comment")
# Every text above holds one of these; all of them at once is the screenshot's headline.
# (Tags without spaces: each typed word then cleans on its own as in the whole text, so the
# chips show the typed words, markup and all; the <img> tag itself reads as nothing.)
ALL_AT_ONCE = "<script>alert(1)</script> [click](javascript:alert(3)) $x^2$ **bold** <img/src=x/onerror=alert(2)>"

INJECTED = """() => {
  const found = [];
  if (document.querySelector('img[src="x"], img[src$="/x"]')) found.push('img[src=x]');
  for (const attr of ['onerror', 'onload', 'onclick', 'onmouseover'])
    if (document.querySelector('[' + attr + ']')) found.push('[' + attr + ']');
  for (const s of document.querySelectorAll('script'))
    if ((s.textContent || '').includes('alert(')) found.push('script with alert');
  for (const a of document.querySelectorAll('a[href], iframe[src]'))
    if ((a.getAttribute('href') || a.getAttribute('src') || '').trim().toLowerCase().startsWith('javascript:'))
      found.push(a.tagName + ' to javascript:');
  if (document.querySelector('svg[onload]')) found.push('svg onload');
  if (window.__nasty !== undefined) found.push('window.__nasty');
  return found;
}"""


def nasty_texts() -> dict[str, str]:
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return {e["name"]: e["text"] * e.get("repeat", 1) for e in doc["inputs"] if e["name"] in TYPED}


@pytest.fixture(scope="module")
def server(make_run, tmp_path_factory):
    from rnnlab.runs import RunStore
    run = make_run()
    store = RunStore(tmp_path_factory.mktemp("nasty-browser-runs"))
    store.save(run.run_id, run.model, run.config, run.history, run.metrics)
    with streamlit_server(store.root, tmp_path_factory.mktemp("nasty-browser-log") / "streamlit.log") as (url, _):
        yield url, run.run_id


def _type_and_wait(page, text: str) -> None:
    box = page.get_by_label("Headline", exact=True)
    box.fill(text)
    box.press("Enter")
    deadline = time.monotonic() + 60
    while box.input_value() != text or "headline=" not in page.url:
        assert time.monotonic() < deadline, "the headline never reached the server"
        time.sleep(0.2)
    settle(page)
    page.get_by_text("Predicted topic").wait_for(timeout=60_000)
    settle(page)


def test_injected_markup_is_shown_as_text(server, browser):
    url, run_id = server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/explore?run={run_id}&headline=Warm+up", timeout=60_000)
    page.get_by_text("Predicted topic").wait_for(timeout=60_000)
    settle(page)

    for name, text in nasty_texts().items():
        _type_and_wait(page, text)
        assert page.evaluate(INJECTED) == [], name
        assert dialogs == [], (name, dialogs)
        # The typed text is on the page as text: a chip shows a typed word, tags and all.
        words = [w for w in text.split() if any(c.isalnum() for c in w)]
        if name in ("script_tag", "img_onerror"):        # cleanup reads nothing: one chip, the whole text
            words = [text]
        strip_text = page.locator('[data-testid="stHtml"]').first.inner_text()
        assert any(w.lower() in strip_text.lower() for w in words), (name, strip_text[:500])

    # All of them at once, and the screenshot.
    _type_and_wait(page, ALL_AT_ONCE)
    assert page.evaluate(INJECTED) == []
    strip = page.locator('[data-testid="stHtml"]').first
    for word in ("<script>alert(1)</script>", "[click](javascript:alert(3))", "$x^2$", "**bold**"):
        strip.get_by_text(word, exact=True).wait_for(timeout=30_000)
    assert strip.locator(".katex, strong, b, a, img, script").count() == 0      # no LaTeX, Markdown or tags
    path = shoot(page, "08-explore-nasty")
    assert path.stat().st_size > 10_000
    time.sleep(1.0)                         # a late dialog or handler would show up here
    assert dialogs == [], dialogs
    assert page.evaluate(INJECTED) == []
    assert not errors, errors
    page.close()
