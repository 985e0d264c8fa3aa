"""AppTest: Explore's memory panels — what the network remembers, and headlines read the same way."""
from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from rnnlab_app import resources, ui
from app_testing import all_text, charts, open_page

HEADLINE = "Federer wins his third Wimbledon title"
NOTES = {"en": ("A SimpleRNN's dependence usually fades", "rather than as padding", "Occlusion: how much"),
         "nb": ("En SimpleRNN avhenger som regel", "og ikke som utfylling", "Tildekking: hvor mye")}
NEIGHBOUR_NOTES = {"en": ("among 2,000 AG News test headlines (at most 2,000, so it stays fast on a CPU)", "Open",
                          "Compare the state after"),
                   "nb": ("blant 2\u00a0000 testoverskrifter fra AG News (høyst 2 000, så det går raskt på en CPU)",
                          "Åpne", "Sammenlign tilstanden etter")}


def _values(y) -> np.ndarray:
    """A Plotly array as Streamlit sends it: a list, or base64 bytes with a dtype."""
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    return np.asarray(y, dtype=float)


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_what_the_network_remembers(runs, lang):
    at = open_page("explore", {"run": runs[1].run_id, "headline": HEADLINE, "panel": "memory", "lang": lang})
    assert not at.exception
    figure = next(f for f in charts(at) if len(f["data"]) == 2 and f["data"][0].get("mode") == "lines+markers")
    gradient, occlusion = figure["data"]
    assert gradient["x"] == [5, 4, 3, 2, 1, 0]                     # distance from the end, per word
    assert gradient["customdata"][0].lower() == "federer"
    found = resources.memory(runs[1].run_id, HEADLINE).tokens
    assert np.allclose(_values(gradient["y"]), [t.gradient_norm for t in found])
    assert np.allclose(_values(occlusion["y"]), [t.occlusion_drop for t in found])
    assert figure["layout"]["xaxis"]["autorange"] == "reversed"    # the last word at the right
    text = all_text(at) + "\n".join(a["text"] for a in figure["layout"]["annotations"])   # subplot titles
    for note in NOTES[lang]:
        assert note in text


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_headlines_read_the_same_way(runs, lang):
    gru, _ = runs
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "neighbours", "lang": lang})
    assert not at.exception
    note, label, step = NEIGHBOUR_NOTES[lang]
    assert note in all_text(at)
    buttons = [b for b in at.button if b.key and b.key.startswith("explore_neighbour_")]
    assert len(buttons) == 10 and all(b.label == label for b in buttons)
    assert at.select_slider(key="explore_neighbours_step").label == step
    assert at.select_slider(key="explore_neighbours_step").value == 6           # the whole headline
    assert len([m for m in at.markdown if m.value.endswith(("✓", "✗"))]) == 10


def test_a_click_on_a_neighbour_opens_it(runs):
    # English only: AppTest formats the run picker's labels in the test's own language.
    gru, _ = runs
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "neighbours"})
    first_title = resources.neighbours(gru.run_id, HEADLINE).neighbours[2].title
    at.button(key="explore_neighbour_2").click().run()
    assert not at.exception
    assert at.text_input(key="explore_headline").value == first_title           # opened in Explore
    assert at.query_params["headline"] == first_title[:500]
    # The opened headline is in the corpus: it is its own nearest neighbour.
    top = resources.neighbours(gru.run_id, first_title).neighbours[0]
    assert top.title == first_title and top.cosine == pytest.approx(1.0, abs=1e-4)
    assert at.select_slider(key="explore_neighbours_step").value == len(
        resources.trace(gru.run_id, first_title).tokens)                       # a new headline: its end


def test_a_step_asks_for_the_state_after_that_word_and_the_matrix_is_built_once(runs):
    gru, _ = runs
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "neighbours"})
    root, run_id = resources.run_key(gru.run_id)[:2]
    at.select_slider(key="explore_neighbours_step").set_value(2).run()
    assert not at.exception
    after_two = resources.neighbours(gru.run_id, HEADLINE, 2)
    shown = [m.value for m in at.markdown]
    assert after_two.step == 2
    assert [f"{n.cosine:.3f}" for n in after_two.neighbours] == [v for v in shown if re.fullmatch(r"-?\d\.\d{3}", v)]
    assert ui.esc(after_two.neighbours[0].title) in shown
    at.text_input(key="explore_headline").input("Oil prices climb as stocks slide").run()
    assert not at.exception
    assert resources.call("corpus_builds", root, run_id) <= 1                 # one matrix, however many queries
