"""AppTest: Explore's linked views — one chosen word in every chart, a pinned headline compared."""
from __future__ import annotations

from app_testing import all_text, charts, open_page
from rnnlab.charts import SELECTED_SHAPE

HEADLINE = "Federer wins his third Wimbledon title"


def show(at, panel: str):
    return at.button_group(key="explore_panel").set_value(panel).run()


def marked(fig: dict) -> list[float]:
    """Where a figure outlines the chosen word (the shape's centre on the token axis)."""
    return [(s["x0"] + s["x1"]) / 2 for s in fig.get("layout", {}).get("shapes", []) if s.get("name") == SELECTED_SHAPE]


def test_choosing_a_step_shows_its_numbers_and_marks_every_token_chart(runs):
    _, lstm = runs
    at = open_page("explore", {"run": lstm.run_id, "headline": HEADLINE, "panel": "linked"})
    assert not at.exception
    fig = charts(at)[-1]
    assert fig["layout"]["hoversubplots"] == "axis" and not marked(fig)
    at.select_slider(key="linked_step_slider").set_value(2).run()
    assert not at.exception
    text = all_text(at)
    assert "Step 3 of 6: «his»" in text
    assert "state change" in text and "Forget gate" in text       # the LSTM's gates, per step
    assert marked(charts(at)[-1]) == [2]
    assert at.query_params["step"] == "3"
    show(at, "reading")
    assert [marked(f) for f in charts(at)[1:]] == [[2], [2]]   # prefix and state change; not the bars of classes
    assert 'data-selected="true"' in at.html[0].value and ">his<" in at.html[0].value.split('data-selected')[1]
    at.text_input(key="explore_headline").input("Oil prices climb").run()
    assert not any(marked(f) for f in charts(at)) and "step" not in at.query_params   # a new headline: none


def test_a_link_with_a_step_opens_it(runs):
    gru, _ = runs
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "linked", "step": "6"})
    assert not at.exception and "Step 6 of 6: «title»" in all_text(at)
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "linked", "step": "99"})
    assert not at.exception and "Step " not in all_text(at) and "step" not in at.query_params


def test_pin_edit_and_compare(runs):
    gru, _ = runs
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "pin"})
    at.button(key="pin_pin").click().run()
    assert not at.exception and at.query_params["pin"] == HEADLINE
    assert "The headline is the pinned one" in all_text(at)
    at.button(key="pin_reverse").click().run()
    assert not at.exception
    assert at.text_input(key="explore_headline").value == "title wimbledon third his wins federer"
    fig = charts(at)[-1]
    names = [t.get("name", "") for t in fig["data"]]
    assert "World" in names and "World (pinned)" in names
    assert fig["layout"]["hoversubplots"] == "axis"
    pinned_strip, strip = (h.value for h in at.html)                  # the two strips, pinned first
    assert pinned_strip.index("Federer") < pinned_strip.index("Wimbledon")
    assert strip.index("wimbledon") < strip.index("federer")
    position, word = at.selectbox(key="pin_swap_word").value.split(": ")
    assert "title wimbledon third his wins federer".split()[int(position) - 1] == word   # labels follow the edit
    at.selectbox(key="pin_swap_word").set_value("4: his").run()       # in the tiny run's vocabulary
    swap = at.button(key="pin_swap")
    neighbour = swap.label.split("«")[-1].rstrip("»")
    assert swap.help.startswith(f"«{neighbour}» is the word nearest") and "cosine" in swap.help
    swap.click().run()
    swapped = at.text_input(key="explore_headline").value.split()
    assert swapped[:3] == ["title", "wimbledon", "third"] and swapped[4:] == ["wins", "federer"]
    assert swapped[3] == neighbour and neighbour not in ("his", "", "[UNK]")
    at.button(key="pin_drop").click().run()
    assert len(at.text_input(key="explore_headline").value.split()) == 5
    at.button(key="pin_unpin").click().run()
    assert "pin" not in at.query_params and at.button(key="pin_pin")


def test_bad_steps_and_pins_in_the_link(runs):
    gru, _ = runs
    for step in ("abc", "0", "-1", "3.5", "٣"):
        at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "linked", "step": step})
        assert not at.exception and "Step " not in all_text(at) and "step" not in at.query_params, step
    nasty = "<script>alert(1)</script> [x](javascript:alert(2)) " * 2000          # 100,000 characters
    at = open_page("explore", {"run": gru.run_id, "headline": HEADLINE, "panel": "pin", "pin": nasty})
    assert not at.exception
    pinned = next(m.value for m in at.markdown if m.value.startswith("Pinned:"))
    assert len(pinned) < 1000 and "<script>" not in pinned                  # cut, and never markup
    assert "The pinned headline cannot be read" in all_text(at)            # too long to read: said so
