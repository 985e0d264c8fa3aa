"""A click on a confusion-matrix cell in a real browser lists its test headlines (Compare),
and one of them opens in Explore (Debian's chromium through Playwright)."""
from __future__ import annotations

import re

import pytest

from app_server import needs_chromium, streamlit_server
from test_browser import settle

pytestmark = needs_chromium

# The page position of the busiest off-diagonal cell of the clickable confusion matrix,
# from Plotly's own axes (categorical: d2p takes the class name).
CELL_JS = """() => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const d = gd.data || [];
    if (d.length !== 2 || d[0].type !== 'heatmap' || !d[1].customdata) continue;
    gd.scrollIntoView({block: 'center'});
    let best = -1;
    d[1].customdata.forEach((c, k) => {
      if (c[0] !== c[1] && c[2] > 0 && (best < 0 || c[2] > d[1].customdata[best][2])) best = k;
    });
    if (best < 0) return null;
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
    return {x: r.left + xa._offset + xa.d2p(d[1].x[best]), y: r.top + ya._offset + ya.d2p(d[1].y[best]),
            count: d[1].customdata[best][2], true_name: d[1].y[best], predicted_name: d[1].x[best]};
  }
  return null;
}"""


@pytest.fixture(scope="module")
def runs(make_run):
    return make_run(), make_run(cell="lstm")


@pytest.fixture(scope="module")
def server(runs, run_store, tmp_path_factory):
    with streamlit_server(run_store.root, tmp_path_factory.mktemp("drill-log") / "streamlit.log") as (url, _):
        yield url


def test_a_click_on_a_cell_lists_its_headlines_and_opens_one(server, browser, runs):
    gru, lstm = runs
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/compare?runs={gru.run_id},{lstm.run_id}", timeout=60_000)
    page.get_by_role("heading", name="Which headlines are these?").wait_for(timeout=60_000)
    settle(page)
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Explore").count() == 0
    cell = page.evaluate(CELL_JS)
    assert cell is not None, "no clickable confusion matrix on the page"
    page.mouse.move(cell["x"], cell["y"])
    page.mouse.click(cell["x"], cell["y"])
    count = f"{cell['count']:,}"
    page.get_by_text(re.compile(f"{count} test headlines about {re.escape(cell['true_name'])} "
                                f"that the network read as {re.escape(cell['predicted_name'])}")
                     ).wait_for(timeout=60_000)
    settle(page)
    buttons = page.get_by_role("button", name="Explore")
    assert buttons.count() == min(cell["count"], 20)
    buttons.first.click()
    page.get_by_role("heading", name="Explore: watch a network read").wait_for(timeout=60_000)
    settle(page)
    assert f"run={gru.run_id}" in page.url and "headline=" in page.url
    assert not errors, errors
