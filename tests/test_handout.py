"""The handout: one headline's reading as a self-contained HTML file (rnnlab/handout.py)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import plotly.graph_objects as go

from rnnlab.handout import Handout, HandoutFigure, build

NASTY = 'Stocks <script>alert("x")</script> & "bonds"'


class Checker(HTMLParser):
    """Collects the text and the tags, and whether every opened tag that must close did."""

    VOID = {"meta", "br", "img", "link", "input", "hr", "col", "area", "base", "wbr", "source", "track", "embed", "path",
            "rect", "circle", "line", "stop", "use", "g"}

    def __init__(self):
        super().__init__()
        self.stack, self.text, self.scripts, self.mismatched = [], [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.mismatched.append(tag)
        else:
            self.stack.pop()

    def handle_data(self, data):
        if not self.stack or self.stack[-1] != "script":
            self.text.append(data)


def handout(figures=2) -> bytes:
    figs = [HandoutFigure(f"Figure {i}", f"note {i}", go.Figure(go.Bar(x=["World", "Sports"], y=[0.25, 0.75 + i])))
            for i in range(figures)]
    return build(Handout(title="How a network read a headline", facts=[("Run", "r1"), ("Headline", NASTY)],
                         figures=figs, words_title="Words", words_html='<div class="chip">Stocks</div>',
                         footer="Made with RNN Lab", lang="nb"))


def test_the_handout_is_valid_html_with_the_headline_as_text():
    page = handout().decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="nb">' in page
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert not checker.mismatched and not checker.stack
    assert NASTY in "".join(checker.text)              # shown as text, tags and all
    assert '<script>alert("x")</script>' not in page    # never as markup
    assert "&lt;script&gt;" in page


def test_the_handout_holds_the_figures_and_needs_no_network():
    page = handout().decode("utf-8")
    assert page.count('class="plotly-graph-div"') == 2
    assert "[0.25,0.75]" in page.replace(" ", "") and "[0.25,1.75]" in page.replace(" ", "")
    checker = Checker()
    checker.feed(page)
    assert not [s for s in checker.scripts if "src" in s]            # every script inline
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?://", page)
    assert page.count("Plotly.newPlot") == 2
    assert len(re.findall(r"plotly\.js v\d", page)) == 1               # plotly.js is written in once


def test_a_handout_without_figures_is_small():
    page = handout(figures=0)
    assert b"plotly.js" not in page and len(page) < 5000


def test_explore_offers_the_handout_in_both_languages(make_run, run_store, monkeypatch):
    monkeypatch.setenv("RNNLAB_RUNS_DIR", str(run_store.root))
    from app_testing import open_page
    run = make_run()
    for lang, label in (("en", "Download handout (HTML)"), ("nb", "Last ned arbeidsark (HTML)")):
        at = open_page("explore", {"run": run.run_id, "headline": "Oil <b>prices</b> rise", "panel": "downloads",
                                   "lang": lang})
        assert not at.exception
        assert label in [b.proto.label for b in at.get("download_button")]


def test_the_handout_of_a_real_trace(make_run, tracer_of):
    """The page's handout (rnnlab_app/handouts.py) from a real trace: its headline escaped, its charts in."""
    from streamlit.testing.v1 import AppTest
    run = make_run()
    trace = tracer_of(run).trace("Oil <b>prices</b> rise")

    def script():
        import streamlit as st
        from rnnlab.handout import build
        from rnnlab_app import handouts
        page = build(handouts.handout("GRU(8)", st.session_state["trace"])).decode("utf-8")
        st.text(f"{page.count('plotly-graph-div')} {'Oil &lt;b&gt;prices&lt;/b&gt; rise' in page} "
                f"{'<b>prices' in page}")

    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["trace"] = trace
    at.run()
    assert not at.exception
    assert at.text[0].value == "3 True False"
